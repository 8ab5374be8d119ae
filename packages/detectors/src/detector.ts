/**
 * The one detector contract (modelled on river's `anomaly` module):
 * - `score(x)` is pure: it reads the state, never changes it, and is higher for more anomalous
 *   vectors. While the detector is cold (`isWarm()` false) it returns 0, meaning "no evidence".
 * - `learn(x)` folds x into the per-symbol state. Callers score first, then learn
 *   (`scoreThenLearn`), so a vector is never judged against a baseline that already contains it.
 * - Missing features (NaN, or a vector shorter than the schema) never throw; each detector says
 *   how it treats them (skip the feature, or impute the symbol's typical value).
 * - State is per symbol and travels as bytes: `saveState()` / `loadState()` with a versioned
 *   header (see codec.ts). `loadState` overwrites every bit of state, so one detector instance can
 *   serve many symbols in turn: scoring is a pure function of (vector, state, model, config).
 * Anything shared by all symbols (an offline-trained model, tree structures derived from a seed)
 * is configuration, held by the instance and never written into the blob.
 */
import { ByteReader, ByteWriter, StateMismatchError, StateVersionError } from './codec.js';
import { fnv1a } from './prng.js';
import type { FeatureSchema, FeatureVector } from './schema.js';

export interface Detector {
  /** Key of this detector's state in an ensemble blob; defaults to the detector kind. */
  readonly name: string;
  readonly schema: FeatureSchema;
  /** Observations to learn before scores mean anything. */
  readonly warmUp: number;
  /** Observations learned so far (saturates at 2^32 - 1). */
  readonly observations: number;
  isWarm(): boolean;
  score(x: FeatureVector): number;
  learn(x: FeatureVector): void;
  /** score(x), then learn(x); returns the score. Wrappers override it to avoid scoring twice. */
  scoreThenLearn(x: FeatureVector): number;
  /** Exact byte length saveState() would return now. */
  stateSize(): number;
  saveState(): Uint8Array;
  /** Writes exactly stateSize() bytes, the same as saveState(), into a shared writer. */
  writeState(w: ByteWriter): void;
  /** Replaces all per-symbol state; throws a DetectorStateError for blobs it cannot read. */
  loadState(bytes: Uint8Array): void;
  /** Back to the cold state of a new symbol. */
  reset(): void;
}

/** Bytes every BaseDetector state starts with: u8 version, u32 fingerprint, u32 observations. */
export const BASE_HEADER_BYTES = 9;
const MAX_COUNT = 0xffffffff;

/**
 * Shared plumbing: header, version check and migration hook, warm-up gating, observation count.
 * Subclasses provide the body codec (`bodySize`, `writeBody`, `readBody`) and the two pure
 * functions `scoreWarm` and `learnOne`.
 */
export abstract class BaseDetector implements Detector {
  /** Bump when the body layout changes; add a branch in readBody for each version still readable. */
  protected abstract readonly stateVersion: number;
  protected readonly minStateVersion: number | undefined = undefined;
  protected n = 0;
  private fingerprintCache: number | undefined;

  constructor(
    readonly kind: string,
    readonly name: string,
    readonly schema: FeatureSchema,
  ) {}

  abstract readonly warmUp: number;
  /** Config that shapes the state layout (window sizes, tree counts, feature subsets). */
  protected abstract layoutKey(): string;
  protected abstract scoreWarm(x: FeatureVector): number;
  protected abstract learnOne(x: FeatureVector): void;
  protected abstract bodySize(): number;
  protected abstract writeBody(w: ByteWriter): void;
  /** Reads a body of `version` (already checked to be in [minStateVersion, stateVersion]). */
  protected abstract readBody(r: ByteReader, version: number): void;
  protected abstract resetBody(): void;

  get observations(): number {
    return this.n;
  }

  get fingerprint(): number {
    this.fingerprintCache ??= fnv1a(`${this.kind}|${this.schema.fingerprint}|${this.layoutKey()}`);
    return this.fingerprintCache;
  }

  isWarm(): boolean {
    return this.n >= this.warmUp;
  }

  score(x: FeatureVector): number {
    return this.isWarm() ? this.scoreWarm(x) : 0;
  }

  learn(x: FeatureVector): void {
    this.learnOne(x);
    if (this.n < MAX_COUNT) this.n++;
  }

  scoreThenLearn(x: FeatureVector): number {
    const s = this.score(x);
    this.learn(x);
    return s;
  }

  stateSize(): number {
    return BASE_HEADER_BYTES + this.bodySize();
  }

  saveState(): Uint8Array {
    const w = new ByteWriter(this.stateSize());
    this.writeState(w);
    return w.finish();
  }

  writeState(w: ByteWriter): void {
    w.u8(this.stateVersion).u32(this.fingerprint).u32(this.n);
    this.writeBody(w);
  }

  loadState(bytes: Uint8Array): void {
    const r = new ByteReader(bytes, this.name);
    const version = r.u8();
    const min = this.minStateVersion ?? this.stateVersion;
    if (version < min || version > this.stateVersion) {
      throw new StateVersionError(this.name, version, [min, this.stateVersion]);
    }
    const fp = r.u32();
    if (fp !== this.fingerprint) {
      throw new StateMismatchError(this.name, `layout fingerprint ${fp.toString(16)} != ${this.fingerprint.toString(16)}; feature schema or ${this.kind} config changed`);
    }
    const n = r.u32();
    // Read into the live arrays only after the header is accepted; a corrupt body leaves the
    // detector reset rather than half-loaded.
    try {
      this.readBody(r, version);
      r.end();
    } catch (err) {
      this.reset();
      throw err;
    }
    this.n = n;
  }

  reset(): void {
    this.n = 0;
    this.resetBody();
  }
}

/** Validates a numeric option at construction, naming the detector and option in the error. */
export function checkOption(detector: string, option: string, value: number, min: number, max: number, integer = false): number {
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new RangeError(`${detector}: option ${option}=${value} must be ${integer ? 'an integer ' : ''}in [${min}, ${max}]`);
  }
  return value;
}
