import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromBinary, toBinary, type DescMessage } from '@bufbuild/protobuf';
import { syntheticSeries } from '../src/synthetic.js';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse } from '../src/wire.js';
import { requestOf, T0, testScorer } from './helpers.js';

// The generated schemas are not exported by @crypto-anomaly/contract (see docs/decisions/030),
// so this test loads them from the contract's build output by file URL to pin wire.ts to them.
const genUrl = new URL('../../../packages/contract/dist/src/gen/cryptoanomaly/v1/scoring_pb.js', import.meta.url);
const gen = (await import(genUrl.href)) as Record<string, DescMessage>;
const RequestSchema = gen['ScoreBundleRequestSchema']!;
const ResponseSchema = gen['ScoreBundleResponseSchema']!;

describe('scoring wire codec', () => {
  const windows = syntheticSeries(31, 'BTCUSDT', 2, T0);
  const kline = {
    symbol: 'BTCUSDT', interval: '10s', openTimeMs: T0, closeTimeMs: T0 + 9_999, firstTradeId: 1, lastTradeId: 50,
    openDecimal: '100', highDecimal: '101', lowDecimal: '99', closeDecimal: '100.5', open: 100, high: 101, low: 99, close: 100.5,
    baseVolumeDecimal: '1', quoteVolumeDecimal: '100', takerBuyBaseVolumeDecimal: '0.5', takerBuyQuoteVolumeDecimal: '50',
    baseVolume: 1, quoteVolume: 100, takerBuyBaseVolume: 0.5, takerBuyQuoteVolume: 50, tradeCount: 50, vwap: 100,
    isClosed: true, eventTimeMs: T0 + 10_000, source: 'FLINK' as const,
  };
  const book = { quoteCount: 812, spreadBpsTwa: 0.0213, spreadBpsGeo: 0.0171, spreadBpsMax: 1.25, spreadBpsLast: 0.0016, lastBid: 61685.99, lastAsk: 61686, depthQuoteTwa: 48_211.5, depthQuoteMin: 1.2, maxQuoteGapMs: 1_204, crossedOrLocked: 2 };
  const req = requestOf([{ ...windows[0]!, kline, book }, windows[1]!], [{ key: 'BTCUSDT/10s', state: new Uint8Array([1, 2, 3]) }], 'bundle-7');

  it('encodes requests exactly as the generated schema does', () => {
    const mine = encodeRequest(req);
    const viaGen = toBinary(RequestSchema, fromBinary(RequestSchema, mine));
    assert.deepEqual(mine, viaGen);
    const msg = fromBinary(RequestSchema, mine) as unknown as { bundleId: string; windows: { windowStartMs: bigint; kline?: { close: number } }[] };
    assert.equal(msg.bundleId, 'bundle-7');
    assert.equal(msg.windows[0]!.windowStartMs, BigInt(T0));
    assert.equal(msg.windows[0]!.kline?.close, 100.5);
    const sent = msg as unknown as { windows: { book?: { quoteCount: number; spreadBpsGeo: number; maxQuoteGapMs: bigint } }[] };
    assert.equal(sent.windows[0]!.book?.quoteCount, 812);
    assert.equal(sent.windows[0]!.book?.spreadBpsGeo, 0.0171);
    assert.equal(sent.windows[0]!.book?.maxQuoteGapMs, 1_204n);
    assert.equal(sent.windows[1]!.book, undefined, 'absent book stays absent');
  });

  it('decodes what the generated schema encodes', () => {
    const decoded = decodeRequest(toBinary(RequestSchema, fromBinary(RequestSchema, encodeRequest(req))));
    assert.deepEqual(decoded, req);
  });

  it('encodes responses exactly as the generated schema does and round-trips them', () => {
    const response = testScorer().scoreBundle(requestOf(windows)).response;
    const mine = encodeResponse(response);
    assert.deepEqual(toBinary(ResponseSchema, fromBinary(ResponseSchema, mine)), mine);
    assert.deepEqual(decodeResponse(mine), response);
  });

  it('skips fields it does not know', () => {
    const withUnknown = new Uint8Array([...encodeRequest(req), 0xa0, 0x06, 0x01]); // field 100, varint 1
    assert.deepEqual(decodeRequest(withUnknown), req);
  });
});
