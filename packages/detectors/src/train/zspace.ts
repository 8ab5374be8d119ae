/**
 * Reference training helpers (the production trainer is the Spark job; it must emit the same JSON
 * formats, not reproduce these exact fits). `zSpace` turns one symbol's time-ordered feature
 * vectors into the z-vectors the model detectors score, exactly as a ModelDetector with the same
 * options would see them (score first, then learn; rows before warm-up are skipped).
 */
import { DEFAULT_SCALER, EwScaler, resolveFeatures } from '../scaler.js';
import type { FeatureSchema, FeatureVector } from '../schema.js';

export interface ZSpaceOptions {
  readonly halfLife?: number;
  readonly clip?: number;
  readonly warmUp?: number;
}

export function zSpace(schema: FeatureSchema, rows: readonly FeatureVector[], features: readonly string[] = schema.names, options: ZSpaceOptions = {}): Float64Array[] {
  const scaler = new EwScaler(resolveFeatures('zSpace', schema.names, features), {
    halfLife: options.halfLife ?? DEFAULT_SCALER.halfLife,
    clip: options.clip ?? DEFAULT_SCALER.clip,
  });
  const warmUp = options.warmUp ?? 30;
  const out: Float64Array[] = [];
  rows.forEach((row, n) => {
    if (n >= warmUp) out.push(scaler.standardise(row, new Float64Array(features.length), 0));
    scaler.update(row, n, n >= warmUp);
  });
  return out;
}

/** Squared Euclidean distance between a and b[offset .. offset + a.length). */
export function sqDist(a: Float64Array, b: ArrayLike<number>, offset = 0): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) {
    const e = a[j]! - b[offset + j]!;
    s += e * e;
  }
  return s;
}
