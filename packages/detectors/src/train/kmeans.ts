/**
 * Reference k-means trainer: k-means++ seeding from a mulberry32 seed, then Lloyd iterations
 * until assignments stop changing. Emits the 'crypto-anomaly.kmeans' model with each cluster's
 * RMS radius (floored at minRadius so a tiny cluster cannot make its neighbourhood explode).
 */
import type { KMeansModel } from '../detectors/kmeans.js';
import { mulberry32 } from '../prng.js';
import { sqDist } from './zspace.js';

export interface KMeansFitOptions {
  readonly k?: number;
  readonly seed?: number;
  readonly iterations?: number;
  readonly minRadius?: number;
}

export interface KMeansFit {
  readonly model: KMeansModel;
  readonly assignment: Int32Array;
}

export function fitKMeans(rows: readonly Float64Array[], features: readonly string[], options: KMeansFitOptions = {}): KMeansFit {
  const k = Math.min(options.k ?? 4, rows.length);
  if (k < 1) throw new RangeError('fitKMeans needs at least 1 row');
  const d = features.length;
  const rng = mulberry32(options.seed ?? 1);
  const c = new Float64Array(k * d);
  // k-means++: each next centre is drawn with probability proportional to D(x)^2.
  c.set(rows[rng.int(rows.length)]!, 0);
  const dist = rows.map((r) => sqDist(r, c, 0));
  for (let m = 1; m < k; m++) {
    const total = dist.reduce((a, b) => a + b, 0);
    let target = rng.next() * total;
    let pick = rows.length - 1;
    for (let i = 0; i < rows.length; i++) {
      target -= dist[i]!;
      if (target < 0) { pick = i; break; }
    }
    c.set(rows[pick]!, m * d);
    rows.forEach((r, i) => { dist[i] = Math.min(dist[i]!, sqDist(r, c, m * d)); });
  }
  const assignment = new Int32Array(rows.length).fill(-1);
  for (let it = 0; it < (options.iterations ?? 100); it++) {
    let changed = false;
    rows.forEach((r, i) => {
      let best = 0;
      let bestD = Infinity;
      for (let m = 0; m < k; m++) {
        const dd = sqDist(r, c, m * d);
        if (dd < bestD) { bestD = dd; best = m; }
      }
      if (assignment[i] !== best) { assignment[i] = best; changed = true; }
    });
    if (!changed) break;
    const sums = new Float64Array(k * d);
    const counts = new Float64Array(k);
    rows.forEach((r, i) => {
      const m = assignment[i]!;
      counts[m] = counts[m]! + 1;
      for (let j = 0; j < d; j++) sums[m * d + j] = sums[m * d + j]! + r[j]!;
    });
    // An emptied cluster keeps its old centre rather than becoming NaN.
    for (let m = 0; m < k; m++) if (counts[m]! > 0) for (let j = 0; j < d; j++) c[m * d + j] = sums[m * d + j]! / counts[m]!;
  }
  const ss = new Float64Array(k);
  const counts = new Float64Array(k);
  rows.forEach((r, i) => { const m = assignment[i]!; ss[m] = ss[m]! + sqDist(r, c, m * d); counts[m] = counts[m]! + 1; });
  const minRadius = options.minRadius ?? 0.1;
  const centroids = Array.from({ length: k }, (_, m) => Array.from(c.subarray(m * d, (m + 1) * d)));
  const radii = Array.from(ss, (s, m) => Math.max(counts[m]! > 0 ? Math.sqrt(s / counts[m]!) : 0, minRadius));
  return {
    model: { format: 'crypto-anomaly.kmeans', formatVersion: 1, features: [...features], centroids, radii, metadata: { trainer: '@crypto-anomaly/detectors fitKMeans', seed: options.seed ?? 1 } },
    assignment,
  };
}
