import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MadDetector } from '../src/index.js';
import { oneFeature, vec } from './helpers.js';

const CLOSE = 1e-9;

describe('MadDetector', () => {
  it('scores |x - median| / (1.4826 * MAD) over the window', () => {
    const d = new MadDetector(oneFeature(), { window: 5, warmUp: 5 });
    for (const v of [1, 2, 3, 4, 100]) d.learn(vec(v));
    // median 3, deviations {2,1,0,1,97} -> MAD 1.
    assert.ok(Math.abs(d.score(vec(6)) - 3 / 1.4826) < CLOSE);
  });

  it('forgets values older than the window', () => {
    const d = new MadDetector(oneFeature(), { window: 5, warmUp: 5 });
    for (const v of [1000, 1000, 1, 2, 3, 4, 5]) d.learn(vec(v));
    // Window is now {3,4,5,1,2}: median 3, MAD 1.
    assert.ok(Math.abs(d.score(vec(0)) - 3 / 1.4826) < CLOSE);
    assert.deepEqual(d.typical('log_return'), { median: 3, sigma: 1.4826 });
  });

  it('falls back to the mean absolute deviation when the MAD is zero', () => {
    const d = new MadDetector(oneFeature(), { window: 5, warmUp: 5 });
    for (const v of [5, 5, 5, 5, 6]) d.learn(vec(v));
    // MAD 0; mean absolute deviation from the median 5 is 0.2 -> sigma 1.2533 * 0.2.
    assert.ok(Math.abs(d.score(vec(7)) - 2 / (1.2533 * 0.2)) < CLOSE);
  });

  it('does not score a feature with fewer than minValues present values', () => {
    const d = new MadDetector(oneFeature(), { window: 6, warmUp: 6, minValues: 4 });
    for (const v of [1, 2, 3, NaN, NaN, NaN]) d.learn(vec(v));
    assert.equal(d.score(vec(100)), 0);
  });

  it('keeps 4 bytes per feature per window slot of state', () => {
    const d = new MadDetector(oneFeature(), { window: 10 });
    assert.equal(d.stateSize(), 9 + 40);
  });
});
