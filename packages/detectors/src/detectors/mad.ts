/**
 * Robust MAD z-score: per feature, |x - median| / (1.4826 · MAD) over the symbol's last `window`
 * observations. Score = max over features (sigma-equivalent units for Gaussian data). Unlike the
 * EWMA z-score it is not dragged by the outliers it is meant to find, and it forgets a regime
 * after `window` observations instead of exponentially.
 *
 * State per symbol: a float32 ring buffer of `window` × features values (4 bytes each); this is
 * the largest per-symbol state in the ensemble, so `window` and `features` are the budget knobs
 * (32 × 9 features = 1152 bytes). The ring position is observations mod window, so it costs nothing.
 * If MAD is 0 (a feature that is usually constant), the scale falls back to 1.2533 × mean absolute
 * deviation, then to a tiny floor. Missing features are stored as NaN and skipped.
 */
import type { ByteReader, ByteWriter } from '../codec.js';
import { BaseDetector, checkOption } from '../detector.js';
import { resolveFeatures, Z_LIMIT } from '../scaler.js';
import { poissonLog1pScale, type FeatureSchema, type FeatureVector } from '../schema.js';
import { medianBranchless, medianInPlace } from '../select.js';

export interface MadOptions {
  readonly name?: string;
  readonly features?: readonly string[];
  /** Observations kept per feature (costs 4 bytes per feature per observation). */
  readonly window?: number;
  readonly warmUp?: number;
  /** A feature with fewer non-missing values in the window is not scored. */
  readonly minValues?: number;
}

const MAD_TO_SIGMA = 1.4826;
const MEAN_AD_TO_SIGMA = 1.2533;

export class MadDetector extends BaseDetector {
  protected readonly stateVersion = 1;
  readonly warmUp: number;
  readonly window: number;
  private readonly features: Int32Array;
  /** Per slot: the feature's minimum scale (FeatureSpec.minScale). */
  private readonly floors: Float64Array;
  /** Per slot: the slot of the count feature whose Poisson noise bounds its scale (FeatureSpec.noiseOf), -1 = none. */
  private readonly noiseSlot: Int32Array;
  private readonly minValues: number;
  private readonly ring: Float32Array;
  private readonly ringBytes: Uint8Array;
  private readonly values: Float64Array;
  private readonly devs: Float64Array;
  private readonly work: Float64Array;

  constructor(schema: FeatureSchema, options: MadOptions = {}) {
    super('mad', options.name ?? 'mad', schema);
    this.window = checkOption(this.name, 'window', options.window ?? 32, 3, 4096, true);
    this.warmUp = checkOption(this.name, 'warmUp', options.warmUp ?? this.window, 3, 1e7, true);
    this.minValues = checkOption(this.name, 'minValues', options.minValues ?? 5, 3, this.window, true);
    this.features = resolveFeatures(this.name, schema.names, options.features);
    this.floors = Float64Array.from(this.features, (i) => schema.minScales[i] ?? 0);
    this.noiseSlot = Int32Array.from(this.features, (i) => (schema.noiseOf[i]! < 0 ? -1 : this.features.indexOf(schema.noiseOf[i]!)));
    this.ring = new Float32Array(this.window * this.features.length).fill(NaN);
    this.ringBytes = new Uint8Array(this.ring.buffer);
    this.values = new Float64Array(this.window);
    this.devs = new Float64Array(this.window);
    this.work = new Float64Array(this.window);
  }

  protected layoutKey(): string {
    return `${this.window}|${Array.from(this.features).join(',')}`;
  }

