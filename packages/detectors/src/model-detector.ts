/**
 * Base for detectors that score with a SHARED model in PER-SYMBOL z-space. The per-symbol state is
 * only the normaliser (EW mean/variance of each model feature, 8 bytes per feature, see
 * scaler.ts); the model itself is configuration, the same for every symbol, never in the blob.
 * Scoring: z = standardise(x) with missing features imputed at 0 (the symbol's typical value),
 * then the model's pure `scoreZ(z)`. Learning only moves the normaliser.
 *
 * Hot-swapping a model with the same feature list keeps every symbol's state valid; a model
 * with another feature list changes the layout fingerprint, and old blobs are rejected.
 */
import type { ByteReader, ByteWriter } from './codec.js';
import { BaseDetector, checkOption } from './detector.js';
import { DEFAULT_SCALER, EwScaler, resolveFeatures } from './scaler.js';
import type { FeatureSchema, FeatureVector } from './schema.js';

export interface ModelDetectorOptions {
  readonly name?: string;
  /** Normaliser half-life in observations. */
  readonly halfLife?: number;
  readonly clip?: number;
  readonly warmUp?: number;
}

export abstract class ModelDetector extends BaseDetector {
  /** Observations before the normaliser (and so z-space) is trusted. */
  readonly normaliserWarmUp: number;
  protected readonly scaler: EwScaler;
  /** Scratch z-vector, reused so scoring allocates nothing. */
  protected readonly z: Float64Array;

  constructor(kind: string, schema: FeatureSchema, modelFeatures: readonly string[], options: ModelDetectorOptions) {
    super(kind, options.name ?? kind, schema);
    this.normaliserWarmUp = checkOption(this.name, 'warmUp', options.warmUp ?? 30, 2, 1e7, true);
    this.scaler = new EwScaler(resolveFeatures(this.name, schema.names, modelFeatures), {
      halfLife: checkOption(this.name, 'halfLife', options.halfLife ?? DEFAULT_SCALER.halfLife, 1, 1e7),
      clip: checkOption(this.name, 'clip', options.clip ?? DEFAULT_SCALER.clip, 1, Infinity),
    });
    this.z = new Float64Array(modelFeatures.length);
  }

  get warmUp(): number {
    return this.normaliserWarmUp;
  }

  /** Score of a z-vector in model feature order; pure. */
  protected abstract scoreZ(z: Float64Array): number;

  protected layoutKey(): string {
    return Array.from(this.scaler.features).join(',');
  }

  protected scoreWarm(x: FeatureVector): number {
    return this.scoreZ(this.scaler.standardise(x, this.z, 0));
  }

  /** x in this symbol's z-space (model feature order); what the training job should learn from. */
  toZ(x: FeatureVector): Float64Array {
    return this.scaler.standardise(x, new Float64Array(this.z.length), 0);
  }

  /**
   * For reasons ("typical vs actual"): per model feature its schema index, z (NaN when missing or
   * the baseline is unknown) and the normaliser's mean in the schema's transformed space. Pure;
   * allocates, so call it only for windows that need an explanation.
   */
  explainZ(x: FeatureVector): { feature: number; z: number; typical: number }[] {
    const f = this.scaler.features;
    const out: { feature: number; z: number; typical: number }[] = [];
    for (let j = 0; j < f.length; j++) out.push({ feature: f[j]!, z: this.scaler.z(j, x[f[j]!] ?? NaN), typical: this.scaler.mean[j]! });
    return out;
  }

  protected learnOne(x: FeatureVector): void {
    this.scaler.update(x, this.n, this.n >= this.normaliserWarmUp);
  }

  protected bodySize(): number {
    return this.scaler.byteSize;
  }

  protected writeBody(w: ByteWriter): void {
    this.scaler.write(w);
  }

  protected readBody(r: ByteReader, _version: number): void {
    this.scaler.read(r);
  }

  protected resetBody(): void {
    this.scaler.reset();
  }
}
