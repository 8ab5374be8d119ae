import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '@crypto-anomaly/common';
import { BinanceConnection, type ConnectionState } from '../src/connection.js';
import { FakeClock, fakeSockets, tradeFrame, type FakeSocket } from './fakes.js';

const SECOND = 1_000;
const HOUR = 3_600 * SECOND;
const ROTATE_AFTER = 23 * HOUR;
const OVERLAP = 5 * SECOND;
const SILENCE = 60 * SECOND;

/** Advances time the way a healthy Binance connection does: a ping every 20 s on every socket. */
function keepAlive(clock: FakeClock, sockets: FakeSocket[], ms: number): void {
  const PING_EVERY = 20 * SECOND;
  for (let left = ms; left > 0; left -= PING_EVERY) {
    clock.advance(Math.min(PING_EVERY, left));
    for (const s of sockets) if (!s.isClosedByClient) s.ping('keepalive');
  }
}

function setup() {
  const clock = new FakeClock();
  const { factory, sockets } = fakeSockets();
  const frames: string[] = [];
  const states: ConnectionState[] = [];
  const interruptions: string[] = [];
  const rotations: string[] = [];
  const conn = new BinanceConnection(
    {
      url: 'ws://binance.test/stream?streams=btcusdt@trade',
      rotateAfterMs: ROTATE_AFTER,
      overlapMs: OVERLAP,
      silenceTimeoutMs: SILENCE,
      connectTimeoutMs: 10 * SECOND,
      backoff: { initialMs: 500, maxMs: 30 * SECOND, factor: 2, jitter: 1 },
      clock,
      random: () => 0.5,
      socketFactory: factory,
      log: silentLogger(),
    },
    {
      onFrame: (t) => frames.push(t),
      onState: (s) => states.push(s),
      onInterrupted: (r) => interruptions.push(r),
      onRotated: (w) => rotations.push(w),
    },
  );
  return { clock, sockets, frames, states, interruptions, rotations, conn };
}

test('answers every server ping with a pong carrying the same payload', () => {
  const { sockets, conn } = setup();
  conn.start();
  sockets[0]!.open();
  sockets[0]!.ping('1723161601000');
  sockets[0]!.ping('abc');
  assert.deepEqual(sockets[0]!.pongs.map((b) => b.toString()), ['1723161601000', 'abc']);
});

test('goes live on open and forwards frames from the active socket', () => {
  const { sockets, frames, states, conn } = setup();
  conn.start();
  assert.equal(conn.state, 'connecting');
  sockets[0]!.open();
  sockets[0]!.send(tradeFrame('BTCUSDT', 1));
  assert.deepEqual(states, ['connecting', 'live']);
  assert.equal(frames.length, 1);
});

test('pings count as activity, so a quiet market is not mistaken for a dead socket', () => {
  const { clock, sockets, conn } = setup();
  conn.start();
  sockets[0]!.open();
  for (let i = 0; i < 10; i++) {
    clock.advance(20 * SECOND); // Binance pings every 20 s
    sockets[0]!.ping(String(i));
  }
  assert.equal(sockets.length, 1);
  assert.equal(conn.state, 'live');
});

test('a socket silent past the watchdog timeout is replaced after a backoff', () => {
  const { clock, sockets, interruptions, conn } = setup();
  conn.start();
  sockets[0]!.open();
  clock.advance(SILENCE);
  assert.ok(sockets[0]!.isClosedByClient);
  assert.deepEqual(interruptions, ['silence']);
  assert.equal(conn.state, 'backingOff');
  clock.advance(SECOND);
  assert.equal(sockets.length, 2);
  sockets[1]!.open();
  assert.equal(conn.state, 'live');
});

