/**
 * Clustering-based detector: distance from the symbol's z-vector to the nearest centroid of a
 * shared k-means model, in units of that cluster's RMS radius. Score = min_k ||z - c_k|| / r_k:
 * about 1 for a typical member of a cluster, growing linearly with distance from every regime
 * the model knows (quiet, busy, trending ...).
 * Model format 'crypto-anomaly.kmeans' (docs/decisions/012): centroids k × d, radii k (> 0).
 * Per-symbol state is only the normaliser (model-detector.ts).
 */
import { ModelDetector, type ModelDetectorOptions } from '../model-detector.js';
import { ModelReader } from '../model.js';
import type { FeatureSchema } from '../schema.js';

export interface KMeansModel {
  readonly format: 'crypto-anomaly.kmeans';
  readonly formatVersion: 1;
  readonly features: readonly string[];
  readonly centroids: readonly (readonly number[])[];
  /** RMS distance of each cluster's training members to its centroid. */
  readonly radii: readonly number[];
  readonly metadata?: Readonly<Record<string, unknown>>;
}

export function parseKMeans(json: unknown): KMeansModel {
  const r = ModelReader.open('kmeans', json, 1);
  const features = r.features();
  const centroids = r.matrix('centroids', undefined, features.length);
  const radii = r.vector('radii', centroids.length, Number.MIN_VALUE);
  return { format: 'crypto-anomaly.kmeans', formatVersion: 1, features, centroids, radii };
}

export class KMeansDetector extends ModelDetector {
  protected readonly stateVersion = 1;
  readonly model: KMeansModel;
  /** Centroids row-major (k × d) for a tight loop. */
  private readonly c: Float64Array;
  private readonly invR2: Float64Array;

  constructor(schema: FeatureSchema, model: unknown, options: ModelDetectorOptions = {}) {
    const m = parseKMeans(model);
    super('kmeans', schema, m.features, options);
    this.model = m;
    this.c = Float64Array.from(m.centroids.flat());
    this.invR2 = Float64Array.from(m.radii, (r) => 1 / (r * r));
  }

  protected scoreZ(z: Float64Array): number {
    const d = z.length;
    let best = Infinity;
    for (let k = 0; k < this.invR2.length; k++) {
      let s = 0;
      for (let j = 0; j < d; j++) {
        const e = z[j]! - this.c[k * d + j]!;
        s += e * e;
      }
      s *= this.invR2[k]!;
      if (s < best) best = s;
    }
    return Math.sqrt(best);
  }
}
