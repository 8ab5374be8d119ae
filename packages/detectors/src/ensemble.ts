/**
 * An ensemble: the detectors that score one symbol, and the codec that packs all their states
 * into ONE versioned blob, the opaque bytes Flink keeps in keyed state per symbol.
 *
 * Blob layout (little-endian), ENSEMBLE_STATE_VERSION 1:
 *   u8 0x43 'C', u8 0x41 'A'   magic, so a foreign blob fails loudly
 *   u8  version
 *   u8  entry count
 *   per entry: u8 name length, name (ASCII), u16 state length, state bytes (detector's own header)
 * Entries are keyed by detector name, which makes config changes safe: a detector added to the
 * config starts cold (its entry is missing), a removed one's entry is dropped, and both are
 * reported. An empty blob is a new symbol: everything starts cold.
 */
import { ByteReader, ByteWriter, DetectorStateError, StateFormatError, StateVersionError } from './codec.js';
import type { Detector } from './detector.js';
import type { FeatureSchema, FeatureVector } from './schema.js';

export const ENSEMBLE_STATE_VERSION = 1;
const MAGIC_0 = 0x43;
const MAGIC_1 = 0x41;

export interface LoadReport {
  /** Detectors that start cold: no entry in the blob, or (with 'reset') an unreadable one. */
  readonly cold: readonly string[];
  /** Entries in the blob for detectors this ensemble does not have. */
  readonly dropped: readonly string[];
  /** Detectors reset because their entry was unreadable (`onIncompatible: 'reset'`). */
  readonly incompatible: readonly string[];
}

export interface LoadOptions {
  /** What to do with a detector entry that cannot be read: throw (default) or start it cold. */
  readonly onIncompatible?: 'throw' | 'reset';
}

export class Ensemble {
  readonly names: readonly string[];
  private readonly nameBytes: readonly Uint8Array[];

  constructor(readonly schema: FeatureSchema, readonly detectors: readonly Detector[]) {
    if (detectors.length === 0 || detectors.length > 255) throw new RangeError(`an ensemble needs 1..255 detectors, got ${detectors.length}`);
    const names = detectors.map((d) => d.name);
    for (const [i, d] of detectors.entries()) {
      if (!/^[\x20-\x7e]{1,255}$/.test(d.name)) throw new RangeError(`detector name '${d.name}' must be 1..255 printable ASCII characters`);
      if (names.indexOf(d.name) !== i) throw new RangeError(`duplicate detector name '${d.name}'`);
      if (d.schema.fingerprint !== schema.fingerprint) throw new RangeError(`detector '${d.name}' was built for another feature schema`);
    }
    this.names = Object.freeze(names);
    this.nameBytes = names.map((n) => new TextEncoder().encode(n));
  }

  /** Scores in detector order (0 for a cold detector), then learns; the per-window call. */
  scoreThenLearn(x: FeatureVector, out: Float64Array = new Float64Array(this.detectors.length)): Float64Array {
    for (let i = 0; i < this.detectors.length; i++) out[i] = this.detectors[i]!.scoreThenLearn(x);
    return out;
  }

  score(x: FeatureVector, out: Float64Array = new Float64Array(this.detectors.length)): Float64Array {
    for (let i = 0; i < this.detectors.length; i++) out[i] = this.detectors[i]!.score(x);
    return out;
  }

  learn(x: FeatureVector): void {
    for (const d of this.detectors) d.learn(x);
  }

  warm(): boolean[] {
    return this.detectors.map((d) => d.isWarm());
  }

  stateSize(): number {
    let size = 4;
    for (let i = 0; i < this.detectors.length; i++) size += 3 + this.nameBytes[i]!.length + this.detectors[i]!.stateSize();
    return size;
  }

  saveState(): Uint8Array {
    const w = new ByteWriter(this.stateSize());
    w.u8(MAGIC_0).u8(MAGIC_1).u8(ENSEMBLE_STATE_VERSION).u8(this.detectors.length);
    for (let i = 0; i < this.detectors.length; i++) {
      const d = this.detectors[i]!;
      const size = d.stateSize();
      if (size > 0xffff) throw new RangeError(`detector '${d.name}' state is ${size} bytes, over the 64 KiB entry limit`);
      w.u8(this.nameBytes[i]!.length).raw(this.nameBytes[i]!).u16(size);
      const start = w.position;
      d.writeState(w);
      if (w.position - start !== size) throw new Error(`detector '${d.name}' wrote ${w.position - start} bytes, announced ${size}`);
    }
    return w.finish();
  }

  /**
   * Replaces every detector's state from one symbol's blob (empty = new symbol). If it throws,
   * every detector is left cold rather than half-loaded with another symbol's state.
   */
  loadState(bytes: Uint8Array, options: LoadOptions = {}): LoadReport {
    try {
      return this.load(bytes, options);
    } catch (err) {
      this.reset();
      throw err;
    }
  }

  private load(bytes: Uint8Array, options: LoadOptions): LoadReport {
    const loaded = new Uint8Array(this.detectors.length);
    const dropped: string[] = [];
    const incompatible: string[] = [];
    if (bytes.length > 0) {
      const r = new ByteReader(bytes, 'ensemble');
      if (r.u8() !== MAGIC_0 || r.u8() !== MAGIC_1) throw new StateFormatError('ensemble', 'bad magic; not an ensemble state blob');
      const version = r.u8();
      if (version !== ENSEMBLE_STATE_VERSION) throw new StateVersionError('ensemble', version, [ENSEMBLE_STATE_VERSION, ENSEMBLE_STATE_VERSION]);
      const count = r.u8();
      for (let e = 0; e < count; e++) {
        const name = r.raw(r.u8());
        const state = r.raw(r.u16());
        const i = this.find(name);
        if (i < 0 || loaded[i] === 1) {
          dropped.push(new TextDecoder().decode(name));
          continue;
        }
        try {
          this.detectors[i]!.loadState(state);
          loaded[i] = 1;
        } catch (err) {
          if (options.onIncompatible !== 'reset' || !(err instanceof DetectorStateError)) throw err;
          incompatible.push(this.names[i]!);
        }
      }
      r.end();
    }
    const cold: string[] = [];
    this.detectors.forEach((d, i) => {
      if (loaded[i] === 0) {
        d.reset();
        cold.push(d.name);
      }
    });
    return { cold, dropped, incompatible };
  }

  reset(): void {
    for (const d of this.detectors) d.reset();
  }

  /** Index of the detector whose ASCII name equals these bytes (no string decoding per load). */
  private find(name: Uint8Array): number {
    outer: for (let i = 0; i < this.nameBytes.length; i++) {
      const nb = this.nameBytes[i]!;
      if (nb.length !== name.length) continue;
      for (let j = 0; j < nb.length; j++) if (nb[j] !== name[j]) continue outer;
      return i;
    }
    return -1;
  }
}