test('backoff grows exponentially with jitter between failed attempts and resets after a success', () => {
  const { clock, sockets, conn } = setup();
  conn.start();
  const openedAt: number[] = [];
  // Fail four connection attempts in a row, noting when each new socket appears.
  for (let i = 0; i < 4; i++) {
    sockets[i]!.fail('ECONNREFUSED');
    const before = sockets.length;
    let waited = 0;
    while (sockets.length === before) {
      clock.advance(10);
      waited += 10;
    }
    openedAt.push(waited);
  }
  // random() = 0.5 with full jitter: delay = 0.5 * 500 * 2^n => 250, 500, 1000, 2000 ms.
  assert.deepEqual(openedAt, [250, 500, 1000, 2000]);
  sockets[4]!.open();
  sockets[4]!.serverClose(1006);
  let waited = 0;
  while (sockets.length === 5) {
    clock.advance(10);
    waited += 10;
  }
  assert.equal(waited, 250, 'a successful open resets the backoff');
});

test('rotates before the 24 h limit with an overlap, holding the new socket\'s frames until the old one is closed', () => {
  const { clock, sockets, frames, rotations, interruptions, conn } = setup();
  conn.start();
  sockets[0]!.open();
  keepAlive(clock, sockets, ROTATE_AFTER);
  assert.equal(sockets.length, 2, 'a standby connection is opened at the rotation time');
  sockets[1]!.open();
  sockets[0]!.send(tradeFrame('BTCUSDT', 100));
  sockets[1]!.send(tradeFrame('BTCUSDT', 100)); // the same trade on both: overlap
  sockets[1]!.send(tradeFrame('BTCUSDT', 101));
  sockets[0]!.send(tradeFrame('BTCUSDT', 101));
  assert.equal(frames.length, 2, 'only the old socket feeds during the overlap');
  clock.advance(OVERLAP);
  assert.ok(sockets[0]!.isClosedByClient, 'the old socket is closed after the overlap');
  assert.equal(frames.length, 4, 'the standby\'s buffered frames are released (duplicates are dropped downstream by id)');
  sockets[1]!.send(tradeFrame('BTCUSDT', 102));
  assert.equal(frames.length, 5);
  assert.deepEqual(rotations, ['scheduled']);
  assert.deepEqual(interruptions, [], 'a rotation is not an interruption');
  assert.equal(conn.state, 'live');
});

test('serverShutdown moves to a fresh connection at once', () => {
  const { clock, sockets, rotations, conn } = setup();
  conn.start();
  sockets[0]!.open();
  keepAlive(clock, sockets, HOUR);
  conn.serverShutdown();
  assert.equal(sockets.length, 2);
  sockets[1]!.open();
  clock.advance(OVERLAP);
  assert.ok(sockets[0]!.isClosedByClient);
  assert.deepEqual(rotations, ['serverShutdown']);
});

test('if the old socket dies during the overlap the open standby takes over without an interruption', () => {
  const { clock, sockets, interruptions, rotations, conn } = setup();
  conn.start();
  sockets[0]!.open();
  keepAlive(clock, sockets, ROTATE_AFTER);
  sockets[1]!.open();
  sockets[0]!.serverClose(1000, '24h');
  assert.deepEqual(rotations, ['primary-lost']);
  assert.deepEqual(interruptions, []);
  assert.equal(conn.state, 'live');
});

test('a connect attempt that never opens times out and is retried', () => {
  const { clock, sockets, interruptions, conn } = setup();
  conn.start();
  clock.advance(10 * SECOND);
  assert.ok(sockets[0]!.terminated);
  assert.deepEqual(interruptions, ['connect-timeout']);
  clock.advance(SECOND);
  assert.equal(sockets.length, 2);
});

test('stop closes every socket and cancels every timer', () => {
  const { clock, sockets, conn } = setup();
  conn.start();
  sockets[0]!.open();
  conn.stop();
  assert.equal(conn.state, 'stopped');
  assert.deepEqual(sockets[0]!.closedWith, { code: 1000, reason: 'client stopping' });
  clock.advance(48 * HOUR);
  assert.equal(sockets.length, 1, 'nothing reconnects after stop');
});

test('pause and resume reach the sockets, including one opened while paused', () => {
  const { clock, sockets, conn } = setup();
  conn.start();
  sockets[0]!.open();
  conn.pause();
  assert.ok(sockets[0]!.paused);
  keepAlive(clock, sockets, ROTATE_AFTER);
  assert.ok(sockets[1]!.paused);
  conn.resume();
  assert.ok(!sockets[0]!.paused && !sockets[1]!.paused);
});
