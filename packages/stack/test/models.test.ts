import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ensureModels } from '../src/models.js';
import { withModels } from '../src/sidecar.js';

describe('the stack default models', () => {
  it('trains once into a cache directory keyed by the trainer inputs, then reuses it; retrains a broken entry', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'stack-models-'));
    const train = { loop: 2, intervals: ['10s'], trees: 5 };
    const progress: string[] = [];
    const first = await ensureModels({ cacheDir, train, onProgress: (m) => progress.push(m) });
    assert.equal(first.trained, true);
    assert.match(first.dir, /default-[0-9a-f]{12}$/);
    assert.equal(progress.length, 1, 'one line of progress');
    const again = await ensureModels({ cacheDir, train });
    assert.deepEqual(again, { ...first, trained: false });
    const other = await ensureModels({ cacheDir, train: { ...train, seed: 2 } });
    assert.notEqual(other.dir, first.dir);
    writeFileSync(join(first.dir, 'gmm.json'), '{}');
    const repaired = await ensureModels({ cacheDir, train });
    assert.equal(repaired.trained, true);
    assert.equal(repaired.version, first.version);
  });

  it('sets scoring.models.dir in the sidecar config, keeping the rest', () => {
    assert.equal(withModels(undefined, undefined), undefined);
    assert.deepEqual(withModels({ logLevel: 'info', scoring: { models: { kmeans: { role: 'vote' } } } }, '/m'), { logLevel: 'info', scoring: { models: { kmeans: { role: 'vote' }, dir: '/m' } } });
  });
});
