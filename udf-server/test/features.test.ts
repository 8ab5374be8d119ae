import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeTrades, tradesToArrow, type TradeRow } from '../src/arrow.js';
import { computeFeatures, F, RAW_SIZE } from '@crypto-anomaly/scoring';

// Four trades in a 10 s window, small enough to compute every feature by hand.
const WINDOW_MS = 10_000;
const FIXTURE: TradeRow[] = [
  { tradeTimeMs: 1_000, tradeId: 1, price: 100, quantity: 1, takerBuy: true },
  { tradeTimeMs: 2_000, tradeId: 2, price: 101, quantity: 2, takerBuy: false },
  { tradeTimeMs: 3_000, tradeId: 3, price: 101, quantity: 0.5, takerBuy: true },
  { tradeTimeMs: 4_000, tradeId: 4, price: 99, quantity: 1.5, takerBuy: false },
];
const PREV_CLOSE = 98;
const PREV_RETURNS = [0.01, -0.02, 0.005, 0.003, 0.007];

function features(prevClose = PREV_CLOSE, prevReturns = PREV_RETURNS, momentumWindows = 5): Float64Array {
  const out = new Float64Array(RAW_SIZE);
  computeFeatures(decodeTrades(tradesToArrow(FIXTURE), 'fixture'), WINDOW_MS, prevClose, prevReturns, momentumWindows, out);
  return out;
}

const close = (actual: number, expected: number): void => assert.ok(Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected)), `${actual} != ${expected}`);

describe('window features', () => {
  const f = features();

  it('log_return is ln(close / previous close)', () => close(f[F.logReturn]!, Math.log(99 / 98)));
  it('return_pct is the simple return in percent', () => close(f[F.returnPct]!, (99 / 98 - 1) * 100));
  it('realized_vol is the root of summed squared trade-to-trade log returns', () => close(f[F.realizedVol]!, Math.sqrt(Math.log(101 / 100) ** 2 + Math.log(99 / 101) ** 2)));
  it('vwap is quote volume over base volume', () => close(f[F.vwap]!, 501 / 5));
  it('vwap_dev is the close relative to the vwap', () => close(f[F.vwapDev]!, (99 - 100.2) / 100.2));
  it('volume is the summed base quantity', () => close(f[F.volume]!, 5));
  it('volume_imbalance is taker buy minus taker sell over volume', () => close(f[F.volumeImbalance]!, (1.5 - 3.5) / 5));
  it('momentum is the linearly weighted sum of this and the previous four window log returns', () =>
    close(f[F.momentum]!, Math.log(99 / 98) + 0.2 * -0.02 + 0.4 * 0.005 + 0.6 * 0.003 + 0.8 * 0.007));
  it('trade_count counts the trades', () => assert.equal(f[F.tradeCount], 4));
  it('trade_rate is trades per second of window length', () => close(f[F.tradeRate]!, 0.4));
  it('max_trade_share is the largest quantity over volume', () => close(f[F.maxTradeShare]!, 0.4));
  it('close is the last trade price', () => assert.equal(f[F.close], 99));

  it('a first window has a missing log_return and momentum and a zero return_pct', () => {
    const g = features(NaN, []);
    assert.ok(Number.isNaN(g[F.logReturn]!));
    assert.ok(Number.isNaN(g[F.momentum]!));
    assert.equal(g[F.returnPct], 0);
    close(g[F.volume]!, 5);
  });

  it('momentum over one window is just the log return', () => close(features(PREV_CLOSE, PREV_RETURNS, 1)[F.momentum]!, Math.log(99 / 98)));

  it('a non-positive price is refused as a bad trade', () => {
    const bad = tradesToArrow([{ ...FIXTURE[0]!, price: 0 }]);
    assert.throws(() => computeFeatures(decodeTrades(bad, 'w'), WINDOW_MS, 1, [], 5, new Float64Array(RAW_SIZE)), { reason: 'BAD_TRADE' });
  });
});
