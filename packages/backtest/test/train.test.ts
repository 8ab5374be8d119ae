import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { parseScoringConfig, readModelDir, Scorer } from '@crypto-anomaly/scoring';
import { runScorer } from '../src/run.js';
import { loadTape, loopTape, type Tape } from '../src/tape.js';
import { DEFAULT_TRAINING_FILES, trainModels, writeModelSet } from '../src/train.js';
import { bundlesOf } from '../src/windows.js';

describe('crypto-train', () => {
  let tape: Tape;
  before(async () => {
    tape = await loadTape({ files: DEFAULT_TRAINING_FILES });
  });
  const options = () => ({ tape, loop: 3, intervals: ['10s'], trees: 10 });

  it('is deterministic: the same input and seed give byte-identical files; another seed another model version', async () => {
    const a = await trainModels(options());
    const b = await trainModels(options());
    assert.deepEqual([...a.files.keys()], ['isolation-forest.json', 'kmeans.json', 'gmm.json', 'manifest.json']);
    for (const [name, text] of a.files) assert.equal(b.files.get(name), text, name);
    const c = await trainModels({ ...options(), seed: 2 });
    assert.notEqual(c.manifest.modelVersion, a.manifest.modelVersion);
  });

  it('writes a directory the sidecar loads, with metadata and clean-score quantiles', async () => {
    const set = await trainModels(options());
    const dir = mkdtempSync(join(tmpdir(), 'train-'));
    writeModelSet(dir, set);
    const loaded = readModelDir(dir);
    assert.equal(loaded.version, set.manifest.modelVersion);
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as typeof set.manifest;
    assert.deepEqual(m.zSpace, { halfLife: 120, clip: 5, warmUp: 30 });
    for (const k of ['isolationForest', 'kmeans', 'gmm'] as const) {
      const q = m.cleanScores[k];
      assert.ok(q.windows > 0 && q.p50 <= q.p99 && q.p99 <= q.p999 && q.p999 <= q.max, JSON.stringify(q));
    }
    const meta = (JSON.parse(readFileSync(join(dir, 'kmeans.json'), 'utf8')) as { metadata: Record<string, unknown> }).metadata;
    assert.equal(meta['seed'], 1);
    assert.deepEqual((meta['trainedFrom'] as { file: string }[]).map((f) => f.file), ['btcusdt_20240808.gz', 'ethusdt_20240808.gz']);
    assert.match(String(meta['createdBy']), /^crypto-train /);
    // 36 windows of 10 s per symbol and pass, the first 30 of each key only warm the normaliser.
    assert.equal(set.stats.rows, Object.values(set.stats.keys).reduce((s, k) => s + k.windows - 30, 0));
  });

  it("summarise takes the scorer's decision: plotted score and statistic agree with votes and candidates, whatever the models' roles", async () => {
    const set = await trainModels(options());
    const dir = mkdtempSync(join(tmpdir(), 'train-'));
    writeModelSet(dir, set);
    const bundles = bundlesOf(loopTape(tape, 3, 60_000).tape, ['10s']);
    for (const models of [{ dir, kmeans: { role: 'vote', threshold: 1.2 }, gmm: { role: 'score-only', threshold: 1 } }, { dir, isolationForest: { role: 'vote', threshold: 0.5 } }, {}]) {
      const scoring = parseScoringConfig({ models });
      const scorer = new Scorer(scoring);
      const run = runScorer(bundles, scoring, scorer);
      assert.equal(run.windows.length, bundles.flat().length);
      let candidates = 0;
      for (const w of run.windows) {
        if (w.tradeCount === 0) continue;
        // Some participating detector voted <=> the largest participating ratio reached 1.
        assert.equal(w.score >= 1, w.votes > 0, JSON.stringify(w.detectorScores));
        // A candidate (MEDIUM/HIGH) <=> the consensus statistic reached 1.
        assert.equal(w.statistic >= 1, w.confidence === 'MEDIUM' || w.confidence === 'HIGH');
        if (w.statistic >= 1) candidates++;
        // A score-only detector's score never raises the plotted score.
        if (scorer.roles['gmm'] === 'score-only') assert.ok(w.score < 1 || w.votes > 0);
      }
      if (models.kmeans?.role === 'vote') assert.ok(candidates > 0, 'a low kmeans threshold makes candidates');
    }
  });
});
