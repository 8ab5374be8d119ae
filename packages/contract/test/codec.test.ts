import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alertCodec, codecForTypeName, deadLetterCodec, gapCodec, tradeCodec, type Trade } from '../src/index.js';

const TRADE: Trade = {
  symbol: 'BTCUSDT',
  tradeId: 3735693016,
  eventTimeMs: 1723161601445,
  tradeTimeMs: 1723161601444,
  priceDecimal: '61685.99000000',
  quantityDecimal: '0.00081000',
  price: 61685.99,
  quantity: 0.00081,
  takerSide: 'SELL',
  ingestTimeMs: 1723161600173,
};

test('a trade survives an encode/decode round trip with ids and times as plain numbers', () => {
  const back = tradeCodec.decode(tradeCodec.encode(TRADE));
  assert.deepEqual(back, TRADE);
  assert.equal(typeof back.tradeId, 'number');
});

test('enum values travel by name without their prefix', () => {
  const gap = gapCodec.decode(
    gapCodec.encode({
      symbol: 'ETHUSDT', stream: 'TRADE', firstMissingId: 10, lastMissingId: 12, missingCount: 3,
      beforeEventTimeMs: 1, afterEventTimeMs: 2, detectedAtMs: 3, acrossReconnect: true,
    }),
  );
  assert.equal(gap.stream, 'TRADE');
  assert.equal(gap.missingCount, 3);
});

test('a dead letter keeps its raw payload bytes exactly', () => {
  const payload = new TextEncoder().encode('{not json');
  const back = deadLetterCodec.decode(
    deadLetterCodec.encode({ payload, reason: 'NOT_JSON', detail: 'x', source: 'producer', stream: '', receivedAtMs: 5, originalSizeBytes: 9 }),
  );
  assert.deepEqual(Buffer.from(back.payload), Buffer.from(payload));
  assert.equal(back.reason, 'NOT_JSON');
});

test('an unknown enum name is rejected instead of silently becoming zero', () => {
  assert.throws(() => tradeCodec.encode({ ...TRADE, takerSide: 'SIDEWAYS' as never }), /unknown enum value SIDEWAYS/);
});

test('codecs are found by their protobuf type name', () => {
  assert.equal(codecForTypeName('cryptoanomaly.v1.Trade'), tradeCodec);
  assert.equal(codecForTypeName('nope.Thing'), undefined);
});

test('an alert with nested reasons, scores and a feature map survives a round trip', () => {
  const alert = {
    symbol: 'BTCUSDT', interval: '10s', windowStartMs: 1_723_161_600_000, windowEndMs: 1_723_161_610_000,
    close: 61_700.5, returnPct: 2.5, votes: 3, voters: 4, isAnomaly: true, confidence: 'HIGH' as const, severity: 87,
    type: 'PRICE_SPIKE' as const,
    reasons: [{ feature: 'log_return', actual: 0.025, typical: 0.0001, z: 9.8, detector: 'zscore', text: 'return +2.5%' }],
    detectorScores: [{ detector: 'zscore', score: 9.8, vote: true, warm: true }],
    features: { log_return: 0.025, volume: 12.5 },
    configVersion: 'cfg-1', modelVersion: 'none', tradeCount: 1_234,
  };
  const back = alertCodec.decode(alertCodec.encode(alert));
  assert.deepEqual(back, alert);
});
