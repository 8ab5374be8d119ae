/**
 * Gated learning ("don't learn from what you flagged"), as a wrapper around any detector rather
 * than a copy inside each one. While the inner detector is warm, a vector whose score is at or
 * above `threshold` (in the inner detector's own units) is not learned, so an anomaly cannot
 * inflate the baseline that is supposed to expose the next one.
 *
 * A permanent regime change would otherwise be gated forever: after `maxConsecutiveSkips`
 * flagged vectors in a row the wrapper learns again, letting the baseline follow the new regime
 * (the count resets on every learned vector). That counter is per-symbol state, so the wrapper
 * has its own small header in front of the inner state:
 *   u8 version, u32 fingerprint (of the inner fingerprint), u16 consecutive skips, inner bytes...
 */
import { ByteReader, ByteWriter, StateMismatchError, StateVersionError } from './codec.js';
import { checkOption, type Detector } from './detector.js';
import { fnv1a } from './prng.js';
import type { FeatureSchema, FeatureVector } from './schema.js';

export interface GateOptions {
  /** Score at or above which the vector is not learned (inner detector's units). */
  readonly threshold: number;
  readonly maxConsecutiveSkips?: number;
}

const GATE_VERSION = 1;
const GATE_HEADER_BYTES = 7;

export class GatedDetector<D extends Detector = Detector> implements Detector {
  readonly threshold: number;
  readonly maxConsecutiveSkips: number;
  private skips = 0;
  private readonly fingerprint: number;

  constructor(readonly inner: D & { readonly fingerprint?: number }, options: GateOptions) {
    this.threshold = checkOption(`gated ${inner.name}`, 'threshold', options.threshold, -Infinity, Infinity);
    this.maxConsecutiveSkips = checkOption(`gated ${inner.name}`, 'maxConsecutiveSkips', options.maxConsecutiveSkips ?? 12, 0, 0xffff, true);
    this.fingerprint = fnv1a(`gated|${inner.fingerprint ?? inner.name}`);
  }

  get name(): string { return this.inner.name; }
  get schema(): FeatureSchema { return this.inner.schema; }
  get warmUp(): number { return this.inner.warmUp; }
  get observations(): number { return this.inner.observations; }
  /** Flagged vectors skipped in a row so far. */
  get consecutiveSkips(): number { return this.skips; }
  isWarm(): boolean { return this.inner.isWarm(); }
  score(x: FeatureVector): number { return this.inner.score(x); }

  /** Learns unless x is flagged; scores x to decide (use scoreThenLearn to score only once). */
  learn(x: FeatureVector): void {
    this.gate(x, this.inner.score(x));
  }

  scoreThenLearn(x: FeatureVector): number {
    const s = this.inner.score(x);
    this.gate(x, s);
    return s;
  }

  private gate(x: FeatureVector, s: number): void {
    if (this.inner.isWarm() && s >= this.threshold && this.skips < this.maxConsecutiveSkips) {
      this.skips++;
      return;
    }
    this.skips = 0;
    this.inner.learn(x);
  }

  stateSize(): number {
    return GATE_HEADER_BYTES + this.inner.stateSize();
  }

  saveState(): Uint8Array {
    const w = new ByteWriter(this.stateSize());
    this.writeState(w);
    return w.finish();
  }

  writeState(w: ByteWriter): void {
    w.u8(GATE_VERSION).u32(this.fingerprint).u16(this.skips);
    this.inner.writeState(w);
  }

  loadState(bytes: Uint8Array): void {
    const r = new ByteReader(bytes, `gated ${this.name}`);
    const version = r.u8();
    if (version !== GATE_VERSION) throw new StateVersionError(`gated ${this.name}`, version, [GATE_VERSION, GATE_VERSION]);
    const fp = r.u32();
    if (fp !== this.fingerprint) throw new StateMismatchError(`gated ${this.name}`, 'not a gated state of this detector');
    const skips = r.u16();
    this.skips = 0;
    this.inner.loadState(r.raw(r.remaining));
    this.skips = skips;
  }

  reset(): void {
    this.skips = 0;
    this.inner.reset();
  }
}
