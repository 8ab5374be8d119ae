import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, silentLogger } from '@crypto-anomaly/common';
import { loadUdfConfig, parseUdfConfig } from '../src/config.js';
import { loadScoringModels, MODEL_FILES } from '@crypto-anomaly/scoring';
import { Scorer } from '../src/scorer.js';
import { startUdfServer } from '../src/server.js';
import { createScoringClient, scoreBundle } from '../src/service.js';
import { syntheticSeries } from '../src/synthetic.js';
import { encodeResponse } from '../src/wire.js';
import { writeTestModels } from './model-fixture.js';
import { capturingLogger, requestOf, scoreOneByOne, T0, until } from './helpers.js';

const MODEL_NAMES = ['isolation-forest', 'kmeans', 'gmm'];

function modelsDir(seed = 1): string {
  const dir = mkdtempSync(join(tmpdir(), 'udf-models-'));
  writeTestModels(dir, seed);
  return dir;
}

function scorerWith(models: Record<string, unknown>): Scorer {
  const c = parseUdfConfig({ scoring: { models } });
  return new Scorer(c.scoring, c.limits);
}

describe('scoring.models config', () => {
  it('validates every field and names it', () => {
    const bad = (models: unknown, field: RegExp): void => {
      assert.throws(() => parseUdfConfig({ scoring: { models } }), (err: unknown) => err instanceof ConfigError && field.test(err.message), String(field));
    };
    bad({ kmeans: { role: 'maybe' } }, /scoring\.models\.kmeans\.role/);
    bad({ gmm: { threshold: -1 } }, /scoring\.models\.gmm\.threshold/);
    bad({ isolationForest: { warmUp: 1 } }, /scoring\.models\.isolationForest\.warmUp/);
    bad({ halfLife: 0 }, /scoring\.models\.halfLife/);
    bad({ dir: '' }, /scoring\.models\.dir/);
    const d = parseUdfConfig({}).scoring;
    assert.equal(d.models.dir, undefined);
    assert.equal(d.models.kmeans.role, 'score-only');
  });

  it('without dir the model detectors are off and modelVersion stays as configured', () => {
    const s = scorerWith({ kmeans: { role: 'vote' } });
    assert.equal(s.modelVersion, 'none');
    assert.ok(!Object.keys(s.roles).some((n) => MODEL_NAMES.includes(n)));
  });

  it('fails on a missing or corrupt model file naming the file and field, and on a half-life or pin mismatch', () => {
    const load = (dir: string, more: Record<string, unknown> = {}) => () => loadScoringModels(parseUdfConfig({ scoring: { models: { dir }, ...more } }).scoring);
    const dir = modelsDir();
    assert.match(loadScoringModels(parseUdfConfig({ scoring: { models: { dir } } }).scoring)!.version, /^mdl-[0-9a-f]{12}$/);
    assert.throws(load(dir, { models: { dir, halfLife: 60 } }), /scoring\.models\.halfLife: 60 differs .*zSpace\.halfLife 120/);
    assert.throws(load(dir, { modelVersion: 'mdl-000000000000' }), /scoring\.modelVersion: pinned to mdl-000000000000/);

    const km = join(dir, MODEL_FILES.kmeans);
    const doc = JSON.parse(readFileSync(km, 'utf8')) as { radii: number[] };
    writeFileSync(km, JSON.stringify({ ...doc, radii: doc.radii.slice(1) }));
    assert.throws(load(dir), (err: unknown) => err instanceof ConfigError && /scoring\.models\.dir: .*kmeans\.json: kmeans model: 'radii' has 2 entries, expected 3/.test(err.message));
    writeFileSync(km, '{"format": ');
    assert.throws(load(dir), /kmeans\.json: not valid JSON/);
    rmSync(km);
    assert.throws(load(dir), /scoring\.models\.dir: .*kmeans\.json: cannot read/);

    const other = modelsDir();
    const gmm = join(other, MODEL_FILES.gmm);
    const g = JSON.parse(readFileSync(gmm, 'utf8')) as { metadata: Record<string, unknown> };
    writeFileSync(gmm, JSON.stringify({ ...g, metadata: { ...g.metadata, edited: true } }));
    assert.throws(load(other), /manifest\.json: 'modelVersion' is mdl-[0-9a-f]+ but the model files hash to mdl-/);
  });
});

