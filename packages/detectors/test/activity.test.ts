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
});
