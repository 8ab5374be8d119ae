// The shared contract every detector must honour (after river's `checks`): run against each
// entry of DETECTOR_CASES. Per-detector arithmetic lives in the per-detector test files.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  FeatureSchema, StateFormatError, StateMismatchError, StateVersionError, rocAuc, type Detector,
} from '../src/index.js';
import { CLEAN_PREFIX, DETECTOR_CASES, FIXTURE, ROWS, SCHEMA, run } from './helpers.js';

const SEED = 11;
/** Margin over chance (0.5) that every detector must reach on the labelled fixture. */
const MIN_AUC = 0.8;
/** A prefix long enough for every detector to be warm and hold non-trivial state. */
const WARM_ROWS = ROWS.slice(0, 400);

function warmed(make: (seed: number) => Detector): Detector {
  const d = make(SEED);
  run(d, WARM_ROWS);
  return d;
}

for (const c of DETECTOR_CASES) {
  describe(`${c.name} honours the detector contract`, () => {
    it('does not mutate the vectors it scores and learns from', () => {
      const d = c.make(SEED);
      for (const x of ROWS.slice(0, 200)) {
        const copy = Float64Array.from(x);
        d.score(x);
        d.learn(x);
        d.scoreThenLearn(x);
        assert.deepEqual(x, copy);
      }
    });

    it('gives identical scores from two instances built with the same seed', () => {
      assert.deepEqual(run(c.make(SEED)), run(c.make(SEED)));
    });

    it('scores identically when its state is saved and loaded into another instance at every step', () => {
      const continuous = run(c.make(SEED));
      // The sidecar pattern: no instance keeps anything between windows except the blob.
      const instances = [c.make(SEED), c.make(SEED)];
      let blob = instances[0]!.saveState();
      const stateless = ROWS.map((x, i) => {
        const d = instances[i % 2]!;
        d.loadState(blob);
        const s = d.scoreThenLearn(x);
        blob = d.saveState();
        return s;
      });
      assert.deepEqual(stateless, continuous);
    });

    it('overwrites all state left by another symbol when loading a blob', () => {
      const a = warmed(c.make);
      const other = c.make(SEED);
      run(other, ROWS.slice(600, 900));
      other.loadState(a.saveState());
      const tail = ROWS.slice(400, 700);
      assert.deepEqual(run(other, tail), run(a, tail));
    });

    it('does not change its state when scoring', () => {
      const d = warmed(c.make);
      const before = d.saveState();
      for (const x of ROWS.slice(400, 500)) d.score(x);
      assert.deepEqual(d.saveState(), before);
    });

    it('reports a stateSize equal to the length of the saved blob', () => {
      const d = warmed(c.make);
      assert.equal(d.stateSize(), d.saveState().length);
      assert.ok(d.stateSize() <= 2048, `${c.name} state is ${d.stateSize()} bytes`);
    });

    it('rejects a blob with an unknown state version with an error naming the detector and versions', () => {
      const d = warmed(c.make);
      const blob = d.saveState();
      for (const version of [0, 255]) {
        const bad = Uint8Array.from(blob);
        bad[0] = version;
        assert.throws(() => c.make(SEED).loadState(bad), (err: unknown) =>
          err instanceof StateVersionError && err.found === version && err.message.includes(d.name) && /state version \d+ is not supported/.test(err.message));
      }
    });

    it('rejects a truncated or extended blob as corrupt', () => {
      const blob = warmed(c.make).saveState();
      assert.throws(() => c.make(SEED).loadState(blob.subarray(0, blob.length - 1)), StateFormatError);
      const longer = new Uint8Array(blob.length + 1);
      longer.set(blob);
      assert.throws(() => c.make(SEED).loadState(longer), StateFormatError);
    });

    it('rejects a blob written under another feature schema', () => {
      const reordered = new FeatureSchema([...SCHEMA.names].reverse().map((name, i) => ({ name, transform: SCHEMA.transforms[SCHEMA.size - 1 - i]! })));
      const foreign = c.make(SEED, reordered);
      run(foreign, ROWS.slice(0, 50).map((x) => x.slice().reverse()));
      assert.throws(() => c.make(SEED).loadState(foreign.saveState()), StateMismatchError);
    });

    it('does not throw on unknown or missing features and keeps scores finite', () => {
      const d = warmed(c.make);
      const record = { ...FIXTURE.records[450]!, surprise_feature: 42 } as Record<string, number>;
      delete record['volume'];
      delete record['log_return'];
      const inputs = [
        SCHEMA.vectorise(record),
        SCHEMA.vectorise({}),
        new Float64Array(0),
        Float64Array.of(0.001),
        Float64Array.from(ROWS[450]!, (v, i) => (i % 2 === 0 ? NaN : v)),
        Float64Array.from(ROWS[450]!, (v, i) => (i === 3 ? Infinity : v)),
      ];
      for (const x of inputs) {
        const s = d.scoreThenLearn(x);
        assert.ok(Number.isFinite(s), `score ${s} for ${Array.from(x).join(',')}`);
      }
      assert.ok(Number.isFinite(d.score(ROWS[451]!)));
    });

    it('keeps scoring finite values after learning infinities, which must not poison its baseline', () => {
      const d = c.make(SEED);
      const poisoned = ROWS.map((x, i) => (i % 7 === 0 ? Float64Array.from(x, (v, j) => (j === i % x.length ? (i % 2 ? Infinity : -Infinity) : v)) : x));
      const scores = run(d, poisoned);
      assert.ok(scores.every(Number.isFinite));
      // Judged on the clean rows only: a poisoned baseline (NaN/Infinity mean) would score ~0.5.
      const keep = (_: unknown, i: number): boolean => i >= CLEAN_PREFIX && i % 7 !== 0;
      const auc = rocAuc(scores.filter(keep), FIXTURE.labels.filter(keep));
      assert.ok(auc > MIN_AUC, `AUC ${auc.toFixed(3)}`);
    });

    it('scores 0 and reports cold until it has learned warmUp observations', () => {
      const d = c.make(SEED);
      for (let i = 0; i < d.warmUp; i++) {
        assert.equal(d.isWarm(), false);
        assert.equal(d.scoreThenLearn(ROWS[i]!), 0);
      }
      assert.equal(d.isWarm(), true);
      assert.ok(d.warmUp <= CLEAN_PREFIX, `warm-up ${d.warmUp} must fit in the fixture's clean prefix`);
    });

    it(`beats chance on the labelled fixture (ROC AUC > ${MIN_AUC})`, () => {
      const scores = run(c.make(SEED));
      const auc = rocAuc(scores.slice(CLEAN_PREFIX), FIXTURE.labels.subarray(CLEAN_PREFIX));
      assert.ok(auc > MIN_AUC, `AUC ${auc.toFixed(3)}`);
    });

    it('starts cold again after reset', () => {
      const d = warmed(c.make);
      d.reset();
      assert.equal(d.isWarm(), false);
      assert.equal(d.observations, 0);
      assert.deepEqual(d.saveState(), c.make(SEED).saveState());
    });
  });
}
