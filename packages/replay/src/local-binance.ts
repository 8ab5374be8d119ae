import { EventEmitter } from 'node:events';
import { STATUS_CODES, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { describeError, silentLogger, type Logger } from '@crypto-anomaly/common';
import { envelopeOf, payloadOf } from './envelope.js';
import { openBundledRecording, openRecordings } from './merge.js';
import { Pacer, realClock, validateSpeed, type PaceClock, type Speed } from './pace.js';
import type { RecordedMessage } from './types.js';

/** Binance's documented limits and timings (spot WebSocket streams). */
export const BINANCE_PING_INTERVAL_MS = 20_000;
export const BINANCE_PONG_TIMEOUT_MS = 60_000;
export const BINANCE_CONNECTION_LIFETIME_MS = 24 * 60 * 60 * 1000;
export const BINANCE_MAX_STREAMS_PER_CONNECTION = 1024;

export interface LocalBinanceOptions {
  /** 0 (default) = any free port. */
  readonly port?: number;
  readonly host?: string;
  /**
   * What the tape plays: a factory (called once per pass, so `loop` works) or recording file
   * paths (merged by event time). Default: the bundled 11-minute BTCUSDT+ETHUSDT recording.
   */
  readonly source?: (() => AsyncIterable<RecordedMessage>) | readonly string[];
  /** Default 1 (real time). */
  readonly speed?: Speed;
  readonly pingIntervalMs?: number;
  /** A client that sends no pong for this long is terminated (default 60 s, Binance's). */
  readonly pongTimeoutMs?: number;
  /** The server closes each connection this long after it opened (default 24 h, like Binance). */
  readonly connectionLifetimeMs?: number;
  /** Start the tape when the first client connects (default true) instead of at once. */
  readonly startOnFirstConnection?: boolean;
  /** Start again from the beginning when the tape ends (the recorded E values and ids repeat). */
  readonly loop?: boolean;
  /** Delay between the serverShutdown event and closing the sockets (default 1000 ms). */
  readonly shutdownCloseDelayMs?: number;
  /** The tape pauses while any socket has more than this many bytes queued (default 1 MiB). */
  readonly highWaterMarkBytes?: number;
  /** A socket with more than this queued is terminated as a slow consumer so it cannot stall the tape forever (default 64 MiB). */
  readonly maxBufferedBytes?: number;
  /** Cap on quiet gaps in the tape's event time (default none). */
  readonly maxGapMs?: number;
  /** Clock for the tape's pacing (connection timers always use real timers). */
  readonly clock?: PaceClock;
  readonly logger?: Logger;
}

/** Why a connection ended, as the server saw it. */
export type CloseCause = 'client' | 'drop' | 'pong-timeout' | 'lifetime' | 'server-shutdown' | 'server-close' | 'slow-consumer';

export interface ConnectionInfo {
  readonly id: number;
  /** Request path with query, e.g. "/stream?streams=btcusdt@trade/ethusdt@trade". */
  readonly path: string;
  /** True for /stream (envelopes), false for /ws (bare payloads). */
  readonly combined: boolean;
  /** Current subscriptions, lower-cased. */
  readonly streams: readonly string[];
  /** Date.now() when the connection opened. */
  readonly connectedAt: number;
  /** Tape messages sent to this connection (not counting sendRaw, serverShutdown or method replies). */
  readonly messagesSent: number;
  readonly remoteAddress: string | undefined;
}

export interface DisconnectInfo {
  readonly cause: CloseCause;
  /** Close code as seen by the server (1006 after terminate). */
  readonly code: number;
  readonly reason: string;
}

export interface TapeSummary {
  readonly messages: number;
  /** Completed passes over the source (more than 1 only with `loop`). */
  readonly passes: number;
  readonly reason: 'end' | 'closed' | 'error';
  readonly error?: unknown;
}

export interface LocalBinanceStats {
  /** Messages the tape emitted (whether or not anyone was subscribed). */
  readonly tapeMessages: number;
  readonly tapeByStream: Readonly<Record<string, number>>;
  /** Frames sent to clients per stream, summed over connections. */
  readonly sentByStream: Readonly<Record<string, number>>;
  readonly messagesSent: number;
  readonly connectionsAccepted: number;
  readonly connectionsOpen: number;
  /** Open connections, each with its own `messagesSent`. */
  readonly connections: readonly ConnectionInfo[];
  readonly rejectedUpgrades: number;
  readonly backpressureStalls: number;
}

export type TapeState = 'idle' | 'playing' | 'finished' | 'closed';

export type LocalBinanceEvents = {
  connection: [ConnectionInfo];
  disconnect: [ConnectionInfo, DisconnectInfo];
  /** A text frame from a client (after SUBSCRIBE/UNSUBSCRIBE handling). */
  clientMessage: [ConnectionInfo, string];
  tapeStarted: [];
  /** A new pass began (loop); argument = passes completed so far. */
  tapeLooped: [number];
  tapeFinished: [TapeSummary];
};

interface Conn {
  readonly id: number;
  readonly ws: WebSocket;
  readonly path: string;
  readonly combined: boolean;
  readonly streams: Set<string>;
  readonly connectedAt: number;
  readonly remoteAddress: string | undefined;
  sent: number;
  cause: CloseCause | undefined;
  pingTimer: NodeJS.Timeout | undefined;
  pongTimer: NodeJS.Timeout | undefined;
  lifetimeTimer: NodeJS.Timeout | undefined;
}

/**
 * A local stand-in for wss://stream.binance.com:9443 that plays a recording, so the producer's
 * live code path (connect, subscribe, parse, ping/pong, reconnect, gap detection) runs offline.
 *
 * The tape is a broadcast, like a real exchange: one timeline plays, and each client receives
 * the messages of its streams from the moment it connected. A message emitted while a client is
 * disconnected is lost for it; the producer's gap detection relies on exactly that.
 */
export class LocalBinance extends EventEmitter<LocalBinanceEvents> {
  readonly host: string;
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly opts: LocalBinanceOptions;
  private readonly speed: Speed;
  private readonly log: Logger;
  private readonly conns = new Set<Conn>();
  private readonly abort = new AbortController();
  private readonly shutdownTimers = new Set<NodeJS.Timeout>();
  private readonly lowerCache = new Map<string, string>();
  private nextId = 1;
  private boundPort = 0;
  private state: TapeState = 'idle';
  private paused = false;
  private pingsPaused = false;
  private resumeWaiters: Array<() => void> = [];
  private tapeRun: Promise<void> | undefined;
  private resolveFinished!: (s: TapeSummary) => void;
  private closing: Promise<void> | undefined;
  private readonly counters = {
    tapeMessages: 0,
    tapeByStream: {} as Record<string, number>,
    sentByStream: {} as Record<string, number>,
    messagesSent: 0,
    connectionsAccepted: 0,
    rejectedUpgrades: 0,
    backpressureStalls: 0,
  };

  /** Resolves (never rejects) when the tape ends, errs, or the server closes. */
  readonly tapeFinished: Promise<TapeSummary>;

  /** Use `startLocalBinance()`, which also listens. */
  constructor(options: LocalBinanceOptions = {}) {
    super();
    this.opts = options;
    this.host = options.host ?? '127.0.0.1';
    this.speed = validateSpeed(options.speed ?? 1);
    this.log = options.logger ?? silentLogger();
    this.tapeFinished = new Promise((resolve) => (this.resolveFinished = resolve));
    // perMessageDeflate off: Binance streams are not compressed, and it would hide bufferedAmount.
    this.wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false });
    this.http = createServer((req, res) => this.onHttpRequest(req, res));
    this.http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
  }

  /** @internal */
  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.opts.port ?? 0, this.host, () => {
        this.http.off('error', reject);
        resolve();
      });
    });
    this.boundPort = (this.http.address() as AddressInfo).port;
    if (this.opts.startOnFirstConnection === false) this.startTape();
  }

  get port(): number {
    return this.boundPort;
  }

  /** ws://HOST:PORT (no path). */
  get url(): string {
    const h = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `ws://${h}:${this.boundPort}`;
  }

  /** Combined-stream URL: ws://HOST:PORT/stream?streams=a/b. */
  combinedUrl(streams: readonly string[]): string {
    return `${this.url}/stream?streams=${streams.join('/')}`;
  }

  /** Raw-stream URL: ws://HOST:PORT/ws/a (several: /ws/a/b). */
  rawUrl(...streams: string[]): string {
    return `${this.url}/ws/${streams.join('/')}`;
  }

  /** Open connections. */
  get connections(): number {
    let n = 0;
    for (const c of this.conns) if (c.ws.readyState === WebSocket.OPEN) n++;
    return n;
  }

  get tapeState(): TapeState {
    return this.state;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  get stats(): LocalBinanceStats {
    const c = this.counters;
    return {
      tapeMessages: c.tapeMessages,
      tapeByStream: { ...c.tapeByStream },
      sentByStream: { ...c.sentByStream },
      messagesSent: c.messagesSent,
      connectionsAccepted: c.connectionsAccepted,
      connectionsOpen: this.connections,
      connections: [...this.conns].map((x) => info(x)),
      rejectedUpgrades: c.rejectedUpgrades,
      backpressureStalls: c.backpressureStalls,
    };
  }

  /** Starts the tape now (no-op if it already runs or ran). */
  startTape(): void {
    if (this.state !== 'idle') return;
    this.state = 'playing';
    this.emit('tapeStarted');
    this.tapeRun = this.runTape();
  }

  /**
   * Silences the tape (for watchdog tests): nothing is sent until resume(); the timeline halts
   * rather than skipping. Pings continue unless `pings: false` (then the pong timeout is
   * suspended too, so silent clients are not disconnected for it).
   */
  pause(options: { pings?: boolean } = {}): void {
    this.paused = true;
    if (options.pings === false) {
      this.pingsPaused = true;
      for (const c of this.conns) clearTimeout(c.pongTimer);
    }
  }

  resume(): void {
    this.paused = false;
    if (this.pingsPaused) {
      this.pingsPaused = false;
      for (const c of this.conns) this.armPongTimer(c);
    }
    const waiters = this.resumeWaiters;
    this.resumeWaiters = [];
    for (const w of waiters) w();
  }

  /** Abruptly terminates every socket (no close frame), as a network failure would. Returns how many. */
  dropConnections(): number {
    let n = 0;
    for (const c of this.conns) {
      if (c.ws.readyState === WebSocket.CLOSED) continue;
      c.cause ??= 'drop';
      c.ws.terminate();
      n++;
    }
    return n;
  }

  /**
   * Sends Binance's `{"e":"serverShutdown","E":<ms>}` (bare, no envelope, on raw and combined
   * connections alike) to every open client and closes those sockets `closeAfterMs` later
   * (code 1001). New connections are still accepted, as a reconnect would reach another server.
   */
  sendServerShutdown(options: { closeAfterMs?: number } = {}): number {
    const delay = options.closeAfterMs ?? this.opts.shutdownCloseDelayMs ?? 1000;
    const text = JSON.stringify({ e: 'serverShutdown', E: Date.now() });
    const targets = [...this.conns].filter((c) => c.ws.readyState === WebSocket.OPEN);
    for (const c of targets) c.ws.send(text);
    const timer = setTimeout(() => {
      this.shutdownTimers.delete(timer);
      for (const c of targets) this.closeConn(c, 'server-shutdown', 1001, 'server shutdown');
    }, delay);
    this.shutdownTimers.add(timer);
    return targets.length;
  }

  /** Sends one arbitrary text frame to every open client regardless of subscriptions (e.g. malformed input). */
  sendRaw(text: string): number {
    let n = 0;
    for (const c of this.conns) {
      if (c.ws.readyState !== WebSocket.OPEN) continue;
      c.ws.send(text);
      n++;
    }
    return n;
  }

  /** Resolves with the next connection to open. */
  nextConnection(timeoutMs = 5000): Promise<ConnectionInfo> {
    return new Promise((resolve, reject) => {
      const onConn = (i: ConnectionInfo): void => {
        clearTimeout(t);
        resolve(i);
      };
      const t = setTimeout(() => {
        this.off('connection', onConn);
        reject(new Error(`no connection within ${timeoutMs} ms`));
      }, timeoutMs);
      this.once('connection', onConn);
    });
  }

  /** Resolves once at least `n` connections are open. */
  async waitForConnections(n = 1, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.connections < n) {
      if (Date.now() > deadline) throw new Error(`expected ${n} open connections within ${timeoutMs} ms, have ${this.connections}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Stops the tape, terminates all sockets and stops listening. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    const wasIdle = this.state === 'idle';
    this.state = 'closed';
    this.abort.abort();
    this.resume();
    for (const t of this.shutdownTimers) clearTimeout(t);
    this.shutdownTimers.clear();
    for (const c of this.conns) {
      c.cause ??= 'server-close';
      c.ws.terminate();
    }
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.http.closeAllConnections();
    await closed;
    if (wasIdle) this.finish({ messages: 0, passes: 0, reason: 'closed' });
    // The tape notices `closed` at its next step; don't let a stuck custom source block close().
    if (this.tapeRun !== undefined) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.tapeRun, new Promise<void>((r) => (timer = setTimeout(r, 2000)))]);
      clearTimeout(timer);
    }
  }

  // ---- tape -------------------------------------------------------------------------------

  private makeSource(): AsyncIterable<RecordedMessage> {
    const src = this.opts.source;
    if (src === undefined) return openBundledRecording({ logger: this.log });
    if (typeof src === 'function') return src();
    return openRecordings(src, { logger: this.log });
  }

  private get closed(): boolean {
    return this.state === 'closed';
  }

  private async runTape(): Promise<void> {
    let passes = 0;
    let reason: TapeSummary['reason'] = 'end';
    let error: unknown;
    const clock = this.opts.clock ?? realClock;
    const hwm = this.opts.highWaterMarkBytes ?? 1024 * 1024;
    try {
      // One pacer for all passes: its yield-to-event-loop counter must survive short looping tapes.
      const pacer = new Pacer({ speed: this.speed, clock, signal: this.abort.signal, ...(this.opts.maxGapMs === undefined ? {} : { maxGapMs: this.opts.maxGapMs }) });
      let emptyPass = false;
      do {
        if (passes > 0) this.emit('tapeLooped', passes);
        // A new pass starts its timeline now (the recorded times restart from the beginning).
        pacer.rebase();
        const iterator = this.makeSource()[Symbol.asyncIterator]();
        const before = this.counters.tapeMessages;
        let exhausted = false;
        try {
          while (!this.closed) {
            const r = await iterator.next();
            if (r.done === true) {
              exhausted = true;
              break;
            }
            const item = r.value;
            await pacer.wait(item.eventTimeMs);
            // Pause and backpressure halt the timeline; afterwards re-anchor so the tape
            // continues from here instead of bursting to catch up.
            let stalled = false;
            while (!this.closed && (this.paused || this.backpressured(hwm))) {
              stalled = true;
              if (this.paused) await new Promise<void>((res) => this.resumeWaiters.push(res));
              else {
                this.counters.backpressureStalls++;
                await clock.sleep(5, this.abort.signal);
              }
            }
            if (this.closed) break;
            if (stalled) pacer.rebase(item.eventTimeMs);
            this.broadcast(item);
          }
        } finally {
          if (!exhausted) await iterator.return?.();
        }
        if (exhausted) passes++;
        // Looping an empty source would spin forever.
        emptyPass = this.counters.tapeMessages === before;
      } while (this.opts.loop === true && !this.closed && !emptyPass);
      if (this.closed) reason = 'closed';
    } catch (err) {
      if (this.closed) reason = 'closed';
      else {
        reason = 'error';
        error = err;
        this.log.error({ err: describeError(err) }, 'local binance tape failed');
      }
    }
    if (!this.closed) this.state = 'finished';
    this.finish(error === undefined ? { messages: this.counters.tapeMessages, passes, reason } : { messages: this.counters.tapeMessages, passes, reason, error });
  }

  private finish(summary: TapeSummary): void {
    this.resolveFinished(summary);
    this.emit('tapeFinished', summary);
  }

  private backpressured(hwm: number): boolean {
    const max = this.opts.maxBufferedBytes ?? 64 * 1024 * 1024;
    let over = false;
    for (const c of this.conns) {
      const b = c.ws.bufferedAmount;
      if (b > max && c.ws.readyState === WebSocket.OPEN) {
        this.log.warn({ id: c.id, bufferedAmount: b }, 'terminating slow consumer');
        c.cause ??= 'slow-consumer';
        c.ws.terminate();
      } else if (b > hwm && c.ws.readyState === WebSocket.OPEN) over = true;
    }
    return over;
  }

  private broadcast(item: RecordedMessage): void {
    const c = this.counters;
    c.tapeMessages++;
    c.tapeByStream[item.stream] = (c.tapeByStream[item.stream] ?? 0) + 1;
    let key = this.lowerCache.get(item.stream);
    if (key === undefined) {
      key = item.stream.toLowerCase();
      this.lowerCache.set(item.stream, key);
    }
    let envelope: string | undefined;
    let payload: string | undefined;
    for (const conn of this.conns) {
      if (!conn.streams.has(key) || conn.ws.readyState !== WebSocket.OPEN) continue;
      // Combined: the recorded envelope as-is; raw: the payload cut out of it, byte-identical.
      const text = conn.combined ? (envelope ??= envelopeOf(item.stream, item.raw)) : (payload ??= payloadOf(item.raw));
      conn.ws.send(text);
      conn.sent++;
      c.messagesSent++;
      c.sentByStream[item.stream] = (c.sentByStream[item.stream] ?? 0) + 1;
    }
  }

  // ---- connections ------------------------------------------------------------------------

  private onHttpRequest(req: IncomingMessage, res: ServerResponse): void {
    const route = parseStreamPath(req.url ?? '/');
    const status = route.ok ? 426 : route.status;
    const body = JSON.stringify({ code: -1, msg: route.ok ? 'WebSocket upgrade required' : route.message });
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    const route = parseStreamPath(req.url ?? '/');
    if (!route.ok) {
      this.counters.rejectedUpgrades++;
      const body = JSON.stringify({ code: -1, msg: route.message });
      socket.end(
        `HTTP/1.1 ${route.status} ${STATUS_CODES[route.status] ?? ''}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, req, route));
  }

  private onConnection(ws: WebSocket, req: IncomingMessage, route: RouteOk): void {
    const conn: Conn = {
      id: this.nextId++,
      ws,
      path: req.url ?? '/',
      combined: route.combined,
      streams: new Set(route.streams),
      connectedAt: Date.now(),
      remoteAddress: req.socket.remoteAddress,
      sent: 0,
      cause: undefined,
      pingTimer: undefined,
      pongTimer: undefined,
      lifetimeTimer: undefined,
    };
    this.conns.add(conn);
    this.counters.connectionsAccepted++;

    const pingInterval = this.opts.pingIntervalMs ?? BINANCE_PING_INTERVAL_MS;
    conn.pingTimer = setInterval(() => {
      if (!this.pingsPaused && ws.readyState === WebSocket.OPEN) ws.ping();
    }, pingInterval);
    this.armPongTimer(conn);
    ws.on('pong', () => this.armPongTimer(conn));
    const lifetime = this.opts.connectionLifetimeMs ?? BINANCE_CONNECTION_LIFETIME_MS;
    conn.lifetimeTimer = setTimeout(() => this.closeConn(conn, 'lifetime', 1000, 'connection lifetime reached'), lifetime);

    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) return;
      const text = rawDataToString(data);
      this.handleClientMessage(conn, text);
      this.emit('clientMessage', info(conn), text);
    });
    ws.on('error', (err) => this.log.debug({ id: conn.id, err: describeError(err) }, 'client socket error'));
    ws.on('close', (code: number, reason: Buffer) => {
      clearInterval(conn.pingTimer);
      clearTimeout(conn.pongTimer);
      clearTimeout(conn.lifetimeTimer);
      this.conns.delete(conn);
      this.emit('disconnect', info(conn), { cause: conn.cause ?? 'client', code, reason: reason.toString() });
    });

    this.emit('connection', info(conn));
    if (this.opts.startOnFirstConnection !== false) this.startTape();
  }

  private armPongTimer(conn: Conn): void {
    clearTimeout(conn.pongTimer);
    if (this.pingsPaused || conn.ws.readyState !== WebSocket.OPEN) return;
    const timeout = this.opts.pongTimeoutMs ?? BINANCE_PONG_TIMEOUT_MS;
    conn.pongTimer = setTimeout(() => {
      this.log.info({ id: conn.id }, 'no pong within timeout; disconnecting');
      conn.cause ??= 'pong-timeout';
      conn.ws.terminate();
    }, timeout);
  }

  private closeConn(conn: Conn, cause: CloseCause, code: number, reason: string): void {
    if (conn.ws.readyState !== WebSocket.OPEN) return;
    conn.cause ??= cause;
    conn.ws.close(code, reason);
  }

  /**
   * Binance's live subscription methods on an open connection: SUBSCRIBE, UNSUBSCRIBE,
   * LIST_SUBSCRIPTIONS. Replies follow the documented shapes ({"result":..,"id":..} and
   * {"code":..,"msg":..,"id":..} for errors).
   */
  private handleClientMessage(conn: Conn, text: string): void {
    let req: { method?: unknown; params?: unknown; id?: unknown };
    try {
      req = JSON.parse(text) as typeof req;
    } catch {
      conn.ws.send(JSON.stringify({ code: 3, msg: 'Invalid JSON' }));
      return;
    }
    if (typeof req !== 'object' || req === null) {
      conn.ws.send(JSON.stringify({ code: 2, msg: 'Invalid request' }));
      return;
    }
    const id = req.id ?? null;
    const params = Array.isArray(req.params) ? req.params : [];
    const reply = (body: object): void => conn.ws.send(JSON.stringify(body));
    switch (req.method) {
      case 'SUBSCRIBE':
      case 'UNSUBSCRIBE': {
        const names = params.filter((p): p is string => typeof p === 'string').map((p) => p.toLowerCase());
        if (names.length !== params.length || !names.every(isValidStreamName)) {
          reply({ code: 2, msg: 'Invalid request: invalid stream name', id });
          return;
        }
        for (const n of names) {
          if (req.method === 'SUBSCRIBE') conn.streams.add(n);
          else conn.streams.delete(n);
        }
        reply({ result: null, id });
        return;
      }
      case 'LIST_SUBSCRIPTIONS':
        reply({ result: [...conn.streams], id });
        return;
      default:
        reply({ code: 2, msg: 'Invalid request: unknown method', id });
    }
  }
}

