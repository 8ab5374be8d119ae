// Isolation forest, k-means and Gaussian-mixture scorers against hand-computed values, their
// model-format validation, and the reference trainers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  FeatureSchema, GaussianMixtureDetector, IsolationForestDetector, KMeansDetector, ModelFormatError, averagePathLength,
  fitGaussianMixture, fitIsolationForest, fitKMeans, mulberry32, type Detector,
} from '../src/index.js';
import { ROWS, SCHEMA, models, oneFeature, run, vec } from './helpers.js';

const CLOSE = 1e-9;

/** Learns -1 and 1 with warmUp 2, so the normaliser has mean 0, sd 1 and z equals x. */
function identityZ<D extends Detector>(d: D): D {
  d.learn(vec(-1));
  d.learn(vec(1));
  return d;
}

const stump = {
  format: 'crypto-anomaly.isolation-forest', formatVersion: 1, features: ['log_return'], sampleSize: 4,
  trees: [{ feature: [0, -1, -1], threshold: [0, 0, 0], left: [1, -1, -1], right: [2, -1, -1], size: [4, 1, 3] }],
};

describe('IsolationForestDetector', () => {
  it('uses the standard c(n) normaliser', () => {
    assert.equal(averagePathLength(1), 0);
    assert.equal(averagePathLength(2), 1);
    assert.ok(Math.abs(averagePathLength(256) - 10.244770920116851) < 1e-9);
  });

  it('scores 2^(-h / c(sampleSize)) with h = leaf depth + c(leaf size)', () => {
    const d = identityZ(new IsolationForestDetector(oneFeature(), stump, { warmUp: 2 }));
    const c4 = averagePathLength(4);
    assert.ok(Math.abs(d.score(vec(-1)) - 2 ** (-1 / c4)) < CLOSE);
    assert.ok(Math.abs(d.score(vec(1)) - 2 ** (-(1 + averagePathLength(3)) / c4)) < CLOSE);
    // Ties go right; a missing value is imputed at z = 0.
    assert.equal(d.score(vec(0)), d.score(vec(1)));
    assert.equal(d.score(vec(NaN)), d.score(vec(1)));
  });

  it('rejects a model whose child index would loop, naming the node', () => {
    const looping = { ...stump, trees: [{ ...stump.trees[0]!, left: [0, -1, -1] }] };
    assert.throws(() => new IsolationForestDetector(oneFeature(), looping), (e: unknown) => e instanceof ModelFormatError && /node 0 has a bad child index 0/.test(e.message));
  });

  it('rejects a model of another format, version or feature set', () => {
    assert.throws(() => new IsolationForestDetector(oneFeature(), { ...stump, format: 'crypto-anomaly.kmeans' }), ModelFormatError);
    assert.throws(() => new IsolationForestDetector(oneFeature(), { ...stump, formatVersion: 2 }), /formatVersion 2 is not supported/);
    assert.throws(() => new IsolationForestDetector(oneFeature('volume'), stump), /'log_return' is not in the schema/);
  });

  it('fits a seeded forest that isolates an outlier faster than an inlier', () => {
    const rng = mulberry32(3);
    const rows = Array.from({ length: 500 }, () => Float64Array.of(rng.normal(), rng.normal()));
    const model = fitIsolationForest(rows, ['a', 'b'], { seed: 5, trees: 50, sampleSize: 128 });
    assert.deepEqual(fitIsolationForest(rows, ['a', 'b'], { seed: 5, trees: 50, sampleSize: 128 }), model);
    const schema = new FeatureSchema([{ name: 'a', transform: 'identity' }, { name: 'b', transform: 'identity' }]);
    const d = new IsolationForestDetector(schema, model, { warmUp: 2 });
    d.learn(vec(-1, -1));
    d.learn(vec(1, 1));
    assert.ok(d.score(vec(6, -6)) > 0.7);
    assert.ok(d.score(vec(0, 0)) < 0.5);
  });
});

