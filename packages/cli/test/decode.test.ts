import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deadLetterCodec, tradeCodec } from '@crypto-anomaly/contract';
import { decodeRecord } from '../src/decode.js';

const trade = {
  symbol: 'BTCUSDT', tradeId: 7, eventTimeMs: 2, tradeTimeMs: 1, priceDecimal: '1.5', quantityDecimal: '2',
  price: 1.5, quantity: 2, takerSide: 'BUY' as const, ingestTimeMs: 3,
};

test('a record is decoded by its record-type header', () => {
  const v = Buffer.from(tradeCodec.encode(trade));
  assert.deepEqual(decodeRecord('anything', v, 'cryptoanomaly.v1.Trade'), trade);
});

test('without a header the topic name picks the record kind', () => {
  assert.deepEqual(decodeRecord('raw-trades', Buffer.from(tradeCodec.encode(trade)), undefined), trade);
});

test('a dead letter payload is shown as text', () => {
  const v = Buffer.from(deadLetterCodec.encode({ payload: Buffer.from('oops'), reason: 'NOT_JSON', detail: 'd', source: 'producer', stream: '', receivedAtMs: 1, originalSizeBytes: 4 }));
  assert.equal((decodeRecord('dead-letter', v, undefined) as { payload: string }).payload, 'oops');
});

test('bytes that do not decode are reported, not thrown', () => {
  const out = decodeRecord('raw-trades', Buffer.from([0xff, 0xff, 0xff]), undefined) as { undecodable: string };
  assert.ok(typeof out.undecodable === 'string');
});
