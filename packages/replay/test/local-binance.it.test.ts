import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { WebSocket, type ClientOptions } from 'ws';
import { makeEnvelope } from '../src/envelope.js';
import { startLocalBinance, type DisconnectInfo, type LocalBinance, type LocalBinanceOptions } from '../src/local-binance.js';
import { readRecording } from '../src/reader.js';
import type { RecordedMessage } from '../src/types.js';
import { RECORDINGS, collect } from './helpers.js';

// ---- helpers --------------------------------------------------------------------------------

const servers: LocalBinance[] = [];
const clients: WebSocket[] = [];
after(async () => {
  for (const c of clients) c.terminate();
  await Promise.all(servers.map((s) => s.close()));
});

async function serve(options: LocalBinanceOptions): Promise<LocalBinance> {
  const s = await startLocalBinance({ port: 0, host: '127.0.0.1', ...options });
  servers.push(s);
  return s;
}

interface Client {
  ws: WebSocket;
  messages: string[];
  pings: number[];
  opened: Promise<void>;
  closed: Promise<{ code: number; reason: string }>;
}

function connect(url: string, options: ClientOptions = {}): Client {
  const ws = new WebSocket(url, options);
  clients.push(ws);
  const messages: string[] = [];
  const pings: number[] = [];
  ws.on('message', (d) => messages.push(d.toString()));
  ws.on('ping', () => pings.push(performance.now()));
  ws.on('error', () => {});
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { statusCode: res.statusCode })));
    ws.once('error', reject);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  return { ws, messages, pings, opened, closed };
}