describe('KMeansDetector', () => {
  const model = { format: 'crypto-anomaly.kmeans', formatVersion: 1, features: ['log_return'], centroids: [[0], [10]], radii: [1, 2] };

  it('scores the distance to the nearest centroid in units of its radius', () => {
    const d = identityZ(new KMeansDetector(oneFeature(), model, { warmUp: 2 }));
    assert.equal(d.score(vec(4)), 3); // min(4 / 1, 6 / 2)
    assert.equal(d.score(vec(-2)), 2);
  });

  it('rejects a radius that is not positive', () => {
    assert.throws(() => new KMeansDetector(oneFeature(), { ...model, radii: [1, 0] }), /radii\[1\]/);
  });

  it('finds well-separated clusters with a seeded k-means++ fit', () => {
    const rng = mulberry32(9);
    const rows = Array.from({ length: 300 }, (_, i) => Float64Array.of((i % 2) * 20 + rng.normal()));
    const { model: fitted } = fitKMeans(rows, ['x'], { k: 2, seed: 4 });
    const centres = fitted.centroids.map((c) => c[0]!).sort((a, b) => a - b);
    assert.ok(Math.abs(centres[0]!) < 0.3 && Math.abs(centres[1]! - 20) < 0.3, `centres ${centres.join(', ')}`);
    assert.ok(fitted.radii.every((r) => r > 0.7 && r < 1.3));
  });
});

describe('GaussianMixtureDetector', () => {
  const LOG_2PI = Math.log(2 * Math.PI);

  it('scores the negative log-likelihood of a standard normal', () => {
    const model = { format: 'crypto-anomaly.gaussian-mixture', formatVersion: 1, features: ['log_return'], weights: [1], means: [[0]], variances: [[1]] };
    const d = identityZ(new GaussianMixtureDetector(oneFeature(), model, { warmUp: 2 }));
    assert.ok(Math.abs(d.score(vec(2)) - (0.5 * LOG_2PI + 2)) < CLOSE);
  });

  it('mixes components with log-sum-exp', () => {
    const model = { format: 'crypto-anomaly.gaussian-mixture', formatVersion: 1, features: ['log_return'], weights: [0.5, 0.5], means: [[-1], [1]], variances: [[1], [1]] };
    const d = identityZ(new GaussianMixtureDetector(oneFeature(), model, { warmUp: 2 }));
    assert.ok(Math.abs(d.score(vec(0)) - (0.5 * LOG_2PI + 0.5)) < CLOSE);
    assert.ok(Number.isFinite(d.score(vec(1e4))));
  });

  it('rejects weights that do not sum to one', () => {
    const model = { format: 'crypto-anomaly.gaussian-mixture', formatVersion: 1, features: ['log_return'], weights: [0.5], means: [[0]], variances: [[1]] };
    assert.throws(() => new GaussianMixtureDetector(oneFeature(), model), /sum to 0.5/);
  });

  it('recovers the components of a two-cluster mixture with EM', () => {
    const rng = mulberry32(2);
    const rows = Array.from({ length: 600 }, (_, i) => Float64Array.of(i % 3 === 0 ? 8 + 0.5 * rng.normal() : rng.normal()));
    const m = fitGaussianMixture(rows, ['x'], { components: 2, seed: 3 });
    const order = m.means[0]![0]! < m.means[1]![0]! ? [0, 1] : [1, 0];
    assert.ok(Math.abs(m.means[order[0]!]![0]!) < 0.2 && Math.abs(m.means[order[1]!]![0]! - 8) < 0.2);
    assert.ok(Math.abs(m.weights[order[1]!]! - 1 / 3) < 0.02);
    assert.ok(Math.abs(m.variances[order[1]!]![0]! - 0.25) < 0.07);
  });
});

describe('shared models as plain data', () => {
  it('score identically after a JSON round trip, as a model trained in the JVM would', () => {
    const fitted = models(21);
    const docs = JSON.parse(JSON.stringify(fitted)) as Record<string, unknown>;
    const pairs: [Detector, Detector][] = [
      [new IsolationForestDetector(SCHEMA, fitted.isolationForest), new IsolationForestDetector(SCHEMA, docs['isolationForest'])],
      [new KMeansDetector(SCHEMA, fitted.kmeans), new KMeansDetector(SCHEMA, docs['kmeans'])],
      [new GaussianMixtureDetector(SCHEMA, fitted.gaussianMixture), new GaussianMixtureDetector(SCHEMA, docs['gaussianMixture'])],
    ];
    for (const [a, b] of pairs) assert.deepEqual(run(b, ROWS.slice(0, 300)), run(a, ROWS.slice(0, 300)));
  });

  it('keep only the normaliser (8 bytes per feature) in per-symbol state', () => {
    const d = new KMeansDetector(SCHEMA, models(21).kmeans);
    assert.equal(d.stateSize(), 9 + 8 * SCHEMA.size);
  });
});
