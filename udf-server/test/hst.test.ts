import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '@crypto-anomaly/common';
import { hstStateBytes, parseUdfConfig } from '../src/config.js';
import { syntheticSeries } from '../src/synthetic.js';
import { requestOf, scoreOneByOne, T0, testScorer } from './helpers.js';

/** Half-space trees in the sidecar's ensemble (decision 067). */
describe('half-space trees in the sidecar', () => {
  const series = syntheticSeries(21, 'BTCUSDT', 60, T0);
  const hstScores = (r: ReturnType<typeof scoreOneByOne>) => r.results.map((a) => a.detectorScores.find((d) => d.detector === 'hst')?.score);

  it('is in the ensemble by default and warms up at window warmUp (24), before the generic detectors', () => {
    const { results } = scoreOneByOne(testScorer(), series);
    const warmAt = (name: string) => results.findIndex((a) => a.detectorScores.find((d) => d.detector === name)?.warm === true);
    assert.equal(warmAt('hst'), 24);
    assert.ok(warmAt('zscore') > warmAt('hst') && warmAt('mad') > warmAt('hst'));
  });

  it('is a pure function of (request, config): the same seed gives identical responses, another seed other hst scores', () => {
    const a = scoreOneByOne(testScorer(), series);
    const b = scoreOneByOne(testScorer(), series);
    assert.deepEqual(a, b);
    const c = scoreOneByOne(testScorer({ detectors: { hst: { seed: 7 } } }), series);
    assert.notDeepEqual(hstScores(c).slice(30), hstScores(a).slice(30));
  });

  it('in the cold-start role votes only while fewer than minVotes generic detectors are warm, and alone makes an alert', () => {
    // A new symbol: a +5 % window with 30x sizes at window 26, when only hst is warm (generic: 30-32).
    const spiky = syntheticSeries(22, 'BTCUSDT', 45, T0, (i) => (i === 26 || i === 40 ? { drift: 0.05, sizeScale: 30, trades: 400 } : {}));
    const { results } = scoreOneByOne(testScorer(), spiky);
    let votes = 0;
    for (const a of results) {
      const d = a.detectorScores.find((x) => x.detector === 'hst')!;
      const warmGeneric = a.detectorScores.filter((x) => ['zscore', 'mad', 'volatility'].includes(x.detector) && x.warm).length;
      if (!d.warm || warmGeneric >= 2) assert.equal(d.vote, false);
      else assert.equal(d.vote, d.score >= 2);
      if (d.vote) votes++;
    }
    assert.equal(votes, 1);
    const cold = results[26]!;
    assert.ok(cold.detectorScores.find((d) => d.detector === 'hst')!.vote);
    // Its vote alone is a candidate, typed from the features its own normaliser finds unusual.
    assert.equal(cold.isAnomaly, true);
    assert.equal(cold.type, 'PRICE_SPIKE');
    assert.ok(cold.reasons.some((r) => r.detector === 'hst' && r.feature === 'log_return'), JSON.stringify(cold.reasons));
    // Without hst the same window is not covered at all.
    const off = scoreOneByOne(testScorer({ detectors: { hst: { role: 'off' } } }), spiky).results[26]!;
    assert.equal(off.isAnomaly, false);
    assert.equal(off.voters, 0);
  });

  it('in the vote role counts towards minVotes; off removes it (no state, no score)', () => {
    const vote = scoreOneByOne(testScorer({ detectors: { hst: { role: 'vote' } } }), series);
    assert.ok(vote.results.at(-1)!.detectorScores.some((d) => d.detector === 'hst' && d.warm));
    const off = scoreOneByOne(testScorer({ detectors: { hst: { role: 'off' } } }), series);
    assert.ok(off.results.every((a) => !a.detectorScores.some((d) => d.detector === 'hst')));
    const on = scoreOneByOne(testScorer(), series);
    assert.equal(on.state.length - off.state.length, 3 + 3 + hstStateBytes(25, 3, 5));
  });

  it('starts hst cold in an existing key state without it, and reports that once (log + metric)', () => {
    const off = testScorer({ detectors: { hst: { role: 'off' } } });
    const { state } = scoreOneByOne(off, series.slice(0, 40));
    const on = testScorer();
    const { response, diagnostics } = on.scoreBundle(requestOf([series[40]!], [{ key: 'BTCUSDT/10s', state }]));
    assert.deepEqual(diagnostics.stateResets, [{ key: 'BTCUSDT/10s', reason: 'detector state missing (new detector), started cold: hst' }]);
    // The other detectors kept their state.
    assert.ok(response.results[0]!.detectorScores.find((d) => d.detector === 'zscore')!.warm);
    const next = on.scoreBundle(requestOf([series[41]!], response.states));
    assert.deepEqual(next.diagnostics.stateResets, []);
  });

  it('validates its config: warm-up, state budget, features', () => {
    assert.throws(() => parseUdfConfig({ scoring: { detectors: { hst: { window: 16, warmUp: 17 } } } }), (e: unknown) => e instanceof ConfigError && /hst\.warmUp/.test(e.message));
    assert.throws(() => parseUdfConfig({ scoring: { detectors: { hst: { trees: 100, height: 5 } } } }), (e: unknown) => e instanceof ConfigError && /bytes of state per key/.test(e.message));
    assert.throws(() => parseUdfConfig({ scoring: { detectors: { hst: { features: ['spread_bps'] } } } }), ConfigError);
    assert.throws(() => parseUdfConfig({ scoring: { detectors: { hst: { role: 'sometimes' } } } }), ConfigError);
    assert.throws(() => parseUdfConfig({ scoring: { detectors: { hst: { window: 256 } } } }), ConfigError);
  });
});