async function waitFor(cond: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

function msg(stream: string, E: number, extra: Record<string, unknown> = {}): RecordedMessage {
  const payload = JSON.stringify({ e: stream.split('@')[1], E, ...extra });
  return { receivedAtMs: E, eventTimeMs: E, eventTimeEstimated: false, stream, raw: makeEnvelope(stream, payload) };
}

/** A tape the test feeds by hand: push() emits (at speed 'max') as soon as the tape pulls. */
function channel() {
  const queue: RecordedMessage[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  return {
    push(...items: RecordedMessage[]) {
      queue.push(...items);
      wake?.();
    },
    end() {
      ended = true;
      wake?.();
    },
    source: async function* (): AsyncGenerator<RecordedMessage> {
      for (;;) {
        while (queue.length > 0) yield queue.shift() as RecordedMessage;
        if (ended) return;
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
      }
    },
  };
}

const WS10 = join(RECORDINGS, 'BINANCE.ws.1.0');

// ---- tests ----------------------------------------------------------------------------------

describe('local Binance: subscriptions', () => {
  it('sends a combined-stream client only its streams, as the recorded envelopes', async () => {
    const server = await serve({ source: [WS10], speed: 'max' });
    const recorded = (await collect(readRecording(WS10))).filter((m) => ['nknusdt@aggTrade', 'nknusdt@bookTicker', 'lrcbtc@kline_1m'].includes(m.stream));
    const c = connect(server.combinedUrl(['nknusdt@aggTrade', 'NKNUSDT@bookTicker', 'lrcbtc@kline_1m']));
    await c.opened;
    const summary = await server.tapeFinished;
    assert.equal(summary.reason, 'end');
    assert.equal(summary.messages, 265);
    await waitFor(() => c.messages.length === recorded.length, 'all subscribed messages');
    assert.deepEqual(c.messages, recorded.map((m) => m.raw)); // byte-identical, same order
    for (const text of c.messages) {
      const env = JSON.parse(text) as { stream: string; data: { e?: string } };
      assert.ok(['nknusdt@aggTrade', 'nknusdt@bookTicker', 'lrcbtc@kline_1m'].includes(env.stream));
      assert.equal(typeof env.data, 'object');
    }
    assert.equal(server.stats.sentByStream['nknusdt@bookTicker'], 74);
    assert.equal(server.stats.tapeByStream['nknusdt@depth@100ms'], 150);
  });

  it('sends a raw-stream client bare payloads, byte-identical to the recorded data', async () => {
    const server = await serve({ source: [WS10], speed: 'max' });
    const c = connect(server.rawUrl('nknusdt@aggTrade', 'lrcbtc@aggtrade'));
    await c.opened;
    await server.tapeFinished;
    await waitFor(() => c.messages.length === 2, 'two aggTrades');
    const payloads = c.messages.map((t) => JSON.parse(t) as { e: string; s: string; stream?: unknown });
    assert.deepEqual(payloads.map((p) => [p.e, p.s]), [
      ['aggTrade', 'NKNUSDT'],
      ['aggTrade', 'LRCBTC'],
    ]);
    assert.ok(payloads.every((p) => p.stream === undefined));
    const recorded = (await collect(readRecording(WS10))).find((m) => m.stream === 'nknusdt@aggTrade') as RecordedMessage;
    assert.ok(recorded.raw.includes(`"data":${c.messages[0]}}`));
  });

  it('serves a real gz recording at max speed: every btcusdt trade, ids contiguous', async () => {
    const server = await serve({ source: [join(RECORDINGS, 'btcusdt_20240809.gz')], speed: 'max' });
    const c = connect(server.combinedUrl(['btcusdt@trade']));
    await c.opened;
    await server.tapeFinished;
    await waitFor(() => c.messages.length === 10_147, 'all trades', 10_000);
    let prev: number | undefined;
    for (const text of c.messages) {
      const t = (JSON.parse(text) as { data: { t: number } }).data.t;
      if (prev !== undefined) assert.equal(t, prev + 1);
      prev = t;
    }
    assert.equal(server.stats.tapeMessages, 58_325);
  });

  it('supports SUBSCRIBE, UNSUBSCRIBE and LIST_SUBSCRIPTIONS on a live connection', async () => {
    const ch = channel();
    const server = await serve({ source: ch.source, speed: 'max' });
    const c = connect(`${server.url}/ws`);
    await c.opened;
    c.ws.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['btcusdt@trade', 'ethusdt@trade'], id: 1 }));
    await waitFor(() => c.messages.length === 1, 'subscribe reply');
    assert.deepEqual(JSON.parse(c.messages[0] as string), { result: null, id: 1 });
    c.ws.send(JSON.stringify({ method: 'UNSUBSCRIBE', params: ['ethusdt@trade'], id: 2 }));
    c.ws.send(JSON.stringify({ method: 'LIST_SUBSCRIPTIONS', id: 3 }));
    await waitFor(() => c.messages.length === 3, 'replies');
    assert.deepEqual(JSON.parse(c.messages[2] as string), { result: ['btcusdt@trade'], id: 3 });
    ch.push(msg('ethusdt@trade', 1), msg('btcusdt@trade', 2));
    await waitFor(() => c.messages.length === 4, 'a trade');
    assert.deepEqual(JSON.parse(c.messages[3] as string), { e: 'trade', E: 2 });
    c.ws.send('{"method":"NOPE","id":4}');
    await waitFor(() => c.messages.length === 5, 'error reply');
    assert.equal((JSON.parse(c.messages[4] as string) as { code: number }).code, 2);
    ch.end();
  });

  it('answers an unknown path with 404 and a malformed stream name with 400', async () => {
    const server = await serve({ source: [WS10] });
    await assert.rejects(connect(`${server.url}/nope`).opened, { statusCode: 404 });
    await assert.rejects(connect(`${server.url}/stream?streams=btcusdt@trade/bad%20name`).opened, { statusCode: 400 });
    assert.equal(server.stats.rejectedUpgrades, 2);
    assert.equal(server.tapeState, 'idle', 'rejected clients do not start the tape');
  });
});

