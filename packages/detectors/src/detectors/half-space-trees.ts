/**
 * Half-Space Trees (Tan, Ting & Liu 2011), the online learner that covers a new symbol from a
 * cold start without any offline model. Input is the symbol's z-space (model-detector.ts),
 * squashed to (0, 1) by u = 1 / (1 + e^(-1.702 z)), which approximates the normal CDF, so for
 * roughly Gaussian z the unit cube is used evenly and every split level resolves something.
 *
 * Tree STRUCTURE (split feature and value per node) is derived from the seed alone, identical
 * for all symbols and never stored. Per-symbol STATE is only the mass counts: for every node a
 * reference mass r (last complete window) and a latest mass l (window being filled), one byte
 * each, so `window` <= 255. Default 25 trees of height 3 (15 nodes) = 750 bytes + normaliser:
 * on the fixture, many shallow trees beat fewer deep ones (an anomaly in 2 of 9 features is
 * more often split on), see docs/decisions/011.
 * The position in the window is derived from the observation count, so it costs no state.
 *
 * Score = -log2((sum_t r_t · 2^d_t + 1) / (trees · window · 2^height + 1)), where node t is the first
 * node on x's path whose reference mass is below sizeLimit, or the leaf (Tan et al.: an outlier ends
 * in a near-empty node). Bits of surprise against the densest possible cell: 0 where the whole last
 * window fell into x's leaf in every tree, `height` bits where x's cells were as dense as average,
 * up to log2(trees · window · 2^height + 1) where they were empty. Never negative (decision 067;
 * before it the reference was the average density, so typical windows scored below 0, less than
 * the "no evidence" 0 of a cold detector).
 * Warm after the normaliser warm-up plus one full reference window.
 */
import type { ByteReader, ByteWriter } from '../codec.js';
import { checkOption } from '../detector.js';
import { ModelDetector, type ModelDetectorOptions } from '../model-detector.js';
import { mulberry32 } from '../prng.js';
import type { FeatureSchema, FeatureVector } from '../schema.js';

export interface HalfSpaceTreesOptions extends ModelDetectorOptions {
  readonly features?: readonly string[];
  readonly trees?: number;
  readonly height?: number;
  /** Observations per reference window (<= 255: masses are single bytes). */
  readonly window?: number;
  /** A node with a smaller reference mass ends the path (default 10 % of the window). */
  readonly sizeLimit?: number;
  readonly seed?: number;
  /**
   * Slope k of the squash u = 1 / (1 + e^(-k z)). Default 1.702 (the normal CDF): the cube is used
   * evenly for Gaussian z. A smaller k spreads the tails (z = 5 and z = 20 land in different cells),
   * which matters when the anomalies of interest are single features many sigmas out.
   */
  readonly squash?: number;
}

const PROBIT_LOGISTIC = 1.702;

export class HalfSpaceTreesDetector extends ModelDetector {
  protected readonly stateVersion = 1;
  readonly trees: number;
  readonly height: number;
  readonly window: number;
  readonly seed: number;
  private readonly sizeLimit: number;
  private readonly nodes: number;
  private readonly splitFeature: Int32Array;
  private readonly splitValue: Float64Array;
  private readonly r: Uint8Array;
  private readonly l: Uint8Array;
  private readonly u: Float64Array;
  readonly squashSlope: number;
  /** trees · window · 2^height + 1: the largest possible mass sum, + 1. */
  private readonly maxMass1: number;

  constructor(schema: FeatureSchema, options: HalfSpaceTreesOptions = {}) {
    super('half-space-trees', schema, options.features ?? schema.names, options);
    this.trees = checkOption(this.name, 'trees', options.trees ?? 25, 1, 1000, true);
    this.height = checkOption(this.name, 'height', options.height ?? 3, 1, 15, true);
    this.window = checkOption(this.name, 'window', options.window ?? 64, 2, 255, true);
    this.sizeLimit = checkOption(this.name, 'sizeLimit', options.sizeLimit ?? Math.max(1, Math.floor(0.1 * this.window)), 1, this.window);
    this.seed = checkOption(this.name, 'seed', options.seed ?? 42, 0, 0xffffffff, true);
    this.squashSlope = checkOption(this.name, 'squash', options.squash ?? PROBIT_LOGISTIC, 1e-3, 100);
    this.nodes = 2 ** (this.height + 1) - 1;
    this.maxMass1 = this.trees * this.window * 2 ** this.height + 1;
    this.splitFeature = new Int32Array(this.trees * this.nodes).fill(-1);
    this.splitValue = new Float64Array(this.trees * this.nodes);
    this.r = new Uint8Array(this.trees * this.nodes);
    this.l = new Uint8Array(this.trees * this.nodes);
    this.u = new Float64Array(this.z.length);
    this.buildStructure();
  }

