/**
 * Rolling z-score: per feature, how many (EWMA) standard deviations the value sits from the
 * symbol's EWMA mean. Score = max over features of |z| (sigma units; ~3 is a classic threshold).
 * `explain` gives the per-feature z values so a consensus layer can name the unusual features.
 *
 * State per symbol: mean and variance per feature (float32) = 8 bytes per feature + header.
 * Missing features are skipped in both scoring and learning.
 */
import type { ByteReader, ByteWriter } from '../codec.js';
import { BaseDetector, checkOption } from '../detector.js';
import { DEFAULT_SCALER, EwScaler, resolveFeatures, type ScalerOptions } from '../scaler.js';
import type { FeatureSchema, FeatureVector } from '../schema.js';

export interface ZScoreOptions {
  readonly name?: string;
  /** Subset of schema features to watch; all by default. */
  readonly features?: readonly string[];
  readonly halfLife?: number;
  /** Winsorisation of baseline updates in sigmas (see scaler.ts). */
  readonly clip?: number;
  readonly warmUp?: number;
}

export class ZScoreDetector extends BaseDetector {
  protected readonly stateVersion = 1;
  readonly warmUp: number;
  private readonly scaler: EwScaler;

  constructor(schema: FeatureSchema, options: ZScoreOptions = {}) {
    super('zscore', options.name ?? 'zscore', schema);
    const scalerOptions: ScalerOptions = {
      halfLife: checkOption(this.name, 'halfLife', options.halfLife ?? DEFAULT_SCALER.halfLife, 1, 1e7),
      clip: checkOption(this.name, 'clip', options.clip ?? DEFAULT_SCALER.clip, 1, Infinity),
    };
    this.warmUp = checkOption(this.name, 'warmUp', options.warmUp ?? 30, 2, 1e7, true);
    this.scaler = new EwScaler(resolveFeatures(this.name, schema.names, options.features), scalerOptions, schema.minScales, schema.noiseOf);
  }

  protected layoutKey(): string {
    return Array.from(this.scaler.features).join(',');
  }

  protected scoreWarm(x: FeatureVector): number {
    let max = 0;
    const f = this.scaler.features;
    for (let j = 0; j < f.length; j++) {
      const z = Math.abs(this.scaler.z(j, x[f[j]!] ?? NaN));
      if (z > max) max = z; // NaN > max is false: missing features are skipped
    }
    return max;
  }

  /** Per-feature z (NaN where missing or cold), keyed by feature name. */
  explain(x: FeatureVector): Record<string, number> {
    const out: Record<string, number> = {};
    const f = this.scaler.features;
    for (let j = 0; j < f.length; j++) {
      out[this.schema.names[f[j]!]!] = this.isWarm() ? this.scaler.z(j, x[f[j]!] ?? NaN) : NaN;
    }
    return out;
  }

  /** The baseline (EWMA mean, sigma) of a feature, for "typical vs actual" reasons. */
  typical(feature: string): { mean: number; sigma: number } | undefined {
    const j = this.scaler.features.indexOf(this.schema.indexOf(feature));
    if (j < 0) return undefined;
    return { mean: this.scaler.mean[j]!, sigma: Math.sqrt(this.scaler.var[j]!) };
  }

  protected learnOne(x: FeatureVector): void {
    this.scaler.update(x, this.n, this.isWarm());
  }

  protected bodySize(): number {
    return this.scaler.byteSize;
  }

  protected writeBody(w: ByteWriter): void {
    this.scaler.write(w);
  }

  protected readBody(r: ByteReader): void {
    this.scaler.read(r);
  }

  protected resetBody(): void {
    this.scaler.reset();
  }
}
