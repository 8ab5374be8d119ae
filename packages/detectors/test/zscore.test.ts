import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ZScoreDetector } from '../src/index.js';
import { oneFeature, vec } from './helpers.js';

const CLOSE = 1e-6;

describe('ZScoreDetector', () => {
  it('scores the distance from the running mean in running standard deviations', () => {
    const d = new ZScoreDetector(oneFeature(), { warmUp: 3 });
    for (const v of [1, 2, 3]) d.learn(vec(v));
    // Running mean 2, population variance of {1,2,3} = 2/3 (alpha = 1/n while n is small).
    assert.ok(Math.abs(d.score(vec(4)) - 2 / Math.sqrt(2 / 3)) < CLOSE);
    assert.ok(Math.abs(d.score(vec(0)) - 2 / Math.sqrt(2 / 3)) < CLOSE);
    assert.equal(d.score(vec(2)), 0);
  });

  it('takes the largest absolute z over features and names them in explain', () => {
    const d = new ZScoreDetector(oneFeature(), { warmUp: 2 });
    d.learn(vec(0));
    d.learn(vec(2));
    assert.deepEqual(d.explain(vec(4)), { log_return: 3 });
    assert.deepEqual(d.typical('log_return'), { mean: 1, sigma: 1 });
    assert.equal(d.typical('nope'), undefined);
  });

  it('skips a missing feature in scoring and learning', () => {
    const d = new ZScoreDetector(oneFeature(), { warmUp: 2 });
    d.learn(vec(0));
    d.learn(vec(2));
    const before = d.saveState();
    d.learn(vec(NaN));
    assert.deepEqual(d.saveState().subarray(9), before.subarray(9));
    assert.equal(d.score(vec(NaN)), 0);
  });

  it('moves its baseline by at most clip sigmas times alpha for a wild outlier once warm', () => {
    const d = new ZScoreDetector(oneFeature(), { warmUp: 2, halfLife: 1, clip: 3 });
    d.learn(vec(0));
    d.learn(vec(2)); // mean 1, sigma 1
    d.learn(vec(1e9));
    // Winsorised to 1 + 3 = 4, alpha = max(0.5, 1/3) = 0.5 -> mean 2.5.
    assert.equal(d.typical('log_return')!.mean, 2.5);
  });

  it('rejects options outside their range at construction', () => {
    assert.throws(() => new ZScoreDetector(oneFeature(), { halfLife: 0 }), /halfLife=0/);
    assert.throws(() => new ZScoreDetector(oneFeature(), { features: ['volume'] }), /'volume' is not in the schema/);
  });
});