  override get warmUp(): number {
    return this.normaliserWarmUp + this.window;
  }

  /** Random work ranges per tree, then midpoint splits on random features (Tan et al., Alg. 1). */
  private buildStructure(): void {
    const rng = mulberry32(this.seed);
    const d = this.u.length;
    const lo = new Float64Array(d);
    const hi = new Float64Array(d);
    const grow = (base: number, i: number, depth: number): void => {
      if (depth === this.height) return;
      const f = rng.int(d);
      const split = (lo[f]! + hi[f]!) / 2;
      this.splitFeature[base + i] = f;
      this.splitValue[base + i] = split;
      const saved = hi[f]!;
      hi[f] = split;
      grow(base, 2 * i + 1, depth + 1);
      hi[f] = saved;
      const savedLo = lo[f]!;
      lo[f] = split;
      grow(base, 2 * i + 2, depth + 1);
      lo[f] = savedLo;
    };
    for (let t = 0; t < this.trees; t++) {
      for (let j = 0; j < d; j++) {
        const sq = rng.next();
        const half = 2 * Math.max(sq, 1 - sq);
        lo[j] = sq - half;
        hi[j] = sq + half;
      }
      grow(t * this.nodes, 0, 0);
    }
  }

  private squash(x: FeatureVector): Float64Array {
    const z = this.scaler.standardise(x, this.z, 0);
    for (let j = 0; j < z.length; j++) this.u[j] = 1 / (1 + Math.exp(-this.squashSlope * z[j]!));
    return this.u;
  }

  protected override scoreWarm(x: FeatureVector): number {
    return this.scoreZ(this.squash(x));
  }

  /** Here the argument is the squashed vector u, not z (scoreWarm does the squashing). */
  protected scoreZ(u: Float64Array): number {
    let mass = 0;
    for (let t = 0; t < this.trees; t++) {
      const base = t * this.nodes;
      let i = 0;
      let depth = 0;
      for (;;) {
        const f = this.splitFeature[base + i]!;
        if (f < 0) break;
        // Tan et al. 2011: descend until a node whose reference mass is below sizeLimit (or a
        // leaf) and score THAT node. (Stopping at its parent, as this file did before decision
        // 067, scored an outlier with the mass of the bulk it had just left: no separation.)
        i = u[f]! < this.splitValue[base + i]! ? 2 * i + 1 : 2 * i + 2;
        depth++;
        if (this.r[base + i]! < this.sizeLimit) break;
      }
      mass += this.r[base + i]! * 2 ** depth;
    }
    return -Math.log2((mass + 1) / this.maxMass1);
  }

  protected override learnOne(x: FeatureVector): void {
    const k = this.n - this.normaliserWarmUp;
    if (k >= 0) {
      // Masses are counted in the z-space as it was before this observation, as scoring saw it.
      const u = this.squash(x);
      for (let t = 0; t < this.trees; t++) {
        const base = t * this.nodes;
        let i = 0;
        for (;;) {
          this.l[base + i]!++;
          const f = this.splitFeature[base + i]!;
          if (f < 0) break;
          i = u[f]! < this.splitValue[base + i]! ? 2 * i + 1 : 2 * i + 2;
        }
      }
      if ((k + 1) % this.window === 0) {
        this.r.set(this.l);
        this.l.fill(0);
      }
    }
    super.learnOne(x);
  }

  protected override layoutKey(): string {
    // The squash slope changes what the masses mean, so it is part of the key (the default keeps old keys).
    const k = this.squashSlope === PROBIT_LOGISTIC ? '' : `|k${this.squashSlope}`;
    return `${super.layoutKey()}|${this.trees}|${this.height}|${this.window}|${this.seed}${k}`;
  }

  protected override bodySize(): number {
    return super.bodySize() + 2 * this.r.length;
  }

  protected override writeBody(w: ByteWriter): void {
    super.writeBody(w);
    w.raw(this.r).raw(this.l);
  }

  protected override readBody(r: ByteReader, version: number): void {
    super.readBody(r, version);
    this.r.set(r.raw(this.r.length));
    this.l.set(r.raw(this.l.length));
  }

  protected override resetBody(): void {
    super.resetBody();
    this.r.fill(0);
    this.l.fill(0);
  }
}
