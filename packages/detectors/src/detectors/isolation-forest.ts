/**
 * Isolation Forest scorer (Liu, Ting & Zhou 2008) over a shared, offline-trained forest in
 * per-symbol z-space. Score = 2^(-E[h(z)] / c(sampleSize)) in (0, 1]: about 0.5 or less for
 * ordinary windows, approaching 1 for windows isolated in few splits.
 *   h(z) = depth of the leaf z reaches + c(leaf size)   (unbuilt subtree below a size-capped leaf)
 *   c(n) = 2·H(n-1) - 2(n-1)/n for n > 2, c(2) = 1, c(n <= 1) = 0, H(i) = ln(i) + 0.5772156649015329
 * Routing: z[feature] < threshold goes left, otherwise right (ties go right).
 * The model (format 'crypto-anomaly.isolation-forest', see docs/decisions/012) is flattened into
 * typed arrays at load; per-symbol state is only the normaliser (model-detector.ts).
 * We wrote this instead of using ml-isolation-forest: docs/decisions/010-isolation-forest.md.
 */
import { ModelDetector, type ModelDetectorOptions } from '../model-detector.js';
import { ModelReader } from '../model.js';
import type { FeatureSchema } from '../schema.js';

export interface IsolationTree {
  /** Split feature per node (index into the model's `features`), -1 for a leaf. */
  readonly feature: readonly number[];
  readonly threshold: readonly number[];
  /** Child node indices (> the node's own index), -1 for a leaf. */
  readonly left: readonly number[];
  readonly right: readonly number[];
  /** Training points that reached the node (used at leaves). */
  readonly size: readonly number[];
}

export interface IsolationForestModel {
  readonly format: 'crypto-anomaly.isolation-forest';
  readonly formatVersion: 1;
  readonly features: readonly string[];
  readonly sampleSize: number;
  readonly trees: readonly IsolationTree[];
  readonly metadata?: Readonly<Record<string, unknown>>;
}

const EULER_GAMMA = 0.5772156649015329;

/** Average path length of an unsuccessful BST search among n points (the normaliser c(n)). */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

/** Validates a parsed JSON document as an isolation-forest model (throws ModelFormatError). */
export function parseIsolationForest(json: unknown): IsolationForestModel {
  const r = ModelReader.open('isolation-forest', json, 1);
  const features = r.features();
  const sampleSize = r.number('sampleSize', 2);
  const trees: unknown = r.doc['trees'];
  if (!Array.isArray(trees) || trees.length === 0) return r.fail("'trees' must be a non-empty array");
  const parsed = trees.map((t: unknown, ti: number): IsolationTree => {
    const tr = new ModelReader('isolation-forest', (t ?? {}) as Record<string, unknown>);
    const feature = tr.vector(`trees[${ti}].feature`, undefined, -1, tr.doc['feature']);
    const n = feature.length;
    if (n === 0) r.fail(`trees[${ti}] has no nodes`);
    const tree = {
      feature,
      threshold: tr.vector(`trees[${ti}].threshold`, n, -Infinity, tr.doc['threshold']),
      left: tr.vector(`trees[${ti}].left`, n, -1, tr.doc['left']),
      right: tr.vector(`trees[${ti}].right`, n, -1, tr.doc['right']),
      size: tr.vector(`trees[${ti}].size`, n, 0, tr.doc['size']),
    };
    for (let i = 0; i < n; i++) {
      const f = feature[i]!;
      const leaf = f === -1;
      if (!Number.isInteger(f) || f >= features.length) r.fail(`trees[${ti}].feature[${i}]=${f} is not a feature index`);
      for (const c of [tree.left[i]!, tree.right[i]!]) {
        // Children after their parent: rules out cycles, so scoring always terminates.
        if (leaf ? c !== -1 : !Number.isInteger(c) || c <= i || c >= n) r.fail(`trees[${ti}] node ${i} has a bad child index ${c}`);
      }
    }
    return tree;
  });
  return { format: 'crypto-anomaly.isolation-forest', formatVersion: 1, features, sampleSize, trees: parsed };
}

export class IsolationForestDetector extends ModelDetector {
  protected readonly stateVersion = 1;
  readonly model: IsolationForestModel;
  private readonly roots: Int32Array;
  private readonly feat: Int32Array;
  private readonly thr: Float64Array;
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  /** c(leaf size) per node, so a leaf costs one addition. */
  private readonly leafAdj: Float64Array;
  private readonly norm: number;

  /** `model` is the JSON document (validated here) or an already parsed model. */
  constructor(schema: FeatureSchema, model: unknown, options: ModelDetectorOptions = {}) {
    const m = parseIsolationForest(model);
    super('isolation-forest', schema, m.features, options);
    this.model = m;
    const total = m.trees.reduce((s, t) => s + t.feature.length, 0);
    this.roots = new Int32Array(m.trees.length);
    this.feat = new Int32Array(total);
    this.thr = new Float64Array(total);
    this.left = new Int32Array(total);
    this.right = new Int32Array(total);
    this.leafAdj = new Float64Array(total);
    let off = 0;
    m.trees.forEach((t, ti) => {
      this.roots[ti] = off;
      for (let i = 0; i < t.feature.length; i++) {
        this.feat[off + i] = t.feature[i]!;
        this.thr[off + i] = t.threshold[i]!;
        this.left[off + i] = t.left[i]! + off;
        this.right[off + i] = t.right[i]! + off;
        this.leafAdj[off + i] = averagePathLength(t.size[i]!);
      }
      off += t.feature.length;
    });
    this.norm = 1 / (m.trees.length * averagePathLength(m.sampleSize));
  }

  protected scoreZ(z: Float64Array): number {
    let total = 0;
    const { feat, thr, left, right, leafAdj } = this;
    for (let t = 0; t < this.roots.length; t++) {
      let i = this.roots[t]!;
      let depth = 0;
      for (let f = feat[i]!; f >= 0; f = feat[i]!) {
        i = z[f]! < thr[i]! ? left[i]! : right[i]!;
        depth++;
      }
      total += depth + leafAdj[i]!;
    }
    return Math.pow(2, -total * this.norm);
  }
}
