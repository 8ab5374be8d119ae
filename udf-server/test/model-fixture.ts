import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fitGaussianMixture, fitIsolationForest, fitKMeans, mulberry32 } from '@crypto-anomaly/detectors';
import { DEFAULT_VOTE_FEATURES } from '../src/config.js';
import { MANIFEST_FILE, MANIFEST_FORMAT, MODEL_FILES, MODEL_KINDS, modelSetVersion, type ModelKind, type ModelManifest } from '@crypto-anomaly/scoring';

/**
 * A small model set in crypto-train's layout, fitted on seeded standard-normal z-vectors (the
 * z-space of a typical symbol), so udf-server's tests need not depend on the trainer's package.
 */
export function writeTestModels(dir: string, seed = 1, features: readonly string[] = DEFAULT_VOTE_FEATURES): ModelManifest {
  const rng = mulberry32(seed);
  const rows = Array.from({ length: 400 }, () => Float64Array.from(features, () => rng.normal()));
  const docs: Record<ModelKind, unknown> = {
    isolationForest: fitIsolationForest(rows, features, { trees: 20, sampleSize: 64, seed }),
    kmeans: fitKMeans(rows, features, { k: 3, seed }).model,
    gmm: fitGaussianMixture(rows, features, { components: 2, seed }),
  };
  mkdirSync(dir, { recursive: true });
  const q = { windows: rows.length, p50: 1, p99: 2, p999: 3, max: 4 };
  const manifest: ModelManifest = {
    format: MANIFEST_FORMAT,
    formatVersion: 1,
    modelVersion: modelSetVersion(docs),
    features: [...features],
    zSpace: { halfLife: 120, clip: 5, warmUp: 30 },
    files: Object.fromEntries(MODEL_KINDS.map((k) => [k, { file: MODEL_FILES[k], sha256: 'test' }])) as ModelManifest['files'],
    cleanScores: { isolationForest: q, kmeans: q, gmm: q },
  };
  for (const k of MODEL_KINDS) writeFileSync(join(dir, MODEL_FILES[k]), JSON.stringify(docs[k]));
  writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify(manifest, null, 2));
  return manifest;
}
