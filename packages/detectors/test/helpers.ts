// Shared fixtures for the detector tests: a deterministic labelled series, shared models fitted
// from a seed (cached, fitting is the slow part), and the list of detectors the contract covers.
import {
  ActivityDetector, FeatureSchema, GatedDetector, GaussianMixtureDetector, HalfSpaceTreesDetector, IsolationForestDetector,
  KMeansDetector, MadDetector, VolatilityRegimeDetector, ZScoreDetector, fitSharedModels, syntheticWindows, DEFAULT_FEATURES,
  type Detector, type FeatureVector, type FittedModels,
} from '../src/index.js';

export const SCHEMA = new FeatureSchema();
/** The default schema plus the sidecar's book-ticker spread feature (udf-server features.ts). */
export const SPREAD_SCHEMA = new FeatureSchema([...DEFAULT_FEATURES, { name: 'spread_bps', transform: 'identity' }]);
/** Windows before the first anomaly in the labelled fixture: every detector is warm by then. */
export const CLEAN_PREFIX = 300;

const TRAIN = syntheticWindows({ seed: 1, length: 2000, anomalyRate: 0 });
const trainRows = TRAIN.records.map((r) => SCHEMA.vectorise(r));
const modelCache = new Map<number, FittedModels>();

/** Shared models fitted on anomaly-free synthetic history with the given seed. */
export function models(seed: number): FittedModels {
  let m = modelCache.get(seed);
  if (m === undefined) {
    m = fitSharedModels(SCHEMA, [trainRows], seed);
    modelCache.set(seed, m);
  }
  return m;
}

export const FIXTURE = syntheticWindows({ seed: 7, length: 1500, cleanPrefix: CLEAN_PREFIX });
export const ROWS: readonly FeatureVector[] = FIXTURE.records.map((r) => SCHEMA.vectorise(r));

export interface DetectorCase {
  readonly name: string;
  readonly make: (seed: number, schema?: FeatureSchema) => Detector;
}

/** Every detector in the package, plus the gating wrapper around two of them. */
export const DETECTOR_CASES: readonly DetectorCase[] = [
  { name: 'ZScoreDetector', make: (_seed, schema = SCHEMA) => new ZScoreDetector(schema) },
  { name: 'MadDetector', make: (_seed, schema = SCHEMA) => new MadDetector(schema) },
  { name: 'ActivityDetector', make: (_seed, schema = SCHEMA) => new ActivityDetector(schema) },
  // With the book-ticker spread channel (decision 066); the fixture has no quotes, so it also
  // proves that windows without the feature neither throw nor vote on spread.
  { name: 'ActivityDetector(spread channel)', make: (_seed, schema = SPREAD_SCHEMA) => new ActivityDetector(schema) },
  { name: 'VolatilityRegimeDetector', make: (_seed, schema = SCHEMA) => new VolatilityRegimeDetector(schema) },
  { name: 'HalfSpaceTreesDetector', make: (seed, schema = SCHEMA) => new HalfSpaceTreesDetector(schema, { seed }) },
  { name: 'IsolationForestDetector', make: (seed, schema = SCHEMA) => new IsolationForestDetector(schema, models(seed).isolationForest) },
  { name: 'KMeansDetector', make: (seed, schema = SCHEMA) => new KMeansDetector(schema, models(seed).kmeans) },
  { name: 'GaussianMixtureDetector', make: (seed, schema = SCHEMA) => new GaussianMixtureDetector(schema, models(seed).gaussianMixture) },
  { name: 'GatedDetector(ZScoreDetector)', make: (_seed, schema = SCHEMA) => new GatedDetector(new ZScoreDetector(schema), { threshold: 6 }) },
  { name: 'GatedDetector(HalfSpaceTreesDetector)', make: (seed, schema = SCHEMA) => new GatedDetector(new HalfSpaceTreesDetector(schema, { seed }), { threshold: -1, maxConsecutiveSkips: 3 }) },
];

/** Scores every row in order (score first, then learn). */
export function run(d: Detector, rows: readonly FeatureVector[] = ROWS): number[] {
  return rows.map((x) => d.scoreThenLearn(x));
}

/** A one-feature schema, for hand-computed values. */
export function oneFeature(name = 'log_return'): FeatureSchema {
  return new FeatureSchema([{ name, transform: 'identity' }]);
}

export const vec = (...xs: number[]): Float64Array => Float64Array.from(xs);
