/**
 * Per-symbol, per-feature exponentially weighted location and scale: the normalisation that turns
 * a symbol's raw features into its own z-space. The z-score detector scores with it directly;
 * the model detectors (isolation forest, k-means, GMM, half-space trees) feed their shared
 * offline models with its output, so one model serves BTC and a thin altcoin alike.
 *
 * Contract:
 * - mean/var are float32 (the state is stored as is, 8 bytes per feature); NaN mean = never seen.
 * - alpha = max(1 - 2^(-1/halfLife), 1/n): the first observations are plain running averages
 *   (no start-up bias), later ones an EWMA with the given half-life in observations.
 * - Robustness: once warm, an update is winsorised to mean ± clip·sigma (Huber-style), so one
 *   wild window moves the baseline by at most clip sigma times alpha.
 * - z = (x - mean) / max(sigma, 1e-9 + 1e-6·|mean|), limited to ±Z_LIMIT so that a feature that
 *   was constant so far yields a large but finite z.
 */
import type { ByteReader, ByteWriter } from './codec.js';
import { poissonLog1pScale, type FeatureVector } from './schema.js';

export const Z_LIMIT = 1e4;

export interface ScalerOptions {
  /** Half-life of the baseline, in observations (windows). */
  readonly halfLife: number;
  /** Winsorisation bound in sigmas for updates once warm; Infinity disables it. */
  readonly clip: number;
}

export const DEFAULT_SCALER: ScalerOptions = Object.freeze({ halfLife: 120, clip: 5 });

export class EwScaler {
  readonly mean: Float32Array;
  readonly var: Float32Array;
  /** mean then var, as the bytes that go into the blob (one view, no per-save allocation). */
  private readonly all: Float32Array;
  private readonly allBytes: Uint8Array;
  private readonly alphaFloor: number;

  /** `features[j]` is the schema index of the scaler's j-th slot. */
  /** Per slot: the feature's minimum scale (FeatureSpec.minScale). */
  private readonly floors: Float64Array;
  /** Per slot: the slot of the count feature whose Poisson noise bounds its scale (FeatureSpec.noiseOf), -1 = none. */
  private readonly noiseSlot: Int32Array;

  constructor(readonly features: Int32Array, readonly options: ScalerOptions, minScales?: Float64Array, noiseOf?: Int32Array) {
    this.floors = Float64Array.from(features, (i) => minScales?.[i] ?? 0);
    this.noiseSlot = Int32Array.from(features, (i) => (noiseOf === undefined || noiseOf[i]! < 0 ? -1 : features.indexOf(noiseOf[i]!)));
    this.all = new Float32Array(2 * features.length);
    this.allBytes = new Uint8Array(this.all.buffer);
    this.mean = this.all.subarray(0, features.length).fill(NaN);
    this.var = this.all.subarray(features.length);
    this.alphaFloor = 1 - Math.pow(2, -1 / options.halfLife);
  }

  get byteSize(): number {
    return this.features.length * 8;
  }

  /** z of value v in slot j (NaN if v or the baseline is missing). */
  z(j: number, v: number): number {
    const m = this.mean[j]!;
    const ns = this.noiseSlot[j]!;
    const noise = ns >= 0 ? poissonLog1pScale(this.mean[ns]!) : 0;
    const sd = Math.max(Math.sqrt(this.var[j]!), this.floors[j]!, noise, 1e-9 + 1e-6 * Math.abs(m));
    const z = (v - m) / sd;
    return z > Z_LIMIT ? Z_LIMIT : z < -Z_LIMIT ? -Z_LIMIT : z;
  }

  /** Writes z of every slot into out; missing values become `missing` (0 = the symbol's typical value). */
  standardise(x: FeatureVector, out: Float64Array, missing: number): Float64Array {
    const f = this.features;
    for (let j = 0; j < f.length; j++) {
      const z = this.z(j, x[f[j]!] ?? NaN);
      out[j] = Number.isNaN(z) ? missing : z;
    }
    return out;
  }

  /** Folds x in; n = observations before this one, warm = whether winsorising applies yet. */
  update(x: FeatureVector, n: number, warm: boolean): void {
    const a = Math.max(this.alphaFloor, 1 / (n + 1));
    const f = this.features;
    const clip = this.options.clip;
    for (let j = 0; j < f.length; j++) {
      let v = x[f[j]!] ?? NaN;
      // Non-finite input is treated as missing: one Infinity must not poison the baseline forever.
      if (!Number.isFinite(v)) continue;
      const m = this.mean[j]!;
      if (Number.isNaN(m)) {
        this.mean[j] = v;
        this.var[j] = 0;
        continue;
      }
      const s2 = this.var[j]!;
      if (warm && s2 > 0) {
        const bound = clip * Math.sqrt(s2);
        v = v > m + bound ? m + bound : v < m - bound ? m - bound : v;
      }
      // West's incremental EW variance: unbiased for the weights, no catastrophic cancellation.
      const d = v - m;
      this.mean[j] = m + a * d;
      this.var[j] = (1 - a) * (s2 + a * d * d);
    }
  }

  reset(): void {
    this.mean.fill(NaN);
    this.var.fill(0);
  }

  write(w: ByteWriter): void {
    w.f32s(this.all, this.allBytes);
  }

  read(r: ByteReader): void {
    r.f32s(this.all, this.allBytes);
  }
}

/** Schema indices 0..size-1, or the given names resolved (unknown names are a config error). */
export function resolveFeatures(owner: string, schemaNames: readonly string[], names?: readonly string[]): Int32Array {
  if (names === undefined) return Int32Array.from(schemaNames.keys());
  return Int32Array.from(names, (name) => {
    const i = schemaNames.indexOf(name);
    if (i < 0) throw new RangeError(`${owner}: feature '${name}' is not in the schema (${schemaNames.join(', ')})`);
    return i;
  });
}
