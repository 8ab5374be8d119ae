import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { anomalyType, decide, severityOf, stepIncident } from '@crypto-anomaly/scoring';
import { closedIncident, coldTails, decodeState, encodeState } from '@crypto-anomaly/scoring';
import { syntheticSeries } from '../src/synthetic.js';
import { scoreOneByOne, T0, testScorer } from './helpers.js';

const CFG = { coolDownWindows: 2, persistWindows: 2 };

describe('incidents: one alert per incident per key', () => {
  it('opens on the first candidate, merges consecutive ones and closes after the cool-down', () => {
    const inc = closedIncident();
    const steps = [true, true, false, true, false, false, true].map((c, i) => stepIncident(inc, c, false, 'PRICE_SPIKE', T0 + i * 10_000, CFG));
    assert.deepEqual(steps, ['open', 'continue', 'quiet', 'continue', 'quiet', 'quiet', 'open']);
  });

  it('needs a volatility-only candidate to persist before it alerts', () => {
    const inc = closedIncident();
    const steps = [true, false, true, true].map((c) => stepIncident(inc, c, true, 'VOLATILITY_REGIME_SHIFT', T0, CFG));
    assert.deepEqual(steps, ['pending', 'quiet', 'pending', 'open']);
  });

  it('a candidate of another family during an open incident is a new incident', () => {
    const inc = closedIncident();
    assert.equal(stepIncident(inc, true, false, 'VOLUME_BURST', T0, CFG), 'open');
    assert.equal(stepIncident(inc, true, false, 'FLASH_CRASH', T0 + 10_000, CFG), 'open');
    assert.equal(stepIncident(inc, true, false, 'PRICE_SPIKE', T0 + 20_000, CFG), 'continue');
  });

  it('alerts a spike and its reversal once, and keeps the incident in the state blob', () => {
    const scorer = testScorer();
    const windows = syntheticSeries(8, 'BTCUSDT', 62, T0, (i) => (i === 60 ? { drift: 0.03 } : i === 61 ? { drift: -0.03 } : {}));
    const { results, state } = scoreOneByOne(scorer, windows);
    assert.equal(results[60]!.isAnomaly, true);
    assert.equal(results[61]!.isAnomaly, false);
    assert.ok(results[61]!.votes >= 2, 'the reversal is still anomalous');
    assert.match(results[61]!.reasons.at(-1)!.text, /continues the incident/);
    const inc = decodeState(state, 's').data.incident;
    assert.equal(inc.open, true);
    assert.equal(inc.windows, 2);
    assert.equal(inc.startMs, windows[60]!.windowStartMs);
  });

  it('types an upward price alert with a rush of same-millisecond buys as a pump, but not one buy on a quiet market', () => {
    const ret = { feature: 'log_return', actual: 0.02, typical: 0, z: 30, detector: 'zscore', text: '' };
    const burst = { feature: 'max_buy_burst', actual: 1, typical: 0, z: 12.8, detector: 'mad', text: '' };
    // One taker buy flagged as unusual (the symbol never has same-ms buys): a spike, not a pump.
    assert.equal(anomalyType([ret, burst], 0.5, 1, 1, 100, 5, Infinity), 'PRICE_SPIKE');
    // Six flagged same-ms buys: a pump.
    assert.equal(anomalyType([ret, burst], 0.5, 1, 6, 100, 5, Infinity), 'PUMP_PATTERN');
    // Not flagged, but 40 same-ms buys where 8x the symbol's typical burst is 24: a pump.
    assert.equal(anomalyType([ret], 0.5, 1, 40, 100, 5, 24), 'PUMP_PATTERN');
    assert.equal(anomalyType([ret], 0.5, 1, 20, 100, 5, 24), 'PRICE_SPIKE');
  });

  it('a pump growing out of an open spike incident alerts again, typed PUMP_PATTERN; a second pump window does not', () => {
    const inc = closedIncident();
    const cfg = { coolDownWindows: 3, persistWindows: 2 };
    assert.equal(stepIncident(inc, true, false, 'PRICE_SPIKE', 0, cfg), 'open');
    assert.equal(stepIncident(inc, true, false, 'PUMP_PATTERN', 10_000, cfg), 'open');
    assert.equal(stepIncident(inc, true, false, 'PUMP_PATTERN', 20_000, cfg), 'continue');
    assert.equal(stepIncident(inc, true, false, 'PRICE_SPIKE', 30_000, cfg), 'continue');
  });

  it('reads a version 1 state (no incident block) as a closed incident', () => {
    const data = { prevClose: 100, returns: [0.001], ensemble: new Uint8Array(0), incident: closedIncident(), tails: coldTails(), absReturn: NaN, absReturnCount: 0, prevStartMs: NaN };
    const v3 = encodeState(data);
    // Version 3 = the version 1 header + the 16-byte incident block + the budget block (decision 070).
    const head3 = v3.length - 8 * data.returns.length;
    const v1 = new Uint8Array(12 + 8 * data.returns.length);
    v1.set(v3.subarray(0, 12));
    v1[2] = 1;
    v1.set(v3.subarray(head3), 12);
    const parsed = decodeState(v1, 's');
    assert.equal(parsed.reset, undefined);
    assert.equal(parsed.data.prevClose, 100);
    assert.deepEqual(parsed.data.returns, [0.001]);
    assert.equal(parsed.data.incident.open, false);
  });

  it('reads a version 2 state (no budget block) with cold budget calibrations, and round-trips version 3', () => {
    const data = { prevClose: 100, returns: [0.001], ensemble: new Uint8Array([7]), incident: closedIncident(), tails: coldTails(), absReturn: NaN, absReturnCount: 0, prevStartMs: NaN };
    data.tails[1]!.seen = 500;
    data.tails[1]!.t = 1.5;
    const v3 = encodeState(data);
    const back = decodeState(v3, 's').data;
    assert.equal(back.tails[1]!.seen, 500);
    assert.equal(back.tails[1]!.t, 1.5);
    assert.deepEqual([...back.ensemble], [7]);
    const v2 = new Uint8Array(28 + 8 + 1);
    v2.set(v3.subarray(0, 28));
    v2[2] = 2;
    v2.set(v3.subarray(v3.length - 9), 28);
    const parsed = decodeState(v2, 's');
    assert.equal(parsed.reset, undefined);
    assert.deepEqual(parsed.data.returns, [0.001]);
    assert.equal(parsed.data.tails[1]!.seen, 0);
    assert.ok(Number.isNaN(parsed.data.tails[1]!.t));
    assert.deepEqual([...parsed.data.ensemble], [7]);
  });
});

