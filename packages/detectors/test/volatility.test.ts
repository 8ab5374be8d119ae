import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FeatureSchema, VolatilityRegimeDetector } from '../src/index.js';
import { vec } from './helpers.js';

const SCHEMA = new FeatureSchema([
  { name: 'log_return', transform: 'identity' },
  { name: 'realized_vol', transform: 'identity' },
]);
const CLOSE = 1e-5;

describe('VolatilityRegimeDetector', () => {
  it('scores a return in units of the current regime volatility', () => {
    const d = new VolatilityRegimeDetector(SCHEMA, { warmUp: 4 });
    for (const r of [0.01, -0.01, 0.01, -0.01]) d.learn(vec(r, NaN));
    // Mean of r^2 = 1e-4 -> regime sigma 0.01; a 3 % move is a 3-sigma event.
    assert.ok(Math.abs(d.score(vec(0.03, NaN)) - 3) < CLOSE);
  });

  it('follows a new regime with the RiskMetrics decay', () => {
    const d = new VolatilityRegimeDetector(SCHEMA, { warmUp: 2, lambda: 0.9 });
    d.learn(vec(0.01, NaN));
    d.learn(vec(0.01, NaN)); // variance 1e-4
    d.learn(vec(0.03, NaN)); // alpha = max(0.1, 1/3): 2/3 * 1e-4 + 1/3 * 9e-4 = 3.6667e-4
    d.learn(vec(0.03, NaN)); // alpha = max(0.1, 1/4): 3/4 * 3.6667e-4 + 1/4 * 9e-4 = 5e-4
    assert.ok(Math.abs(d.score(vec(Math.sqrt(5e-4), NaN)) - 1) < CLOSE);
  });

  it('scores a shift of log realized volatility against its slow baseline', () => {
    const d = new VolatilityRegimeDetector(SCHEMA, { warmUp: 2 });
    d.learn(vec(NaN, 1));
    d.learn(vec(NaN, Math.exp(2))); // log-vol mean 1, sd 1
    assert.ok(Math.abs(d.score(vec(NaN, Math.exp(4))) - 3) < CLOSE);
    assert.ok(Math.abs(d.score(vec(NaN, Math.exp(1)))) < CLOSE);
  });

  it('needs at least one of its two features in the schema', () => {
    assert.throws(() => new VolatilityRegimeDetector(new FeatureSchema([{ name: 'volume', transform: 'log1p' }])), /neither/);
  });
});