  /**
   * Median and robust scale of slot j's window, or undefined if too few values.
   *
   * Fast path: both medians by `medianBranchless` (no mispredicted branches in its loop). It is
   * bit-identical to the sort/quickselect median when equal values are bitwise equal, so a window
   * holding -0 or a non-finite value (a float32 overflow) takes `statsExact`, the original
   * algorithm. So does MAD = 0: its fallback scale sums deviations in the order the original
   * quickselect leaves them, and float addition is not associative.
   */
  private rawStats(j: number): { median: number; scale: number } | undefined {
    const nf = this.features.length;
    const vals = this.values;
    const work = this.work;
    let k = 0;
    let special = false;
    for (let s = 0; s < this.window; s++) {
      const v = this.ring[s * nf + j]!;
      if (v - v === 0) {
        if (v === 0 && 1 / v < 0) special = true; // -0
        vals[k] = v;
        work[k++] = v;
      } else if (v === v) special = true; // +-Infinity
    }
    if (special) return this.statsExact(j); // before the count check: it counts infinities too
    if (k < this.minValues) return undefined;
    const median = medianBranchless(work, this.devs, k);
    for (let i = 0; i < k; i++) work[i] = Math.abs(vals[i]! - median);
    const scale = MAD_TO_SIGMA * medianBranchless(work, this.devs, k);
    if (scale === 0) return this.statsExact(j);
    return { median, scale: Math.max(scale, this.floors[j]!, 1e-9 + 1e-6 * Math.abs(median)) };
  }

  /** rawStats with the Poisson floor of the slot's count feature (FeatureSpec.noiseOf) applied to its scale. */
  private stats(j: number): { median: number; scale: number } | undefined {
    const st = this.rawStats(j);
    const ns = this.noiseSlot[j]!;
    if (st === undefined || ns < 0) return st;
    const c = ns === j ? st : this.rawStats(ns);
    if (c !== undefined) st.scale = Math.max(st.scale, poissonLog1pScale(c.median));
    return st;
  }

  /** The original algorithm: quickselect median and MAD, mean-absolute-deviation fallback. */
  private statsExact(j: number): { median: number; scale: number } | undefined {
    const nf = this.features.length;
    let k = 0;
    for (let s = 0; s < this.window; s++) {
      const v = this.ring[s * nf + j]!;
      if (!Number.isNaN(v)) this.values[k++] = v;
    }
    if (k < this.minValues) return undefined;
    const vals = this.values;
    const median = medianInPlace(vals, k);
    let sumAbs = 0;
    for (let i = 0; i < k; i++) {
      const d = Math.abs(vals[i]! - median);
      this.devs[i] = d;
      sumAbs += d;
    }
    const mad = medianInPlace(this.devs, k);
    let scale = MAD_TO_SIGMA * mad;
    if (scale === 0) scale = (MEAN_AD_TO_SIGMA * sumAbs) / k;
    return { median, scale: Math.max(scale, this.floors[j]!, 1e-9 + 1e-6 * Math.abs(median)) };
  }

  protected scoreWarm(x: FeatureVector): number {
    let max = 0;
    for (let j = 0; j < this.features.length; j++) {
      const v = x[this.features[j]!] ?? NaN;
      if (Number.isNaN(v)) continue;
      const st = this.stats(j);
      if (st === undefined) continue;
      const z = Math.abs(v - st.median) / st.scale;
      if (z > max) max = z;
    }
    return Math.min(max, Z_LIMIT);
  }

  /** Window median and robust sigma of a feature, for "typical vs actual" reasons. */
  typical(feature: string): { median: number; sigma: number } | undefined {
    const j = this.features.indexOf(this.schema.indexOf(feature));
    const st = j < 0 ? undefined : this.stats(j);
    return st && { median: st.median, sigma: st.scale };
  }

  protected learnOne(x: FeatureVector): void {
    const nf = this.features.length;
    const base = (this.n % this.window) * nf;
    for (let j = 0; j < nf; j++) {
      const v = x[this.features[j]!] ?? NaN;
      this.ring[base + j] = Number.isFinite(v) ? v : NaN; // non-finite = missing
    }
  }

  protected bodySize(): number {
    return this.ring.byteLength;
  }

  protected writeBody(w: ByteWriter): void {
    w.f32s(this.ring, this.ringBytes);
  }

  protected readBody(r: ByteReader): void {
    r.f32s(this.ring, this.ringBytes);
  }

  protected resetBody(): void {
    this.ring.fill(NaN);
  }
}

