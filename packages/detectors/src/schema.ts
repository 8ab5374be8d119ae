/**
 * The feature schema: which features exist, in which order, and how each raw value is transformed
 * before any detector sees it. Detectors take a `FeatureVector`: a Float64Array in schema order
 * holding transformed values, NaN meaning "missing". Why a fixed-order typed array instead of a
 * `Record<string, number>`:
 * - the hot path (<= 50 µs for the whole ensemble) indexes arrays instead of hashing strings;
 * - per-symbol state is laid out per feature index, so the blob needs no feature names;
 * - a model's feature names are resolved to indices once, when the model is loaded.
 * `vectorise` is the one adapter from records: unknown keys are ignored, missing or non-finite
 * values become NaN, so a changed feature producer never makes scoring throw.
 */
import { fnv1a } from './prng.js';

/**
 * identity: use as is. log1p: ln(1 + x) for heavy-tailed non-negative counts and volumes, so
 * that a ten-fold spike is a few sigma rather than hundreds (values <= -1 become missing).
 */
export type FeatureTransform = 'identity' | 'log1p';

export interface FeatureSpec {
  readonly name: string;
  readonly transform: FeatureTransform;
  /**
   * Smallest scale (sigma) a detector may use for this feature, in transformed units: the
   * sampling noise a window's value carries anyway. Without it a thin symbol whose windows
   * mostly hold one trade has a baseline scale of ~0 for counts and volumes, and a window of two
   * trades scores z = 10^6 (docs/decisions/070). Default 0 (only the numeric floor).
   */
  readonly minScale?: number;
  /**
   * A count feature (log1p-transformed) whose Poisson noise also bounds this feature's scale: at a
   * typical count lambda, log1p(count) varies by ~sqrt(lambda) / (1 + lambda) from window to window
   * however steady the recent windows were (decision 070: at one trade a window, "4 trades vs
   * typical 1" was z = 5.5, yet Poisson(1) gives 4 or more 2 % of the time).
   */
  readonly noiseOf?: string;
}

export type FeatureVector = Float64Array;

/** The features the streaming core produces per closed window (10 s and 1 m). */
export const DEFAULT_FEATURES: readonly FeatureSpec[] = Object.freeze([
  // Floors: half a basis point for returns and volatility (below a liquid pair's tick-level
  // noise), a quarter of a natural log for counts and volumes (a window with 28 % more trades
  // than usual is within Poisson noise at a few trades), 0.1 for shares and imbalances.
  { name: 'log_return', transform: 'identity', minScale: 5e-5 },
  { name: 'realized_vol', transform: 'identity', minScale: 5e-5 },
  { name: 'vwap_dev', transform: 'identity', minScale: 5e-5 },
  { name: 'volume', transform: 'log1p', minScale: 0.25, noiseOf: 'trade_count' },
  { name: 'volume_imbalance', transform: 'identity', minScale: 0.1 },
  { name: 'momentum', transform: 'identity', minScale: 5e-5 },
  { name: 'trade_count', transform: 'log1p', minScale: 0.25, noiseOf: 'trade_count' },
  { name: 'trade_rate', transform: 'log1p', minScale: 0.1 },
  { name: 'max_trade_share', transform: 'identity', minScale: 0.1 },
]);

export class FeatureSchema {
  readonly names: readonly string[];
  readonly transforms: readonly FeatureTransform[];
  /** FeatureSpec.minScale per feature (0 when absent). */
  readonly minScales: Float64Array;
  /** FeatureSpec.noiseOf per feature as a schema index (-1 when absent). */
  readonly noiseOf: Int32Array;
  readonly size: number;
  /** Hash of names and transforms; a state blob written under another schema is rejected. */
  readonly fingerprint: number;
  private readonly byName: ReadonlyMap<string, number>;

  constructor(specs: readonly FeatureSpec[] = DEFAULT_FEATURES) {
    if (specs.length === 0 || specs.length > 255) {
      throw new RangeError(`a feature schema needs 1..255 features, got ${specs.length}`);
    }
    const byName = new Map<string, number>();
    specs.forEach((s, i) => {
      if (!/^[a-z][a-z0-9_]*$/.test(s.name)) throw new RangeError(`bad feature name '${s.name}' (use snake_case)`);
      if (s.transform !== 'identity' && s.transform !== 'log1p') {
        throw new RangeError(`feature '${s.name}': unknown transform '${String(s.transform)}'`);
      }
      if (byName.has(s.name)) throw new RangeError(`duplicate feature '${s.name}'`);
      byName.set(s.name, i);
    });
    this.names = Object.freeze(specs.map((s) => s.name));
    this.transforms = Object.freeze(specs.map((s) => s.transform));
    this.minScales = Float64Array.from(specs, (s) => (s.minScale !== undefined && s.minScale > 0 ? s.minScale : 0));
    this.noiseOf = Int32Array.from(specs, (s) => {
      if (s.noiseOf === undefined) return -1;
      const i = byName.get(s.noiseOf);
      if (i === undefined) throw new RangeError(`feature '${s.name}': noiseOf names no feature ('${s.noiseOf}')`);
      return i;
    });
    this.size = specs.length;
    this.byName = byName;
    this.fingerprint = fnv1a(specs.map((s) => `${s.name}:${s.transform}`).join(','));
  }

  /** Index of a feature, or -1 if the schema does not have it. */
  indexOf(name: string): number {
    return this.byName.get(name) ?? -1;
  }

  /** Record -> FeatureVector (transformed). Unknown keys are ignored; missing ones become NaN. */
  vectorise(record: Readonly<Record<string, number>>, out: Float64Array = new Float64Array(this.size)): FeatureVector {
    for (let i = 0; i < this.size; i++) {
      const raw = record[this.names[i]!];
      out[i] = typeof raw === 'number' ? this.transform(i, raw) : NaN;
    }
    return out;
  }

  /** Applies feature i's transform; anything non-finite comes out as NaN (missing). */
  transform(i: number, raw: number): number {
    const v = this.transforms[i] === 'log1p' ? Math.log1p(raw) : raw;
    return Number.isFinite(v) ? v : NaN;
  }
}

/** Reads feature i of x; out-of-range indices (a short vector) read as missing. */
export function featureAt(x: FeatureVector, i: number): number {
  return i < x.length ? x[i]! : NaN;
}

/** Scale of log1p(count) from Poisson noise at a typical log1p(count) `typicalLog1p` (counts below 1 count as 1). */
export function poissonLog1pScale(typicalLog1p: number): number {
  if (!Number.isFinite(typicalLog1p)) return 0;
  const lambda = Math.max(Math.expm1(typicalLog1p), 1);
  return Math.sqrt(lambda) / (1 + lambda);
}
