import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RecordedMessage } from '@crypto-anomaly/replay';
import { shiftingLoop, shiftMessage } from '../src/tape.js';

const T0 = Date.UTC(2024, 7, 8, 23, 54, 13);
const MINUTE = 60_000;

function trade(symbol: string, id: number, t: number): RecordedMessage {
  const stream = `${symbol.toLowerCase()}@trade`;
  const data = { e: 'trade', E: t + 1, s: symbol, t: id, p: '61000.00000000', q: '0.01000000', T: t, m: false };
  return { receivedAtMs: t + 5, eventTimeMs: t + 1, eventTimeEstimated: false, stream, raw: JSON.stringify({ stream, data }) };
}

function book(symbol: string, u: number, t: number): RecordedMessage {
  const stream = `${symbol.toLowerCase()}@bookTicker`;
  const data = { u, s: symbol, b: '1', B: '1', a: '2', A: '1' };
  return { receivedAtMs: t, eventTimeMs: t, eventTimeEstimated: true, stream, raw: JSON.stringify({ stream, data }) };
}

const TAPE = [trade('BTCUSDT', 100, T0), book('BTCUSDT', 7, T0 + 10), trade('ETHUSDT', 50, T0 + 20), trade('BTCUSDT', 101, T0 + 90_000), trade('ETHUSDT', 51, T0 + 95_000)];

async function collect(it: AsyncIterable<RecordedMessage>): Promise<RecordedMessage[]> {
  const out: RecordedMessage[] = [];
  for await (const m of it) out.push(m);
  return out;
}

const payload = (m: RecordedMessage): Record<string, unknown> => (JSON.parse(m.raw) as { data: Record<string, unknown> }).data;

test('the first pass plays the recording unchanged', async () => {
  const open = shiftingLoop(async function* () { yield* TAPE; });
  assert.deepEqual(await collect(open()), TAPE);
});

test('each later pass moves times by whole minutes past the tape and continues every id sequence without a hole', async () => {
  const open = shiftingLoop(async function* () { yield* TAPE; });
  await collect(open());
  const second = await collect(open());
  const third = await collect(open());
  // The tape spans 95 s (+1 s margin), rounded up to 2 minutes.
  const pass = 2 * MINUTE;
  assert.equal(second[0]!.eventTimeMs, TAPE[0]!.eventTimeMs + pass);
  assert.equal(payload(second[0]!)['T'], T0 + pass);
  assert.equal(payload(second[0]!)['E'], T0 + 1 + pass);
  assert.equal(third[3]!.eventTimeMs, TAPE[3]!.eventTimeMs + 2 * pass);
  // BTCUSDT trade ids 100..101 -> 102..103 -> 104..105; ETHUSDT 50..51 -> 52..53.
  assert.deepEqual(second.filter((m) => m.stream === 'btcusdt@trade').map((m) => payload(m)['t']), [102, 103]);
  assert.deepEqual(third.filter((m) => m.stream === 'btcusdt@trade').map((m) => payload(m)['t']), [104, 105]);
  assert.deepEqual(second.filter((m) => m.stream === 'ethusdt@trade').map((m) => payload(m)['t']), [52, 53]);
  // Book-ticker update ids move too (the producer drops an update id it has seen).
  assert.equal(payload(second[1]!)['u'], 8);
  // Prices, quantities and stream names are untouched.
  assert.equal(payload(second[0]!)['p'], '61000.00000000');
  assert.equal(second[0]!.stream, 'btcusdt@trade');
});

test('a message that is not JSON is only moved in time', () => {
  const m: RecordedMessage = { receivedAtMs: 1, eventTimeMs: 2, eventTimeEstimated: false, stream: 'x@trade', raw: 'not json' };
  const shifted = shiftMessage(m, { timeMs: 60_000, ids: new Map() });
  assert.equal(shifted.raw, 'not json');
  assert.equal(shifted.eventTimeMs, 60_002);
});
