/**
 * Reference Isolation Forest trainer: seeded (mulberry32), sub-sampled without replacement,
 * height-limited to ceil(log2(sampleSize)), emitting the plain-data model format that
 * IsolationForestDetector scores. Split feature is drawn among features that are not constant
 * in the node (so no empty splits); the threshold is uniform in [min, max) of that feature.
 */
import type { IsolationForestModel, IsolationTree } from '../detectors/isolation-forest.js';
import { mulberry32, type Rng } from '../prng.js';

export interface IsolationForestFitOptions {
  readonly trees?: number;
  readonly sampleSize?: number;
  readonly seed?: number;
  readonly maxDepth?: number;
}

export function fitIsolationForest(rows: readonly Float64Array[], features: readonly string[], options: IsolationForestFitOptions = {}): IsolationForestModel {
  if (rows.length < 2) throw new RangeError('fitIsolationForest needs at least 2 rows');
  const rng = mulberry32(options.seed ?? 1);
  const sampleSize = Math.min(options.sampleSize ?? 256, rows.length);
  const maxDepth = options.maxDepth ?? Math.ceil(Math.log2(sampleSize));
  const trees: IsolationTree[] = [];
  const pool = rows.map((_, i) => i);
  for (let t = 0; t < (options.trees ?? 100); t++) {
    // Partial Fisher-Yates: the first sampleSize entries of pool become the sample.
    for (let i = 0; i < sampleSize; i++) {
      const j = i + rng.int(pool.length - i);
      [pool[i], pool[j]] = [pool[j]!, pool[i]!];
    }
    trees.push(buildTree(rows, pool.slice(0, sampleSize), features.length, maxDepth, rng));
  }
  return { format: 'crypto-anomaly.isolation-forest', formatVersion: 1, features: [...features], sampleSize, trees, metadata: { trainer: '@crypto-anomaly/detectors fitIsolationForest', seed: options.seed ?? 1 } };
}

function buildTree(rows: readonly Float64Array[], sample: number[], d: number, maxDepth: number, rng: Rng): IsolationTree {
  const t = { feature: [] as number[], threshold: [] as number[], left: [] as number[], right: [] as number[], size: [] as number[] };
  const node = (idx: number[], depth: number): number => {
    const id = t.feature.length;
    t.feature.push(-1); t.threshold.push(0); t.left.push(-1); t.right.push(-1); t.size.push(idx.length);
    if (depth >= maxDepth || idx.length <= 1) return id;
    const candidates: [number, number, number][] = [];
    for (let f = 0; f < d; f++) {
      let lo = Infinity;
      let hi = -Infinity;
      for (const i of idx) {
        const v = rows[i]![f]!;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      if (hi > lo) candidates.push([f, lo, hi]);
    }
    if (candidates.length === 0) return id;
    const [f, lo, hi] = candidates[rng.int(candidates.length)]!;
    const threshold = lo + rng.next() * (hi - lo);
    t.feature[id] = f;
    t.threshold[id] = threshold;
    t.left[id] = node(idx.filter((i) => rows[i]![f]! < threshold), depth + 1);
    t.right[id] = node(idx.filter((i) => rows[i]![f]! >= threshold), depth + 1);
    return id;
  };
  node(sample, 0);
  return t;
}
