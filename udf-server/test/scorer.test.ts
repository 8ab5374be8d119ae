import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tradesToArrow } from '../src/arrow.js';
import { encodeState, decodeState } from '@crypto-anomaly/scoring';
import { syntheticSeries } from '../src/synthetic.js';
import { encodeResponse } from '../src/wire.js';
import { requestOf, scoreOneByOne, T0, testScorer } from './helpers.js';

const WARM_UP_WINDOWS = 60;

describe('stateless scoring', () => {
  it('two windows of one key in one bundle equal the same windows in two bundles with the state passed along', () => {
    const scorer = testScorer();
    const windows = syntheticSeries(1, 'BTCUSDT', 2, T0);
    const together = scorer.scoreBundle(requestOf(windows)).response;
    const apart = scoreOneByOne(scorer, windows);
    assert.deepEqual(together.results, apart.results);
    assert.deepEqual(together.states[0]!.state, apart.state);
  });

  it('chains state per key when windows of two keys interleave in one bundle', () => {
    const scorer = testScorer();
    const btc = syntheticSeries(2, 'BTCUSDT', 40, T0);
    const eth = syntheticSeries(3, 'ETHUSDT', 40, T0);
    const interleaved = btc.flatMap((w, i) => [w, eth[i]!]);
    const together = scorer.scoreBundle(requestOf(interleaved)).response;
    const btcAlone = scoreOneByOne(scorer, btc);
    const ethAlone = scoreOneByOne(scorer, eth);
    assert.deepEqual(together.results.filter((r) => r.symbol === 'BTCUSDT'), btcAlone.results);
    assert.deepEqual(together.results.filter((r) => r.symbol === 'ETHUSDT'), ethAlone.results);
    assert.deepEqual(together.states.map((s) => s.state), [btcAlone.state, ethAlone.state]);
  });

  it('answers one result per window in request order and the final state per key in states order', () => {
    const scorer = testScorer();
    const w = [...syntheticSeries(4, 'ETHUSDT', 2, T0), ...syntheticSeries(5, 'BTCUSDT', 1, T0)];
    const req = requestOf(w, [{ key: 'BTCUSDT/10s', state: new Uint8Array(0) }, { key: 'ETHUSDT/10s', state: new Uint8Array(0) }]);
    const res = scorer.scoreBundle(req).response;
    assert.deepEqual(res.results.map((r) => [r.symbol, r.windowStartMs]), [['ETHUSDT', T0], ['ETHUSDT', T0 + 10_000], ['BTCUSDT', T0]]);
    assert.deepEqual(res.states.map((s) => s.key), ['BTCUSDT/10s', 'ETHUSDT/10s']);
  });

  it('gives a byte-identical response for the same request, also from another scorer instance', () => {
    const windows = syntheticSeries(6, 'SOLUSDT', 50, T0, (i) => (i === 45 ? { drift: 0.03 } : {}));
    const req = requestOf(windows);
    const a = encodeResponse(testScorer().scoreBundle(req).response);
    const scorer = testScorer();
    scorer.scoreBundle(requestOf(syntheticSeries(7, 'BTCUSDT', 5, T0))); // leaves other state in the scratch ensemble
    const b = encodeResponse(scorer.scoreBundle(req).response);
    const c = encodeResponse(scorer.scoreBundle(req).response);
    assert.deepEqual(b, a);
    assert.deepEqual(c, a);
  });

  it('flags a price spike after a warm-up of normal windows with a reason on log_return', () => {
    const scorer = testScorer();
    const windows = syntheticSeries(8, 'BTCUSDT', WARM_UP_WINDOWS + 1, T0, (i) => (i === WARM_UP_WINDOWS ? { drift: 0.03 } : {}));
    const { results } = scoreOneByOne(scorer, windows);
    const quiet = results.slice(40, WARM_UP_WINDOWS);
    assert.ok(quiet.every((r) => !r.isAnomaly), 'no alert during normal windows after warm-up');
    const spike = results[WARM_UP_WINDOWS]!;
    const diag = JSON.stringify({ reasons: spike.reasons, scores: spike.detectorScores });
    assert.equal(spike.isAnomaly, true, diag);
    assert.equal(spike.type, 'PRICE_SPIKE', diag);
    assert.ok(spike.votes >= 2 && spike.voters === 4, `votes ${spike.votes}/${spike.voters}`);
    assert.ok(spike.severity >= 50);
    assert.ok(spike.confidence === 'MEDIUM' || spike.confidence === 'HIGH');
    const reason = spike.reasons.find((r) => r.feature === 'log_return');
    assert.ok(reason !== undefined, diag);
    assert.ok(reason.z > 3 && reason.actual > 0.02);
    assert.match(reason.text, /^return \+\d+\.\d\d% vs typical [+-]\d+\.\d\d% \(z=\+\d+\.\d\)$/);
    assert.ok(spike.returnPct > 2);
    assert.equal(spike.modelVersion, 'none');
    assert.match(spike.configVersion, /^cfg-[0-9a-f]{12}$/);
  });

  it('does not vote while detectors are cold', () => {
    const { results } = scoreOneByOne(testScorer(), syntheticSeries(9, 'BTCUSDT', 10, T0, (i) => (i === 9 ? { drift: 0.05 } : {})));
    assert.ok(results.every((r) => r.voters === 0 && r.votes === 0 && !r.isAnomaly && r.confidence === 'NONE'));
  });

  it('answers an empty window as not scored and leaves its key state unchanged', () => {
    const scorer = testScorer();
    const [first, second] = syntheticSeries(10, 'BTCUSDT', 2, T0);
    const state = scorer.scoreBundle(requestOf([first!])).response.states[0]!.state;
    const empty = { ...second!, tradesArrow: tradesToArrow([]) };
    const res = scorer.scoreBundle(requestOf([empty], [{ key: empty.key, state }])).response;
    const r = res.results[0]!;
    assert.equal(r.tradeCount, 0);
    assert.equal(r.isAnomaly, false);
    assert.equal(r.confidence, 'NONE');
    assert.match(r.reasons[0]!.text, /empty window/);
    assert.equal(r.close, decodeState(state, 's').data.prevClose);
    assert.deepEqual(res.states[0]!.state, state);
    // Zero bytes mean the same as a zero-row batch.
    assert.deepEqual(scorer.scoreBundle(requestOf([{ ...empty, tradesArrow: new Uint8Array(0) }], [{ key: empty.key, state }])).response, res);
  });

  it('restarts a key cold, and reports it, when its state version is not supported', () => {
    const scorer = testScorer();
    const windows = syntheticSeries(11, 'BTCUSDT', 2, T0);
    const state = scorer.scoreBundle(requestOf([windows[0]!])).response.states[0]!.state;
    const future = state.slice();
    future[2] = 99;
    const { response, diagnostics } = scorer.scoreBundle(requestOf([windows[1]!], [{ key: 'BTCUSDT/10s', state: future }]));
    assert.equal(diagnostics.stateResets.length, 1);
    assert.match(diagnostics.stateResets[0]!.reason, /state version 99 is not supported/);
    // Cold: no previous close, so no return.
    assert.equal(response.results[0]!.returnPct, 0);
    assert.equal(response.results[0]!.features['log_return'], undefined);
  });

  it('keeps the state small: header, returns, six budget calibrations and the five detectors under 3.5 KB (budget 4 KB, models included)', () => {
    const { state } = scoreOneByOne(testScorer(), syntheticSeries(12, 'BTCUSDT', 10, T0));
    assert.ok(state.length < 3584, `${state.length} bytes`);
    assert.equal(decodeState(state, 's').data.returns.length, 4);
    assert.deepEqual(encodeState(decodeState(state, 's').data), state);
  });
});