describe('model detectors in the scorer', () => {
  const series = syntheticSeries(31, 'BTCUSDT', 45, T0, (i) => (i === 40 ? { drift: 0.05, sizeScale: 30, trades: 400 } : {}));

  it('stamps the manifest version, reports the models score-only by default, keeps the other decisions unchanged', () => {
    const dir = modelsDir();
    const withModels = scoreOneByOne(scorerWith({ dir }), series);
    const without = scoreOneByOne(scorerWith({}), series);
    const version = loadScoringModels(parseUdfConfig({ scoring: { models: { dir } } }).scoring)!.version;
    for (const [i, a] of withModels.results.entries()) {
      assert.equal(a.modelVersion, version);
      const b = without.results[i]!;
      assert.deepEqual([a.votes, a.voters, a.isAnomaly, a.severity, a.type, a.confidence], [b.votes, b.voters, b.isAnomaly, b.severity, b.type, b.confidence]);
      for (const m of MODEL_NAMES) {
        const d = a.detectorScores.find((x) => x.detector === m)!;
        assert.equal(d.vote, false);
        assert.equal(d.warm, i >= 30, `${m} warm at ${i}`);
      }
    }
    assert.ok(withModels.results[40]!.detectorScores.find((d) => d.detector === 'kmeans')!.score > 3, 'the spike is far from every cluster');
  });

  it('score-only detectors never vote, even with a threshold every window reaches', () => {
    const dir = modelsDir();
    const tiny = { role: 'score-only', threshold: 1e-9 };
    const s = scorerWith({ dir, isolationForest: tiny, kmeans: tiny, gmm: tiny });
    const plain = scoreOneByOne(scorerWith({}), series).results;
    scoreOneByOne(s, series).results.forEach((a, i) => {
      assert.equal(a.votes, plain[i]!.votes);
      assert.equal(a.severity, plain[i]!.severity);
    });
  });

  it('in the vote role count towards minVotes and explain themselves with their own normaliser', () => {
    const dir = modelsDir();
    const s = scorerWith({ dir, kmeans: { role: 'vote', threshold: 3 }, gmm: { role: 'vote', threshold: 40 } });
    assert.deepEqual(s.roles, { zscore: 'generic', mad: 'generic', volatility: 'generic', kmeans: 'generic', gmm: 'generic', hst: 'cold-start', activity: 'solo', 'isolation-forest': 'score-only' });
    const spike = scoreOneByOne(s, series).results[40]!;
    assert.ok(spike.detectorScores.find((d) => d.detector === 'kmeans')!.vote);
    assert.ok(spike.isAnomaly);
    assert.equal(spike.type, 'PRICE_SPIKE');
    assert.ok(spike.votes >= 4, `votes ${spike.votes}`);
    // Reasons are the strongest per feature; the model's own z for log_return competes with z-score's.
    const { results } = scoreOneByOne(scorerWith({ dir, kmeans: { role: 'vote', threshold: 3 } }), series);
    assert.ok(results[40]!.reasons.length > 0);
  });

  it('is a pure function of (request, config, models): the same request gives a byte-identical response', () => {
    const dir = modelsDir();
    const a = scorerWith({ dir, kmeans: { role: 'vote', threshold: 3 } });
    const b = scorerWith({ dir, kmeans: { role: 'vote', threshold: 3 } });
    const x = scoreOneByOne(a, series);
    const y = scoreOneByOne(b, series);
    assert.deepEqual(x, y);
    const req = requestOf([series[41]!], [{ key: series[41]!.key, state: x.state }]);
    assert.deepEqual(encodeResponse(a.scoreBundle(req).response), encodeResponse(b.scoreBundle(req).response));
    assert.deepEqual(encodeResponse(a.scoreBundle(req).response), encodeResponse(a.scoreBundle(req).response));
  });

  it('keeps a key state with all three models well under 4 KB (each adds name + 9-byte header + 8 bytes per feature)', () => {
    const dir = modelsDir();
    const on = scoreOneByOne(scorerWith({ dir }), series).state;
    const off = scoreOneByOne(scorerWith({}), series).state;
    const perModel = (name: string) => 3 + name.length + 9 + 8 * 9;
    assert.equal(on.length - off.length, MODEL_NAMES.reduce((s, n) => s + perModel(n), 0));
    assert.ok(on.length <= 4096, `${on.length} bytes`);
  });
});

describe('models in the server', () => {
  it('fails start-up on a missing model file, naming the file', async () => {
    const dir = modelsDir();
    rmSync(join(dir, MODEL_FILES.gmm));
    const config = parseUdfConfig({ server: { port: 0, host: '127.0.0.1' }, metrics: { port: -1 }, scoring: { models: { dir } } });
    await assert.rejects(startUdfServer(config, { logger: silentLogger() }), (err: unknown) => err instanceof ConfigError && /gmm\.json: cannot read/.test(err.message));
  });

  it('loads the models at start, reloads when a model file changes (new modelVersion on results), keeps the previous on a corrupt one', async () => {
    const dir = modelsDir(1);
    const file = join(dir, 'udf.json');
    writeFileSync(file, JSON.stringify({ server: { port: 0, host: '127.0.0.1' }, metrics: { port: -1 }, scoring: { models: { dir } } }));
    const lines: { level: string; obj: unknown; msg: string }[] = [];
    const server = await startUdfServer(loadUdfConfig({ file }), { logger: capturingLogger(lines), reload: { file, pollMs: 50 } });
    const client = createScoringClient(`127.0.0.1:${server.port}`);
    const score = async () => (await scoreBundle(client, requestOf([series0()]))).results[0]!.modelVersion;
    try {
      const v1 = server.scorer.modelVersion;
      assert.match(v1, /^mdl-/);
      assert.equal(await score(), v1);
      const config1 = server.scorer.configVersion;

      writeTestModels(dir, 2);
      await until(() => server.scorer.modelVersion !== v1);
      const v2 = server.scorer.modelVersion;
      assert.equal(await score(), v2);
      assert.equal(server.scorer.configVersion, config1, 'same config, new models');
      assert.ok(lines.some((l) => l.msg === 'models reloaded'));

      const errors = lines.filter((l) => l.level === 'error').length;
      writeFileSync(join(dir, MODEL_FILES.isolationForest), '{"format":"crypto-anomaly.isolation-forest","formatVersion":1,"features":["log_return"],"sampleSize":8,"trees":[]}');
      await until(() => lines.filter((l) => l.level === 'error').length > errors);
      const rejected = lines.filter((l) => l.level === 'error').at(-1)!;
      assert.match(rejected.msg, /rejected; keeping the previous config and models/);
      assert.match(JSON.stringify(rejected.obj), /isolation-forest\.json: isolation-forest model: 'trees' must be a non-empty array/);
      assert.equal(server.scorer.modelVersion, v2);
      assert.equal(await score(), v2);
    } finally {
      client.close();
      await server.shutdown(1_000);
    }
  });
});

function series0() {
  return syntheticSeries(5, 'ETHUSDT', 1, T0)[0]!;
}
