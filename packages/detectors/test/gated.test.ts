import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatedDetector, ZScoreDetector } from '../src/index.js';
import { oneFeature, vec } from './helpers.js';

function warmGate(maxConsecutiveSkips = 2): GatedDetector<ZScoreDetector> {
  const g = new GatedDetector(new ZScoreDetector(oneFeature(), { warmUp: 2 }), { threshold: 5, maxConsecutiveSkips });
  g.learn(vec(0));
  g.learn(vec(2)); // mean 1, sd 1
  return g;
}

describe('GatedDetector', () => {
  it('does not learn from a vector scored at or above its threshold', () => {
    const g = warmGate();
    const inner = g.inner.saveState();
    assert.equal(g.scoreThenLearn(vec(100)), 99);
    assert.deepEqual(g.inner.saveState(), inner);
    assert.equal(g.consecutiveSkips, 1);
  });

  it('learns ordinary vectors and resets the skip count', () => {
    const g = warmGate();
    g.scoreThenLearn(vec(100));
    g.scoreThenLearn(vec(1.5));
    assert.equal(g.consecutiveSkips, 0);
    assert.equal(g.inner.observations, 3);
  });

  it('learns again after maxConsecutiveSkips flagged vectors so a new regime is adopted', () => {
    const g = warmGate(2);
    for (let i = 0; i < 3; i++) g.scoreThenLearn(vec(100));
    assert.equal(g.inner.observations, 3);
    assert.equal(g.consecutiveSkips, 0);
  });

  it('learns everything while the inner detector is cold', () => {
    const g = new GatedDetector(new ZScoreDetector(oneFeature(), { warmUp: 5 }), { threshold: 0 });
    for (let i = 0; i < 5; i++) g.learn(vec(i * 100));
    assert.equal(g.inner.observations, 5);
  });

  it('carries the skip count in its state', () => {
    const g = warmGate();
    g.scoreThenLearn(vec(100));
    const copy = new GatedDetector(new ZScoreDetector(oneFeature(), { warmUp: 2 }), { threshold: 5, maxConsecutiveSkips: 2 });
    copy.loadState(g.saveState());
    assert.equal(copy.consecutiveSkips, 1);
    assert.equal(copy.stateSize(), g.inner.stateSize() + 7);
  });
});
