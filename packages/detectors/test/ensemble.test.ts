import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Ensemble, StateFormatError, StateMismatchError, StateVersionError, ZScoreDetector, createDefaultDetectors,
  createDefaultEnsemble,
} from '../src/index.js';
import { ROWS, SCHEMA, models } from './helpers.js';

/** The per-symbol state budget from the architecture: the whole ensemble's blob. */
const STATE_BUDGET_BYTES = 4096;

function warmEnsemble(): Ensemble {
  const e = createDefaultEnsemble(SCHEMA, models(1));
  for (const x of ROWS.slice(0, 400)) e.scoreThenLearn(x);
  return e;
}

describe('Ensemble', () => {
  it('packs all seven default detectors of one symbol into at most 4 KB', () => {
    const e = warmEnsemble();
    assert.equal(e.detectors.length, 7);
    const blob = e.saveState();
    assert.equal(blob.length, e.stateSize());
    assert.ok(blob.length <= STATE_BUDGET_BYTES, `${blob.length} bytes`);
  });

  it('scores identically with and without a state round trip between windows', () => {
    const a = createDefaultEnsemble(SCHEMA, models(1));
    const b = createDefaultEnsemble(SCHEMA, models(1));
    let blob: Uint8Array = new Uint8Array(0);
    for (const x of ROWS.slice(0, 600)) {
      b.loadState(blob);
      const sb = b.scoreThenLearn(x);
      blob = b.saveState();
      assert.deepEqual(sb, a.scoreThenLearn(x));
    }
  });

  it('treats an empty blob as a new symbol and starts every detector cold', () => {
    const e = warmEnsemble();
    const report = e.loadState(new Uint8Array(0));
    assert.deepEqual(report.cold, e.names);
    assert.ok(e.warm().every((w) => !w));
  });

  it('drops entries of removed detectors and starts added ones cold, reporting both', () => {
    const full = warmEnsemble();
    const smaller = new Ensemble(SCHEMA, createDefaultDetectors(SCHEMA, models(1)).filter((d) => d.name !== 'mad'));
    const report = smaller.loadState(full.saveState());
    assert.deepEqual(report.dropped, ['mad']);
    assert.deepEqual(report.cold, []);
    const bigger = new Ensemble(SCHEMA, [...createDefaultDetectors(SCHEMA, models(1)), new ZScoreDetector(SCHEMA, { name: 'zscore-fast', halfLife: 10 })]);
    assert.deepEqual(bigger.loadState(full.saveState()).cold, ['zscore-fast']);
  });

  it('rejects a foreign blob and a newer ensemble version with clear errors', () => {
    const e = warmEnsemble();
    assert.throws(() => e.loadState(Uint8Array.of(1, 2, 3, 4)), (err: unknown) => err instanceof StateFormatError && /not an ensemble state blob/.test(err.message));
    const blob = e.saveState();
    blob[2] = 9;
    assert.throws(() => e.loadState(blob), StateVersionError);
  });

  it('leaves every detector cold instead of half-loaded when a blob is rejected', () => {
    const e = warmEnsemble();
    const other = new Ensemble(SCHEMA, createDefaultDetectors(SCHEMA, models(1)).map((d) => (d.name === 'kmeans' ? new ZScoreDetector(SCHEMA, { name: 'kmeans' }) : d)));
    assert.throws(() => other.loadState(e.saveState()), StateMismatchError);
    assert.ok(other.warm().every((w) => !w));
  });

  it('can reset an unreadable detector entry instead of failing the whole symbol', () => {
    const e = warmEnsemble();
    const other = new Ensemble(SCHEMA, createDefaultDetectors(SCHEMA, models(1)).map((d) => (d.name === 'kmeans' ? new ZScoreDetector(SCHEMA, { name: 'kmeans' }) : d)));
    const report = other.loadState(e.saveState(), { onIncompatible: 'reset' });
    assert.deepEqual(report.incompatible, ['kmeans']);
    assert.deepEqual(report.cold, ['kmeans']);
    assert.equal(other.warm().filter((w) => w).length, 6);
  });

  it('refuses duplicate detector names and detectors built for another schema', () => {
    assert.throws(() => new Ensemble(SCHEMA, [new ZScoreDetector(SCHEMA), new ZScoreDetector(SCHEMA)]), /duplicate detector name 'zscore'/);
  });
});
