/**
 * The default line-up for one symbol, and a convenience that fits the shared models on z-space
 * history (what the Spark job does in production). Gating thresholds are in each detector's own
 * units and sit well above alerting thresholds: gating protects the baseline from blatant
 * outliers; it is not the alert decision (that is the consensus layer's, from config).
 */
import type { Detector } from './detector.js';
import { IsolationForestDetector, type IsolationForestModel } from './detectors/isolation-forest.js';
import { GaussianMixtureDetector, type GaussianMixtureModel } from './detectors/gmm.js';
import { HalfSpaceTreesDetector } from './detectors/half-space-trees.js';
import { KMeansDetector, type KMeansModel } from './detectors/kmeans.js';
import { MadDetector } from './detectors/mad.js';
import { VolatilityRegimeDetector } from './detectors/volatility.js';
import { ZScoreDetector } from './detectors/zscore.js';
import { Ensemble } from './ensemble.js';
import { GatedDetector } from './gated.js';
import type { FeatureSchema, FeatureVector } from './schema.js';
import { fitGaussianMixture } from './train/gmm.js';
import { fitIsolationForest } from './train/isolation-forest.js';
import { fitKMeans } from './train/kmeans.js';
import { zSpace } from './train/zspace.js';

/** Shared, offline-trained models as parsed JSON documents; any may be absent. */
export interface SharedModels {
  readonly isolationForest?: unknown;
  readonly kmeans?: unknown;
  readonly gaussianMixture?: unknown;
}

export interface DefaultDetectorOptions {
  /** Seed for anything random (half-space tree structure). */
  readonly seed?: number;
  /** Wrap the adaptive detectors in GatedDetector (default true). */
  readonly gated?: boolean;
}

/** Learning gates per detector, in that detector's score units. */
export const DEFAULT_GATES: Readonly<Record<string, number>> = Object.freeze({
  zscore: 8,
  mad: 10,
  volatility: 8,
});

export function createDefaultDetectors(schema: FeatureSchema, models: SharedModels = {}, options: DefaultDetectorOptions = {}): Detector[] {
  const gate = (d: Detector): Detector => {
    const threshold = DEFAULT_GATES[d.name];
    return options.gated === false || threshold === undefined ? d : new GatedDetector(d, { threshold });
  };
  // Half-space trees learn every window: one outlier is one count in a 64-window mass profile,
  // and gating a density model that must follow regime changes does more harm than good.
  const out: Detector[] = [
    gate(new ZScoreDetector(schema)),
    gate(new MadDetector(schema)),
    gate(new VolatilityRegimeDetector(schema)),
    gate(new HalfSpaceTreesDetector(schema, { seed: options.seed ?? 42 })),
  ];
  // The model detectors' only state is a winsorised normaliser; they learn every window.
  if (models.isolationForest !== undefined) out.push(new IsolationForestDetector(schema, models.isolationForest));
  if (models.kmeans !== undefined) out.push(new KMeansDetector(schema, models.kmeans));
  if (models.gaussianMixture !== undefined) out.push(new GaussianMixtureDetector(schema, models.gaussianMixture));
  return out;
}

export function createDefaultEnsemble(schema: FeatureSchema, models: SharedModels = {}, options: DefaultDetectorOptions = {}): Ensemble {
  return new Ensemble(schema, createDefaultDetectors(schema, models, options));
}

export interface FittedModels {
  readonly isolationForest: IsolationForestModel;
  readonly kmeans: KMeansModel;
  readonly gaussianMixture: GaussianMixtureModel;
}

/**
 * Fits all three shared models on the z-space of one or more symbols' time-ordered histories
 * (each history normalised on its own, as the detectors will see it). Reference quality only.
 */
export function fitSharedModels(schema: FeatureSchema, histories: readonly (readonly FeatureVector[])[], seed = 1): FittedModels {
  const rows = histories.flatMap((h) => zSpace(schema, h));
  const features = schema.names;
  return {
    isolationForest: fitIsolationForest(rows, features, { seed, trees: 100, sampleSize: 256 }),
    kmeans: fitKMeans(rows, features, { seed, k: 4 }).model,
    gaussianMixture: fitGaussianMixture(rows, features, { seed, components: 3 }),
  };
}