describe('local Binance: broadcast tape', () => {
  it('plays one timeline: a client gets messages only from when it connected, none while disconnected', async () => {
    const ch = channel();
    const server = await serve({ source: ch.source, speed: 'max' });
    const a = connect(server.combinedUrl(['btcusdt@trade']));
    await a.opened;
    ch.push(msg('btcusdt@trade', 1));
    await waitFor(() => a.messages.length === 1, 'A gets 1');
    const b = connect(server.rawUrl('btcusdt@trade'));
    await b.opened;
    ch.push(msg('btcusdt@trade', 2));
    await waitFor(() => a.messages.length === 2 && b.messages.length === 1, 'both get 2');
    a.ws.close();
    await a.closed;
    await waitFor(() => server.connections === 1, 'server saw A leave');
    ch.push(msg('btcusdt@trade', 3));
    await waitFor(() => b.messages.length === 2, 'B gets 3');
    const a2 = connect(server.combinedUrl(['btcusdt@trade']));
    await a2.opened;
    ch.push(msg('btcusdt@trade', 4));
    await waitFor(() => a2.messages.length === 1 && b.messages.length === 3, 'A2 and B get 4');
    assert.deepEqual(a.messages.map((t) => (JSON.parse(t) as { data: { E: number } }).data.E), [1, 2]);
    assert.deepEqual(b.messages.map((t) => (JSON.parse(t) as { E: number }).E), [2, 3, 4]);
    assert.deepEqual(a2.messages.map((t) => (JSON.parse(t) as { data: { E: number } }).data.E), [4]); // 3 was lost for A
    assert.equal(server.stats.tapeMessages, 4);
    assert.equal(server.stats.connectionsAccepted, 3);
    ch.end();
    assert.equal((await server.tapeFinished).reason, 'end');
  });

  it('paces by event time at the configured speed', async () => {
    const items = Array.from({ length: 6 }, (_, i) => msg('x@trade', 1000 + i * 100)); // 500 ms of tape
    const server = await serve({ source: () => (async function* () { yield* items; })(), speed: 5 });
    const c = connect(server.combinedUrl(['x@trade']));
    const t0 = performance.now();
    await c.opened;
    await server.tapeFinished;
    const took = performance.now() - t0;
    assert.equal(c.messages.length >= 5, true);
    assert.ok(took >= 90 && took < 600, `500 ms of tape at speed 5 took ${took} ms`);
  });

  it('pause() silences the tape and resume() continues where it stopped', async () => {
    const items = Array.from({ length: 40 }, (_, i) => msg('x@trade', i * 10));
    const server = await serve({ source: () => (async function* () { yield* items; })(), speed: 1 });
    const c = connect(server.combinedUrl(['x@trade']));
    await c.opened;
    await waitFor(() => c.messages.length >= 3, 'a few messages');
    server.pause();
    await delay(30);
    const frozen = c.messages.length;
    await delay(150);
    assert.equal(c.messages.length, frozen, 'nothing arrives while paused');
    assert.equal(server.isPaused, true);
    server.resume();
    const summary = await server.tapeFinished;
    assert.equal(summary.messages, 40);
    await waitFor(() => c.messages.length === 40, 'everything after resume');
  });

  it('pauses the tape at max speed while a client does not read, so memory stays bounded', async () => {
    const big = 'x'.repeat(1000);
    const N = 30_000;
    const source = async function* (): AsyncGenerator<RecordedMessage> {
      for (let i = 0; i < N; i++) yield msg('x@trade', i, { pad: big });
    };
    const server = await serve({ source, speed: 'max', highWaterMarkBytes: 256 * 1024 });
    server.pause(); // hold the tape until the client has stopped reading
    const c = connect(server.combinedUrl(['x@trade']));
    await c.opened;
    c.ws.pause(); // stop reading from the socket
    server.resume();
    await delay(300);
    const stalled = server.stats;
    assert.ok(stalled.backpressureStalls > 0, 'the tape stalled');
    assert.ok(stalled.tapeMessages < N, `tape held back (${stalled.tapeMessages} of ${N} sent)`);
    c.ws.resume();
    const summary = await server.tapeFinished;
    assert.equal(summary.messages, N);
    await waitFor(() => c.messages.length === N, 'all messages', 10_000);
  });

  it('loops the tape when asked and reports finished when closed', async () => {
    const server = await serve({ source: () => (async function* () { yield msg('x@trade', 1); yield msg('x@trade', 2); })(), speed: 'max', loop: true });
    let loops = 0;
    server.on('tapeLooped', () => loops++);
    const c = connect(server.combinedUrl(['x@trade']));
    await c.opened;
    await waitFor(() => loops >= 3 && c.messages.length >= 6, 'three loops');
    await server.close();
    const s = await server.tapeFinished;
    assert.equal(s.reason, 'closed');
    assert.ok(s.passes >= 3);
  });
});