/** Creates the local Binance and starts listening; `url`/`port` are valid once this resolves. */
export async function startLocalBinance(options: LocalBinanceOptions = {}): Promise<LocalBinance> {
  const server = new LocalBinance(options);
  await server.listen();
  return server;
}

// ---- routing ------------------------------------------------------------------------------

interface RouteOk {
  readonly ok: true;
  readonly combined: boolean;
  /** Lower-cased. */
  readonly streams: string[];
}
export type StreamRoute = RouteOk | { readonly ok: false; readonly status: 400 | 404; readonly message: string };

const STREAM_NAME = /^[a-z0-9!_.@-]{1,100}$/;

export function isValidStreamName(name: string): boolean {
  return STREAM_NAME.test(name);
}

/**
 * Binance's endpoints: `/stream?streams=a/b/c` (combined, envelopes) and `/ws/<a>[/<b>...]`
 * (raw payloads); `/ws` and `/stream` with no streams are valid too (SUBSCRIBE later).
 * Names are lower-cased ("btcusdt@bookTicker" and "BTCUSDT@bookticker" are the same stream).
 * Anything else: 404; a malformed stream name or too many streams: 400.
 */
export function parseStreamPath(requestUrl: string): StreamRoute {
  let url: URL;
  try {
    url = new URL(requestUrl, 'http://localhost');
  } catch {
    return { ok: false, status: 400, message: 'Invalid request URL' };
  }
  let combined: boolean;
  let names: string[];
  const path = url.pathname.replace(/\/+$/, '');
  if (path === '/stream') {
    combined = true;
    names = (url.searchParams.get('streams') ?? '').split('/');
  } else if (path === '/ws' || path.startsWith('/ws/')) {
    combined = false;
    try {
      names = path.slice(3).split('/').map((s) => decodeURIComponent(s));
    } catch {
      return { ok: false, status: 400, message: 'Invalid stream name' };
    }
  } else {
    return { ok: false, status: 404, message: `Unknown path ${url.pathname}` };
  }
  const streams = [...new Set(names.filter((n) => n.length > 0).map((n) => n.toLowerCase()))];
  const bad = streams.find((n) => !isValidStreamName(n));
  if (bad !== undefined) return { ok: false, status: 400, message: `Invalid stream name: ${bad}` };
  if (streams.length > BINANCE_MAX_STREAMS_PER_CONNECTION) return { ok: false, status: 400, message: `Too many streams (max ${BINANCE_MAX_STREAMS_PER_CONNECTION})` };
  return { ok: true, combined, streams };
}

function info(c: Conn): ConnectionInfo {
  return {
    id: c.id,
    path: c.path,
    combined: c.combined,
    streams: [...c.streams],
    connectedAt: c.connectedAt,
    messagesSent: c.sent,
    remoteAddress: c.remoteAddress,
  };
}

function rawDataToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
