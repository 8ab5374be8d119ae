import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { normalize, type NormalizeContext } from '../src/normalize.js';

const REC = new URL('../../../data/recordings/', import.meta.url);
const RECEIVED_AT = 1_723_161_600_000;

function recordedLines(file: string): string[] {
  const buf = readFileSync(new URL(file, REC));
  const text = file.endsWith('.gz') ? gunzipSync(buf).toString('utf8') : buf.toString('utf8');
  // "<ns> <json>" or "<ts>: <json>": the JSON starts at the first '{'.
  return text.split('\n').filter((l) => l.includes('{')).map((l) => l.slice(l.indexOf('{')));
}

const ctx = (streams: string[], over: Partial<NormalizeContext> = {}): NormalizeContext => ({
  receivedAtMs: RECEIVED_AT,
  streams: new Set(streams),
  maxFrameBytes: 64 * 1024,
  clockOffsetMs: 0,
  ...over,
});

const BTC = ctx(['btcusdt@trade', 'btcusdt@bookTicker', 'btcusdt@aggTrade', 'btcusdt@kline_1m']);

test('every recorded BTCUSDT trade normalises to a Trade with exact decimals and the taker side from m', () => {
  const lines = recordedLines('btcusdt_20240809.gz').filter((l) => l.includes('"btcusdt@trade"'));
  assert.equal(lines.length, 10_147);
  let lastId = 0;
  for (const line of lines) {
    const n = normalize(line, BTC);
    assert.equal(n.kind, 'trade', line);
    if (n.kind !== 'trade') continue;
    const raw = JSON.parse(line).data;
    assert.equal(n.record.priceDecimal, raw.p);
    assert.equal(n.record.quantityDecimal, raw.q);
    assert.equal(n.record.price, Number(raw.p));
    assert.equal(n.record.takerSide, raw.m ? 'SELL' : 'BUY');
    assert.equal(n.record.tradeTimeMs, raw.T);
    assert.equal(n.record.eventTimeMs, raw.E);
    assert.ok(n.record.tradeId > lastId);
    lastId = n.record.tradeId;
  }
});

test('recorded book tickers normalise with an event time estimated from the clock offset', () => {
  const line = recordedLines('btcusdt_20240809.gz').find((l) => l.includes('@bookTicker'))!;
  const n = normalize(line, { ...BTC, clockOffsetMs: 1_272 });
  assert.equal(n.kind, 'bookTicker');
  if (n.kind !== 'bookTicker') return;
  assert.equal(n.record.eventTimeEstimated, true);
  assert.equal(n.record.eventTimeMs, RECEIVED_AT + 1_272);
  assert.ok(n.record.askPrice >= n.record.bidPrice);
  assert.equal(n.record.bidPriceDecimal, JSON.parse(line).data.b);
});

test('recorded aggTrade and kline_1m messages normalise to AggTrade and Kline', () => {
  const lines = recordedLines('BINANCE.ws.1.0');
  const streams = lines.map((l) => JSON.parse(l).stream as string);
  const c = ctx(streams);
  const agg = lines.filter((l) => l.includes('@aggTrade"')).map((l) => normalize(l, c));
  const kl = lines.filter((l) => l.includes('@kline_1m"')).map((l) => normalize(l, c));
  assert.equal(agg.length, 2);
  assert.equal(kl.length, 2);
  for (const n of agg) {
    assert.equal(n.kind, 'aggTrade');
    if (n.kind === 'aggTrade') assert.ok(n.record.lastTradeId >= n.record.firstTradeId);
  }
  for (const n of kl) {
    assert.equal(n.kind, 'kline');
    if (n.kind !== 'kline') continue;
    assert.equal(n.record.interval, '1m');
    assert.equal(n.record.source, 'BINANCE');
    assert.ok(n.record.high >= n.record.low);
    assert.equal(n.record.closeTimeMs - n.record.openTimeMs, 59_999);
  }
});

const TRADE = { e: 'trade', E: 1723161601445, s: 'BTCUSDT', t: 3735693016, p: '61685.99000000', q: '0.00081000', T: 1723161601444, m: true, M: true };
const frame = (data: object, stream = 'btcusdt@trade'): string => JSON.stringify({ stream, data });