describe('severity from score quantiles', () => {
  const cal = { decades: 5, points: [{ ratio: 0.5, p: 0.1 }, { ratio: 1, p: 0.01 }, { ratio: 2, p: 0.001 }] };
  it('maps exceedance probabilities to 20 points per decade, monotone and bounded', () => {
    assert.equal(severityOf(0, cal), 0);
    assert.equal(severityOf(0.5, cal), 20);
    assert.equal(severityOf(1, cal), 40);
    assert.equal(severityOf(2, cal), 60);
    assert.equal(severityOf(1e9, cal), 100);
    const s = [0.1, 0.3, 0.7, 1.5, 3, 5].map((x) => severityOf(x, cal));
    assert.deepEqual(s, [...s].sort((a, b) => a - b));
  });
});

describe('consensus with a typed specialist (decision 063)', () => {
  const thresholds = Float64Array.of(5, 8, 4, 1);
  const warm = Uint8Array.of(1, 1, 1, 1);
  const ratios = new Float64Array(4);
  it('a specialist vote alone makes a candidate; one generic vote does not', () => {
    const solo = decide(Float64Array.of(1, 1, 1, 1.2), warm, thresholds, 2, ratios, 3);
    assert.equal(solo.isAnomaly, true);
    assert.equal(solo.votes, 1);
    assert.ok(Math.abs(solo.statistic - 1.2) < 1e-12);
    const one = decide(Float64Array.of(6, 1, 1, 0.5), warm, thresholds, 2, ratios, 3);
    assert.equal(one.isAnomaly, false);
    const two = decide(Float64Array.of(6, 9, 1, 0.5), warm, thresholds, 2, ratios, 3);
    assert.equal(two.isAnomaly, true);
    assert.ok(Math.abs(two.statistic - 9 / 8) < 1e-12, 'statistic = the 2nd largest generic ratio');
  });
  it('types persistent net taking as ONE_SIDED_FLOW ahead of the volume it comes with', () => {
    const r = (feature: string, z: number) => ({ feature, z, actual: 0, typical: 0, detector: 'activity', text: '' });
    assert.equal(anomalyType([r('volume', 4), r('taker_flow', 2)], 0.5), 'ONE_SIDED_FLOW');
    assert.equal(anomalyType([r('volume', 4), r('trade_count', 3)], 0.95), 'VOLUME_BURST');
  });
});
