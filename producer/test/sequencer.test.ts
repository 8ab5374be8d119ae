import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sequencer } from '../src/sequencer.js';

const DETECTED_AT = 1_000;

test('consecutive trade ids are accepted without a gap', () => {
  const s = new Sequencer(() => DETECTED_AT);
  for (let id = 10; id < 20; id++) assert.deepEqual(s.observe('trade:BTCUSDT', 'BTCUSDT', id, id, 'TRADE'), { accept: true });
});

test('an id at or below the last one is a duplicate and is dropped', () => {
  const s = new Sequencer();
  s.observe('trade:BTCUSDT', 'BTCUSDT', 10, 0, 'TRADE');
  s.observe('trade:BTCUSDT', 'BTCUSDT', 11, 0, 'TRADE');
  assert.deepEqual(s.observe('trade:BTCUSDT', 'BTCUSDT', 11, 0, 'TRADE'), { accept: false, reason: 'duplicate' });
  assert.deepEqual(s.observe('trade:BTCUSDT', 'BTCUSDT', 5, 0, 'TRADE'), { accept: false, reason: 'duplicate' });
});

test('a hole in the trade ids becomes a Gap naming the first and last missing id', () => {
  const s = new Sequencer(() => DETECTED_AT);
  s.observe('trade:ETHUSDT', 'ETHUSDT', 100, 5_000, 'TRADE');
  const v = s.observe('trade:ETHUSDT', 'ETHUSDT', 104, 6_000, 'TRADE');
  assert.ok(v.accept);
  assert.deepEqual(v.accept && v.gap, {
    symbol: 'ETHUSDT', stream: 'TRADE', firstMissingId: 101, lastMissingId: 103, missingCount: 3,
    beforeEventTimeMs: 5_000, afterEventTimeMs: 6_000, detectedAtMs: DETECTED_AT, acrossReconnect: false,
  });
});

test('a gap after a reconnect is marked as spanning it', () => {
  const s = new Sequencer();
  s.observe('trade:BTCUSDT', 'BTCUSDT', 1, 0, 'TRADE');
  s.markReconnect();
  const v = s.observe('trade:BTCUSDT', 'BTCUSDT', 9, 0, 'TRADE');
  assert.equal(v.accept && v.gap?.acrossReconnect, true);
  const w = s.observe('trade:BTCUSDT', 'BTCUSDT', 12, 0, 'TRADE');
  assert.equal(w.accept && w.gap?.acrossReconnect, false, 'the flag is consumed by the first record after the reconnect');
});

test('sequences without contiguous ids are only de-duplicated', () => {
  const s = new Sequencer();
  s.observe('bookTicker:BTCUSDT', 'BTCUSDT', 100, 0);
  assert.deepEqual(s.observe('bookTicker:BTCUSDT', 'BTCUSDT', 250, 0), { accept: true });
});

test('symbols and kinds are sequenced independently', () => {
  const s = new Sequencer();
  s.observe('trade:BTCUSDT', 'BTCUSDT', 100, 0, 'TRADE');
  assert.deepEqual(s.observe('trade:ETHUSDT', 'ETHUSDT', 5, 0, 'TRADE'), { accept: true });
  assert.deepEqual(s.observe('aggTrade:BTCUSDT', 'BTCUSDT', 1, 0, 'AGG_TRADE'), { accept: true });
});

test('one id far ahead cannot silence a market: it is implausible, not published, and later real ids still pass (issue 12)', () => {
  let now = 0;
  const s = new Sequencer(() => now);
  for (let id = 1_000_000; id < 1_000_100; id++) {
    now += 10;
    assert.equal(s.observe('trade:BTCUSDT', 'BTCUSDT', id, now, 'TRADE').accept, true);
  }
  now += 10;
  const v = s.observe('trade:BTCUSDT', 'BTCUSDT', 2 ** 53 - 1, now, 'TRADE');
  assert.equal(v.accept, false);
  assert.equal(!v.accept && v.reason, 'implausible');
  now += 10;
  assert.deepEqual(s.observe('trade:BTCUSDT', 'BTCUSDT', 1_000_100, now, 'TRADE'), { accept: true }, 'the next real trade is not "already seen"');
});

test('a long outage still allows a large honest jump, reported as a gap', () => {
  let now = 0;
  const s = new Sequencer(() => now);
  for (let id = 1; id <= 50; id++) {
    now += 20; // 50 trades a second
    s.observe('trade:BTCUSDT', 'BTCUSDT', id, now, 'TRADE');
  }
  now += 3_600_000; // an hour away: ~180,000 trades at that rate
  const v = s.observe('trade:BTCUSDT', 'BTCUSDT', 50 + 180_000, now, 'TRADE');
  assert.equal(v.accept && v.gap?.missingCount, 179_999);
});

test('a bogus first id is recovered from: a run of increasing ids below it resets the mark', () => {
  let now = 0;
  const s = new Sequencer(() => now);
  s.observe('trade:BTCUSDT', 'BTCUSDT', 2 ** 53 - 1, 0, 'TRADE');
  let accepted = 0;
  for (let id = 500; id < 540; id++) {
    now += 10;
    if (s.observe('trade:BTCUSDT', 'BTCUSDT', id, now, 'TRADE').accept) accepted++;
  }
  assert.equal(accepted, 40 - 19, 'after 19 held back, every later trade passes');
});
