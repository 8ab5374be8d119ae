import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Scorer as CoreScorer, parseScoringConfig, tradeColumns, type KeyState } from '@crypto-anomaly/scoring';
import { decodeTrades } from '../src/arrow.js';
import { syntheticSeries } from '../src/synthetic.js';
import { scoreOneByOne, T0, testScorer } from './helpers.js';

describe('the sidecar is the scoring core behind the wire', () => {
  it('scores Arrow requests exactly as the core scores the same trades given as columns', () => {
    const series = syntheticSeries(5, 'BTCUSDT', 60, T0, (i) => (i === 45 ? { drift: 0.03, sizeScale: 20 } : {}));
    const wire = scoreOneByOne(testScorer(), series);
    const core = new CoreScorer(parseScoringConfig({}));
    let state: Uint8Array = new Uint8Array(0);
    const results = [];
    for (const w of series) {
      // Rebuild the columns from plain rows, as the backtest does: no Arrow on this path.
      const c = decodeTrades(w.tradesArrow, 'test');
      const rows = Array.from({ length: c.length }, (_, i) => ({
        tradeTimeMs: Number(c.tradeTimeMs[i]!),
        tradeId: Number(c.tradeId[i]!),
        price: c.price[i]!,
        quantity: c.quantity[i]!,
        takerBuy: ((c.takerBuyBits[(c.takerBuyBitOffset + i) >> 3]! >> ((c.takerBuyBitOffset + i) & 7)) & 1) === 1,
      }));
      const states: KeyState[] = [{ key: w.key, state }];
      const { response } = core.score({ bundleId: 'core', states, windows: [{ key: w.key, symbol: w.symbol, interval: w.interval, windowStartMs: w.windowStartMs, windowEndMs: w.windowEndMs, trades: tradeColumns(rows) }] });
      results.push(response.results[0]!);
      state = response.states[0]!.state;
    }
    assert.deepEqual(results, wire.results);
    assert.deepEqual(state, wire.state);
    assert.ok(results.some((r) => r.isAnomaly), 'the planted move alerts on both paths');
  });
});
