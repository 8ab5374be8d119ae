import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HalfSpaceTreesDetector } from '../src/index.js';
import { ROWS, SCHEMA, oneFeature, run, vec } from './helpers.js';

describe('HalfSpaceTreesDetector', () => {
  it('derives its tree structure from the seed alone', () => {
    const a = run(new HalfSpaceTreesDetector(SCHEMA, { seed: 1 }), ROWS.slice(0, 400));
    const b = run(new HalfSpaceTreesDetector(SCHEMA, { seed: 2 }), ROWS.slice(0, 400));
    assert.notDeepEqual(a, b);
  });

  it('warms up after the normaliser warm-up plus one full reference window', () => {
    const d = new HalfSpaceTreesDetector(SCHEMA, { window: 20, warmUp: 10 });
    assert.equal(d.warmUp, 30);
  });

  it('keeps exactly two one-byte masses per node as state, besides the normaliser', () => {
    const d = new HalfSpaceTreesDetector(SCHEMA, { trees: 10, height: 3 });
    assert.equal(d.stateSize(), 9 + 8 * SCHEMA.size + 2 * 10 * 15);
  });

  it('keeps scores within the range its formula allows', () => {
    // One tree of height 1 and window 8: the path ends at a child of depth 1 (mass m <= 8), so sum r·2^d is in [0, 16] and the score
    // -log2((mass + 1) / (8 · 2 + 1)) is in [0, log2(17)].
    const d = new HalfSpaceTreesDetector(oneFeature(), { trees: 1, height: 1, window: 8, warmUp: 2, sizeLimit: 1 });
    for (let i = 0; i < 10; i++) d.learn(vec(i % 2 === 0 ? -1 : 1));
    assert.ok(d.isWarm());
    for (const v of [-50, -1, 0, 1, 50]) {
      const s = d.score(vec(v));
      assert.ok(s >= 0 && s <= Math.log2(17), `score ${s} for ${v}`);
    }
  });

  it('rates a point far outside the recent data in every feature above a typical one', () => {
    const d = new HalfSpaceTreesDetector(SCHEMA, { seed: 3 });
    run(d, ROWS.slice(0, 300));
    const typical = ROWS[150]!;
    const far = Float64Array.from(typical, (v) => v + 10);
    assert.ok(d.score(far) > d.score(typical) + 1, `${d.score(far)} vs ${d.score(typical)}`);
  });

  it('rejects a window too large for one-byte masses', () => {
    assert.throws(() => new HalfSpaceTreesDetector(SCHEMA, { window: 256 }), /window=256/);
  });
});