function rejectReason(text: string, c: NormalizeContext = BTC): string {
  const n = normalize(text, c);
  assert.equal(n.kind, 'deadLetter', `expected a dead letter for ${text.slice(0, 80)}`);
  return n.kind === 'deadLetter' ? `${n.record.reason}: ${n.record.detail}` : '';
}

test('a frame that is not JSON is dead-lettered as NOT_JSON with its raw bytes', () => {
  const n = normalize('{"stream":"btcusdt@trade","data":{', BTC);
  assert.equal(n.kind, 'deadLetter');
  if (n.kind !== 'deadLetter') return;
  assert.equal(n.record.reason, 'NOT_JSON');
  assert.equal(Buffer.from(n.record.payload).toString(), '{"stream":"btcusdt@trade","data":{');
  assert.equal(n.record.source, 'producer');
});

test('JSON that is not a combined-stream envelope is BAD_ENVELOPE', () => {
  assert.match(rejectReason('[1,2,3]'), /^BAD_ENVELOPE/);
  assert.match(rejectReason('{"result":null,"id":1}'), /^BAD_ENVELOPE/);
  assert.match(rejectReason(JSON.stringify({ stream: 'btcusdt@trade', data: 'x' })), /^BAD_ENVELOPE/);
});

test('a stream that was not subscribed or is not supported is UNKNOWN_STREAM', () => {
  assert.match(rejectReason(frame(TRADE, 'dogeusdt@trade')), /^UNKNOWN_STREAM: stream "dogeusdt@trade"/);
  assert.match(rejectReason(frame({}, 'btcusdt@depth'), ctx(['btcusdt@depth'])), /^UNKNOWN_STREAM/);
});

test('a missing field is MISSING_FIELD and the detail names it', () => {
  const { p: _p, ...noPrice } = TRADE;
  assert.equal(rejectReason(frame(noPrice)), 'MISSING_FIELD: data.p: required field is missing');
});

test('a mistyped field is BAD_FIELD_TYPE and the detail names it', () => {
  assert.match(rejectReason(frame({ ...TRADE, t: '3735693016' })), /^BAD_FIELD_TYPE: data\.t: expected an integer/);
  assert.match(rejectReason(frame({ ...TRADE, p: 61685.99 })), /^BAD_FIELD_TYPE: data\.p: expected a decimal string/);
  assert.match(rejectReason(frame({ ...TRADE, m: 'yes' })), /^BAD_FIELD_TYPE: data\.m/);
});

test('a price or quantity that is zero, negative, NaN or infinite is NON_POSITIVE_VALUE', () => {
  for (const bad of ['0.00000000', '-1.5', 'NaN', 'Infinity', '-0']) {
    assert.match(rejectReason(frame({ ...TRADE, p: bad })), /^NON_POSITIVE_VALUE: data\.p/, bad);
  }
  assert.match(rejectReason(frame({ ...TRADE, q: '0' })), /^NON_POSITIVE_VALUE: data\.q/);
});

test('an oversized frame is OVERSIZED_FRAME and its payload is truncated to the limit', () => {
  const big = frame({ ...TRADE, pad: 'x'.repeat(10_000) });
  const n = normalize(big, { ...BTC, maxFrameBytes: 1_024 });
  assert.equal(n.kind, 'deadLetter');
  if (n.kind !== 'deadLetter') return;
  assert.equal(n.record.reason, 'OVERSIZED_FRAME');
  assert.equal(n.record.payload.length, 1_024);
  assert.equal(n.record.originalSizeBytes, Buffer.byteLength(big));
});

test('a payload whose symbol differs from its stream is SYMBOL_MISMATCH', () => {
  assert.match(rejectReason(frame({ ...TRADE, s: 'ETHUSDT' })), /^SYMBOL_MISMATCH/);
});

test('serverShutdown is recognised bare and inside an envelope', () => {
  assert.deepEqual(normalize('{"e":"serverShutdown","E":1723161601000}', BTC), { kind: 'serverShutdown', eventTimeMs: 1723161601000 });
  assert.equal(normalize(frame({ e: 'serverShutdown', E: 5 }), BTC).kind, 'serverShutdown');
});

