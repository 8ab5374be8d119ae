/**
 * Reference diagonal Gaussian-mixture trainer: EM started from a seeded k-means fit, with a
 * variance floor so a component cannot collapse onto a few identical points (which would make
 * its likelihood, and every score near it, degenerate). Emits 'crypto-anomaly.gaussian-mixture'.
 */
import type { GaussianMixtureModel } from '../detectors/gmm.js';
import { fitKMeans } from './kmeans.js';

export interface GaussianMixtureFitOptions {
  readonly components?: number;
  readonly seed?: number;
  readonly iterations?: number;
  readonly varianceFloor?: number;
  /** Stop when the mean log-likelihood improves by less than this. */
  readonly tolerance?: number;
}

export function fitGaussianMixture(rows: readonly Float64Array[], features: readonly string[], options: GaussianMixtureFitOptions = {}): GaussianMixtureModel {
  const d = features.length;
  const n = rows.length;
  const floor = options.varianceFloor ?? 1e-3;
  const { model: km, assignment } = fitKMeans(rows, features, { k: options.components ?? 3, seed: options.seed ?? 1 });
  const k = km.centroids.length;
  const mu = Float64Array.from(km.centroids.flat());
  const vr = new Float64Array(k * d).fill(floor);
  const w = new Float64Array(k);
  // Initial responsibilities are the hard k-means assignment.
  const resp = new Float64Array(n * k);
  assignment.forEach((m, i) => { resp[i * k + m] = 1; });
  const tol = options.tolerance ?? 1e-6;
  let prev = -Infinity;
  for (let it = 0; it < (options.iterations ?? 200); it++) {
    mStep(rows, resp, k, d, w, mu, vr, floor);
    // E step with log-sum-exp.
    let ll = 0;
    const lp = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      let max = -Infinity;
      for (let m = 0; m < k; m++) {
        let q = Math.log(w[m]!);
        for (let j = 0; j < d; j++) {
          const e = rows[i]![j]! - mu[m * d + j]!;
          q -= 0.5 * (Math.log(2 * Math.PI * vr[m * d + j]!) + (e * e) / vr[m * d + j]!);
        }
        lp[m] = q;
        if (q > max) max = q;
      }
      let s = 0;
      for (let m = 0; m < k; m++) s += Math.exp(lp[m]! - max);
      const lse = max + Math.log(s);
      ll += lse;
      for (let m = 0; m < k; m++) resp[i * k + m] = Math.exp(lp[m]! - lse);
    }
    ll /= n;
    if (ll - prev < tol) break;
    prev = ll;
  }
  mStep(rows, resp, k, d, w, mu, vr, floor);
  // Components that lost all their points are dropped; the rest renormalised.
  const keep = Array.from(w.keys()).filter((m) => w[m]! > 0);
  const total = keep.reduce((s, m) => s + w[m]!, 0);
  return {
    format: 'crypto-anomaly.gaussian-mixture',
    formatVersion: 1,
    features: [...features],
    weights: keep.map((m) => w[m]! / total),
    means: keep.map((m) => Array.from(mu.subarray(m * d, (m + 1) * d))),
    variances: keep.map((m) => Array.from(vr.subarray(m * d, (m + 1) * d))),
    metadata: { trainer: '@crypto-anomaly/detectors fitGaussianMixture', seed: options.seed ?? 1 },
  };
}

function mStep(rows: readonly Float64Array[], resp: Float64Array, k: number, d: number, w: Float64Array, mu: Float64Array, vr: Float64Array, floor: number): void {
  const n = rows.length;
  for (let m = 0; m < k; m++) {
    let nk = 0;
    for (let i = 0; i < n; i++) nk += resp[i * k + m]!;
    w[m] = nk / n;
    if (nk < 1e-12) continue;
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += resp[i * k + m]! * rows[i]![j]!;
      const mean = s / nk;
      let v = 0;
      for (let i = 0; i < n; i++) {
        const e = rows[i]![j]! - mean;
        v += resp[i * k + m]! * e * e;
      }
      mu[m * d + j] = mean;
      vr[m * d + j] = Math.max(v / nk, floor);
    }
  }
}
