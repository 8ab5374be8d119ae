/**
 * Probabilistic detector: negative log-likelihood of the symbol's z-vector under a shared
 * diagonal-covariance Gaussian mixture. Score in nats (higher = less likely):
 *   score = -log sum_k w_k · prod_j N(z_j; mu_kj, var_kj)
 * computed with log-sum-exp so far-out points give large finite scores, not Infinity.
 * With one component this is the diagonal multivariate Gaussian (0.5·Mahalanobis² + constant).
 * Model format 'crypto-anomaly.gaussian-mixture' (docs/decisions/012): weights k (summing to 1
 * within 1e-6), means k × d, variances k × d (> 0). Per-symbol state is only the normaliser.
 */
import { ModelDetector, type ModelDetectorOptions } from '../model-detector.js';
import { ModelReader } from '../model.js';
import type { FeatureSchema } from '../schema.js';

export interface GaussianMixtureModel {
  readonly format: 'crypto-anomaly.gaussian-mixture';
  readonly formatVersion: 1;
  readonly features: readonly string[];
  readonly weights: readonly number[];
  readonly means: readonly (readonly number[])[];
  readonly variances: readonly (readonly number[])[];
  readonly metadata?: Readonly<Record<string, unknown>>;
}

export function parseGaussianMixture(json: unknown): GaussianMixtureModel {
  const r = ModelReader.open('gaussian-mixture', json, 1);
  const features = r.features();
  const weights = r.vector('weights', undefined, 0);
  if (weights.length === 0) r.fail("'weights' is empty");
  const sum = weights.reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) > 1e-6) r.fail(`'weights' sum to ${sum}, expected 1`);
  const means = r.matrix('means', weights.length, features.length);
  const variances = r.matrix('variances', weights.length, features.length, Number.MIN_VALUE);
  return { format: 'crypto-anomaly.gaussian-mixture', formatVersion: 1, features, weights, means, variances };
}

const LOG_2PI = Math.log(2 * Math.PI);

export class GaussianMixtureDetector extends ModelDetector {
  protected readonly stateVersion = 1;
  readonly model: GaussianMixtureModel;
  private readonly mu: Float64Array;
  private readonly halfInvVar: Float64Array;
  /** log w_k - 0.5 · sum_j log(2π var_kj): everything in log N that does not depend on z. */
  private readonly logConst: Float64Array;
  private readonly logp: Float64Array;

  constructor(schema: FeatureSchema, model: unknown, options: ModelDetectorOptions = {}) {
    const m = parseGaussianMixture(model);
    super('gaussian-mixture', schema, m.features, options);
    this.model = m;
    this.mu = Float64Array.from(m.means.flat());
    this.halfInvVar = Float64Array.from(m.variances.flat(), (v) => 0.5 / v);
    this.logConst = Float64Array.from(m.weights, (w, k) => Math.log(w) - 0.5 * m.variances[k]!.reduce((s, v) => s + LOG_2PI + Math.log(v), 0));
    this.logp = new Float64Array(m.weights.length);
  }

  protected scoreZ(z: Float64Array): number {
    const d = z.length;
    let max = -Infinity;
    for (let k = 0; k < this.logp.length; k++) {
      let q = 0;
      for (let j = 0; j < d; j++) {
        const e = z[j]! - this.mu[k * d + j]!;
        q += e * e * this.halfInvVar[k * d + j]!;
      }
      const lp = this.logConst[k]! - q;
      this.logp[k] = lp;
      if (lp > max) max = lp;
    }
    // A zero-weight component has logConst = -Infinity; if all do, the point is impossible.
    if (max === -Infinity) return Number.MAX_VALUE;
    let s = 0;
    for (let k = 0; k < this.logp.length; k++) s += Math.exp(this.logp[k]! - max);
    return -(max + Math.log(s));
  }
}