describe('local Binance: connection management', () => {
  it('pings at the configured interval and keeps a client that answers', async () => {
    const server = await serve({ source: [WS10], pingIntervalMs: 40, pongTimeoutMs: 120 });
    server.pause();
    const c = connect(server.rawUrl('nknusdt@aggTrade'));
    await c.opened;
    await delay(330);
    assert.ok(c.pings.length >= 5 && c.pings.length <= 9, `${c.pings.length} pings in 330 ms at 40 ms`);
    const gaps = c.pings.slice(1).map((t, i) => t - (c.pings[i] as number));
    assert.ok(gaps.every((g) => g > 20 && g < 150), `ping gaps ${gaps.map((g) => g.toFixed(0)).join(',')}`);
    assert.equal(c.ws.readyState, WebSocket.OPEN, 'a client that pongs stays connected past the pong timeout');
  });

  it('disconnects a client that does not answer pings within the pong timeout', async () => {
    const server = await serve({ source: [WS10], pingIntervalMs: 30, pongTimeoutMs: 120 });
    const disconnects: DisconnectInfo[] = [];
    server.on('disconnect', (_i, d) => disconnects.push(d));
    const c = connect(server.rawUrl('nknusdt@aggTrade'), { autoPong: false });
    const t0 = performance.now();
    await c.opened;
    const { code } = await c.closed;
    const took = performance.now() - t0;
    assert.equal(code, 1006, 'terminated without a close frame');
    assert.ok(took >= 100 && took < 1000, `closed after ${took} ms`);
    assert.ok(c.pings.length >= 2);
    await waitFor(() => disconnects.length === 1, 'disconnect event');
    assert.equal(disconnects[0]?.cause, 'pong-timeout');
  });

  it('does not time out silent clients while pings are paused', async () => {
    const server = await serve({ source: [WS10], pingIntervalMs: 20, pongTimeoutMs: 60 });
    server.pause({ pings: false });
    const c = connect(server.rawUrl('nknusdt@aggTrade'), { autoPong: false });
    await c.opened;
    await delay(200);
    assert.equal(c.pings.length, 0);
    assert.equal(c.ws.readyState, WebSocket.OPEN);
  });

  it('closes a connection when its lifetime is reached', async () => {
    const server = await serve({ source: [WS10], connectionLifetimeMs: 150 });
    const disconnects: DisconnectInfo[] = [];
    server.on('disconnect', (_i, d) => disconnects.push(d));
    const c = connect(server.combinedUrl(['nknusdt@aggTrade']));
    const t0 = performance.now();
    await c.opened;
    const closed = await c.closed;
    const took = performance.now() - t0;
    assert.equal(closed.code, 1000);
    assert.equal(closed.reason, 'connection lifetime reached');
    assert.ok(took >= 140 && took < 1000, `closed after ${took} ms`);
    await waitFor(() => disconnects.length === 1, 'disconnect event');
    assert.equal(disconnects[0]?.cause, 'lifetime');
  });

  it('sends the serverShutdown event, then closes the socket after the delay, and still accepts reconnects', async () => {
    const server = await serve({ source: [WS10], shutdownCloseDelayMs: 80 });
    server.pause();
    const combined = connect(server.combinedUrl(['nknusdt@aggTrade']));
    const raw = connect(server.rawUrl('nknusdt@aggTrade'));
    await Promise.all([combined.opened, raw.opened]);
    const t0 = performance.now();
    assert.equal(server.sendServerShutdown(), 2);
    for (const c of [combined, raw]) {
      await waitFor(() => c.messages.length === 1, 'shutdown event');
      const ev = JSON.parse(c.messages[0] as string) as { e: string; E: number; stream?: unknown };
      assert.equal(ev.e, 'serverShutdown');
      assert.ok(Math.abs(ev.E - Date.now()) < 5000);
      assert.equal(ev.stream, undefined, 'bare event, no envelope');
    }
    const closed = await combined.closed;
    assert.equal(closed.code, 1001);
    assert.ok(performance.now() - t0 >= 70);
    await raw.closed;
    const again = connect(server.rawUrl('nknusdt@aggTrade'));
    await again.opened;
    assert.equal(server.connections, 1);
  });

  it('dropConnections() terminates every socket abruptly, and clients can reconnect', async () => {
    const server = await serve({ source: [WS10] });
    server.pause();
    const a = connect(server.rawUrl('nknusdt@aggTrade'));
    const b = connect(server.combinedUrl(['nknusdt@aggTrade']));
    await Promise.all([a.opened, b.opened]);
    await server.waitForConnections(2);
    const causes: string[] = [];
    server.on('disconnect', (_i, d) => causes.push(d.cause));
    assert.equal(server.dropConnections(), 2);
    assert.equal((await a.closed).code, 1006);
    assert.equal((await b.closed).code, 1006);
    await waitFor(() => server.connections === 0 && causes.length === 2, 'server saw both go');
    assert.deepEqual(causes, ['drop', 'drop']);
    const c = connect(server.rawUrl('nknusdt@aggTrade'));
    await c.opened;
    assert.equal(server.stats.connectionsAccepted, 3);
  });

  it('sendRaw() broadcasts an arbitrary frame to every client regardless of subscriptions', async () => {
    const server = await serve({ source: [WS10] });
    server.pause();
    const a = connect(server.rawUrl('nknusdt@aggTrade'));
    const b = connect(server.combinedUrl(['lrcbtc@kline_1m']));
    await Promise.all([a.opened, b.opened]);
    assert.equal(server.sendRaw('{"stream":"btcusdt@trade","data":{"e":"trade",'), 2);
    await waitFor(() => a.messages.length === 1 && b.messages.length === 1, 'raw frame');
    assert.equal(a.messages[0], '{"stream":"btcusdt@trade","data":{"e":"trade",');
    assert.equal(b.messages[0], a.messages[0]);
  });

  it('reports connections and per-connection stats, and close() disconnects everyone', async () => {
    const server = await serve({ source: [WS10], speed: 'max' });
    const seen: number[] = [];
    server.on('connection', (i) => seen.push(i.id));
    const next = server.nextConnection();
    const c = connect(server.combinedUrl(['nknusdt@bookTicker']));
    const info = await next;
    assert.deepEqual(info.streams, ['nknusdt@bookticker']);
    assert.equal(info.combined, true);
    await c.opened;
    await server.tapeFinished;
    await waitFor(() => c.messages.length === 74, 'bookTickers');
    const stats = server.stats;
    assert.equal(stats.connectionsOpen, 1);
    assert.equal(stats.connections[0]?.messagesSent, 74);
    assert.equal(stats.messagesSent, 74);
    await server.close();
    assert.equal((await c.closed).code, 1006);
    assert.equal(server.tapeState, 'closed');
    assert.deepEqual(seen, [1]);
  });
});
