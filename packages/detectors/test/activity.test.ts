import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ActivityDetector, FeatureSchema, mulberry32 } from '../src/index.js';

const SCHEMA = new FeatureSchema([
  { name: 'volume', transform: 'log1p' },
  { name: 'trade_count', transform: 'log1p' },
  { name: 'realized_vol', transform: 'identity' },
  { name: 'volume_imbalance', transform: 'identity' },
]);

/** A window in raw units, transformed like the sidecar does. */
function win(volume: number, count: number, vol: number, imbalance: number): Float64Array {
  return SCHEMA.vectorise({ volume, trade_count: count, realized_vol: vol, volume_imbalance: imbalance });
}

/** 64 ordinary windows: log-normal volume around 10 (sigma ~0.5), counts around 200, two-sided flow. */
function warmed(seed = 3): ActivityDetector {
  const d = new ActivityDetector(SCHEMA);
  const rng = mulberry32(seed);
  for (let i = 0; i < 64; i++) d.learn(win(10 * Math.exp(0.5 * rng.normal()), Math.round(200 * Math.exp(0.3 * rng.normal())), 1e-3 * Math.exp(0.4 * rng.normal()), 0.6 * (rng.next() - 0.5)));
  return d;
}

describe('ActivityDetector', () => {
  it('flags x30 volume with x10 trades as a burst in robust log-space sigmas, and not x3', () => {
    const d = warmed();
    const burst = d.components(win(300, 2000, 1e-3, 0.1));
    assert.ok(burst.burst > 3 && burst.volumeZ > 4, JSON.stringify(burst));
    assert.ok(Math.abs(burst.typicalVolume - 10) < 2, `typical volume ${burst.typicalVolume}`);
    assert.ok(d.score(win(300, 2000, 1e-3, 0.1)) >= 1);
    assert.ok(d.score(win(30, 400, 1e-3, 0.1)) < 1, 'x3 volume is ordinary');
  });

  it('needs two windows of one-sided net taking in the same direction for flow', () => {
    const d = warmed();
    // One big one-sided window alone is not flow.
    assert.equal(d.components(win(40, 300, 1e-3, 0.9)).flow, 0);
    d.learn(win(40, 300, 1e-3, 0.9));
    const second = d.components(win(40, 300, 1e-3, 0.85));
    // min(0.9^2 x 4, 0.85^2 x 4) typical volumes, give or take the baseline.
    assert.ok(second.flow > 2 && second.flow < 3.5, JSON.stringify(second));
    assert.ok(d.score(win(40, 300, 1e-3, 0.85)) >= 1);
    // Opposite sign: no persistence.
    assert.equal(d.components(win(40, 300, 1e-3, -0.9)).flow, 0);
    // Two-sided busy windows: not flow (imbalance-weighted).
    d.learn(win(40, 300, 1e-3, 0.3));
    assert.ok(d.components(win(40, 300, 1e-3, 0.3)).flow < 0.5);
  });

  it('flags a tenfold realized volatility and does not learn what it flagged', () => {
    const d = warmed();
    const x = win(10, 200, 1e-2, 0);
    assert.ok(d.components(x).vol > 3);
    const before = d.observations;
    const blob = d.saveState();
    d.learn(x);
    assert.equal(d.observations, before, 'a flagged window is not part of the baseline');
    assert.ok(d.components(x).vol > 3);
    assert.notDeepEqual(d.saveState(), blob, 'the skip counter and previous flow still move');
  });

  it('adopts a lasting change after maxConsecutiveSkips flagged windows', () => {
    const d = new ActivityDetector(SCHEMA, { maxConsecutiveSkips: 3, window: 8, warmUp: 8, minValues: 4 });
    for (let i = 0; i < 8; i++) d.learn(win(10 + (i % 3), 200, 1e-3, 0));
    let last = 0;
    for (let i = 0; i < 40; i++) {
      last = d.scoreThenLearn(win(1000, 20000, 1e-3, 0));
    }
    assert.ok(last < 1, `still flagged after 40 windows of the new level: ${last}`);
  });

  it('keeps its state at 9 + 32 x 12 + 6 bytes and rejects another window size', () => {
    const d = warmed();
    assert.equal(d.stateSize(), 9 + 32 * 12 + 6);
    assert.throws(() => new ActivityDetector(SCHEMA, { window: 16 }).loadState(d.saveState()), /does not match/);
  });

  describe('spread channel (book tickers, decision 066)', () => {
    const SPREAD = new FeatureSchema([
      { name: 'volume', transform: 'log1p' },
      { name: 'trade_count', transform: 'log1p' },
      { name: 'realized_vol', transform: 'identity' },
      { name: 'volume_imbalance', transform: 'identity' },
      { name: 'spread_bps', transform: 'identity' },
    ]);
    const q = (volume: number, spread: number): Float64Array =>
      SPREAD.vectorise({ volume, trade_count: 200, realized_vol: 1e-3, volume_imbalance: 0, spread_bps: spread });
    /** 32 windows: spread 0.01 bps x exp(0.02 k), k = -15..16 (tick-bound: tiny robust sigma). */
    function spreadWarmed(): ActivityDetector {
      const d = new ActivityDetector(SPREAD);
      for (let k = -15; k <= 16; k++) d.learn(q(10, 0.01 * Math.exp(0.02 * k)));
      return d;
    }

    it('scores ln(spread) against its median with the scale floored at spreadMinScale', () => {
      const d = spreadWarmed();
      const c = d.components(q(10, 0.05));
      // ln values 0.02 k around ln 0.01: median ln 0.01 + 0.01 (k = 0.5 between 0 and 1), MAD
      // x 1.4826 = 0.16 x 1.4826 = 0.237 > floor 0.1.
      const med = Math.log(0.01) + 0.01;
      const scale = 1.4826 * 0.16;
      assert.ok(Math.abs(c.spreadZ - (Math.log(0.05) - med) / scale) < 1e-5, JSON.stringify(c));
      assert.ok(Math.abs(c.typicalSpread - Math.exp(med)) < 1e-8);
      assert.ok(Math.abs(d.score(q(10, 0.05)) - c.spread / 5) < 1e-9, 'x5 spread: z 6.8 / level 5');
      assert.ok(d.score(q(10, 0.015)) < 1, 'x1.5 spread stays below the level');
    });

    it('does not vote on spread, nor learn it, for a window without quotes', () => {
      const d = spreadWarmed();
      const before = d.components(q(10, 0.05)).spreadZ;
      assert.equal(d.components(q(10, NaN)).spread, 0);
      assert.ok(d.score(q(10, NaN)) < 1);
      for (let i = 0; i < 40; i++) d.learn(q(10, NaN));
      assert.equal(d.components(q(10, 0.05)).spreadZ, before, 'the spread baseline is untouched by quote-less windows');
    });

    it('does not learn a blowout it flagged and keeps the 4-channel state at 9 + 32 x 16 + 6 bytes', () => {
      const d = spreadWarmed();
      const blob = d.saveState();
      assert.ok(d.score(q(10, 0.5)) >= 1);
      d.learn(q(10, 0.5));
      const e = new ActivityDetector(SPREAD);
      e.loadState(blob);
      assert.deepEqual(d.components(q(10, 0.05)), e.components(q(10, 0.05)), 'the flagged window was not learned');
      assert.equal(d.stateSize(), 9 + 32 * 16 + 6);
      // A schema without the spread feature keeps the 3-channel layout (old states stay readable).
      assert.equal(new ActivityDetector(SCHEMA).stateSize(), 9 + 32 * 12 + 6);
      assert.throws(() => new ActivityDetector(SCHEMA).loadState(blob), /fingerprint/);
    });
  });
});