test('no mutation of a real frame makes the normaliser throw', () => {
  // Deterministic fuzz: truncate, flip and splice bytes of real frames.
  const seeds = recordedLines('btcusdt_20240809.gz').slice(0, 200);
  let state = 42;
  const rnd = (n: number): number => {
    state = (state * 1_103_515_245 + 12_345) & 0x7fffffff;
    return state % n;
  };
  for (let i = 0; i < 5_000; i++) {
    const s = seeds[rnd(seeds.length)]!;
    const at = rnd(s.length);
    const mutated = [s.slice(0, at), s.slice(at, at + 1) === '"' ? '' : String.fromCharCode(32 + rnd(90)), s.slice(at + 1)].join('');
    assert.doesNotThrow(() => normalize(rnd(3) === 0 ? s.slice(0, at) : mutated, BTC));
  }
});

const AGG = { e: 'aggTrade', E: 1723161601000, s: 'BTCUSDT', a: 500, p: '61685.99', q: '0.01', f: 1000, l: 1003, T: 1723161601000, m: false, M: true };
const KLINE = {
  e: 'kline', E: 1723161660000, s: 'BTCUSDT',
  k: { t: 1723161600000, T: 1723161659999, s: 'BTCUSDT', i: '1m', f: 100, L: 200, o: '61600.00', c: '61650.00', h: '61700.00', l: '61550.00', v: '10.5', n: 101, x: true, q: '647000.0', V: '5.2', Q: '320000.0', B: '0' },
};

test('ids and the fields of a record must agree with each other: negative ids, first > last, high < low, another interval are INCONSISTENT_RECORD (issue 12)', () => {
  assert.match(rejectReason(frame({ ...TRADE, t: -7 })), /^INCONSISTENT_RECORD: data\.t: ids are not negative/);
  assert.match(rejectReason(frame({ ...AGG, a: -1 }, 'btcusdt@aggTrade')), /^INCONSISTENT_RECORD: data\.a/);
  assert.match(rejectReason(frame({ ...AGG, f: 1004, l: 1003 }, 'btcusdt@aggTrade')), /^INCONSISTENT_RECORD: data\.f: first trade id 1004 is above the last/);
  assert.equal(normalize(JSON.stringify({ stream: 'btcusdt@kline_1m', data: KLINE }), BTC).kind, 'kline');
  const k = (over: Record<string, unknown>) => frame({ ...KLINE, k: { ...KLINE.k, ...over } }, 'btcusdt@kline_1m');
  assert.match(rejectReason(k({ h: '61500.00' })), /^INCONSISTENT_RECORD: data\.k\.h: high 61500\.00 is below low 61550\.00/);
  assert.match(rejectReason(k({ o: '61800.00' })), /^INCONSISTENT_RECORD: data\.k\.o/);
  assert.match(rejectReason(k({ c: '61500.00' })), /^INCONSISTENT_RECORD: data\.k\.c/);
  assert.match(rejectReason(k({ i: '5m' })), /^INCONSISTENT_RECORD: data\.k\.i: interval "5m" arrived on stream "btcusdt@kline_1m"/);
  assert.match(rejectReason(k({ T: 1723161500000 })), /^INCONSISTENT_RECORD: data\.k\.T/);
  assert.match(rejectReason(k({ n: -1 })), /^INCONSISTENT_RECORD: data\.k\.n/);
  assert.match(rejectReason(k({ V: '11' })), /^INCONSISTENT_RECORD: data\.k\.V/);
  assert.match(rejectReason(k({ f: 300 })), /^INCONSISTENT_RECORD: data\.k\.f\/L/);
  // A kline without trades carries f = L = -1 on Binance: valid.
  assert.equal(normalize(JSON.stringify({ stream: 'btcusdt@kline_1m', data: { ...KLINE, k: { ...KLINE.k, f: -1, L: -1, n: 0, v: '0', V: '0', q: '0', Q: '0', o: '61600.00', c: '61600.00', h: '61600.00', l: '61600.00' } } }), BTC).kind, 'kline');
});
