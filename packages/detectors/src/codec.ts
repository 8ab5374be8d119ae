/**
 * Byte-level building blocks for per-symbol state blobs, and the errors a bad blob raises.
 *
 * Every detector state starts with the same 5-byte header:
 *   u8  state version   (of that detector's layout; see each detector's STATE_VERSION)
 *   u32 layout fingerprint (hash of detector kind, feature schema and the config that shapes the layout)
 * followed by the detector's body. All numbers are little-endian; floats are IEEE-754 float32.
 * Detectors keep their state in Float32Arrays in memory too, so a restored detector is
 * bit-identical to the one that was saved and scores after a round trip equal scores without one.
 *
 * The errors are shaped like @crypto-anomaly/common's AppError (`code`, `retriable`, `cause`)
 * without importing it, so this package stays dependency-free; common's isRetriable() reads them.
 */
export class DetectorStateError extends Error {
  readonly code: string;
  readonly retriable = false;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DetectorStateError';
    this.code = code;
  }
}

/** The blob's version is one this build cannot read (too old to migrate, or written by newer code). */
export class StateVersionError extends DetectorStateError {
  constructor(readonly detector: string, readonly found: number, readonly supported: readonly [number, number]) {
    super(
      'STATE_VERSION',
      `${detector}: state version ${found} is not supported (this build reads versions ${supported[0]}..${supported[1]}); ` +
        'discard the state so the detector warms up again, or run a build that can migrate it',
    );
    this.name = 'StateVersionError';
  }
}

/** The blob was written under another feature schema or layout-shaping config. */
export class StateMismatchError extends DetectorStateError {
  constructor(detector: string, detail: string) {
    super('STATE_MISMATCH', `${detector}: state does not match this detector's configuration (${detail})`);
    this.name = 'StateMismatchError';
  }
}

/** Truncated, oversized or otherwise corrupt bytes. */
export class StateFormatError extends DetectorStateError {
  constructor(detector: string, detail: string) {
    super('STATE_FORMAT', `${detector}: corrupt state blob (${detail})`);
    this.name = 'StateFormatError';
  }
}

/** A model document that does not follow its documented JSON format. */
export class ModelFormatError extends DetectorStateError {
  constructor(model: string, detail: string) {
    super('MODEL_FORMAT', `${model} model: ${detail}`);
    this.name = 'ModelFormatError';
  }
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Writes into a buffer of a size known up front (detectors compute their exact state size).
 * Integers are written byte by byte and float arrays copied as raw bytes on little-endian hosts:
 * this runs once per window per symbol, and DataView/view allocations showed up in the benchmark.
 */
export class ByteWriter {
  readonly bytes: Uint8Array;
  private pos = 0;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
  }
  get position(): number { return this.pos; }
  u8(v: number): this { this.bytes[this.pos++] = v; return this; }
  u16(v: number): this { this.bytes[this.pos++] = v & 0xff; this.bytes[this.pos++] = (v >>> 8) & 0xff; return this; }
  u32(v: number): this { this.u16(v & 0xffff); return this.u16(v >>> 16); }
  f32(v: number): this {
    new DataView(this.bytes.buffer, this.bytes.byteOffset).setFloat32(this.pos, v, true);
    this.pos += 4;
    return this;
  }
  raw(b: Uint8Array): this { this.bytes.set(b, this.pos); this.pos += b.length; return this; }
  /** A float32 array; `asBytes` may be a cached byte view of the same memory (saves an allocation). */
  f32s(a: Float32Array, asBytes?: Uint8Array): this {
    if (LITTLE_ENDIAN_HOST) return this.raw(asBytes ?? new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    for (let i = 0; i < a.length; i++) this.f32(a[i]!);
    return this;
  }
  /** Returns the bytes, insisting the precomputed size was exact (a bug otherwise). */
  finish(): Uint8Array {
    if (this.pos !== this.bytes.length) throw new Error(`state writer: wrote ${this.pos} of ${this.bytes.length} bytes`);
    return this.bytes;
  }
}

/** Reads with bounds checks; running off the end is a StateFormatError naming the detector. */
export class ByteReader {
  private pos = 0;

  constructor(readonly bytes: Uint8Array, readonly detector: string) {}
  get remaining(): number { return this.bytes.length - this.pos; }
  private need(n: number): number {
    if (this.pos + n > this.bytes.length) {
      throw new StateFormatError(this.detector, `needs ${this.pos + n} bytes, has ${this.bytes.length}`);
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }
  u8(): number { return this.bytes[this.need(1)]!; }
  u16(): number { const at = this.need(2); return this.bytes[at]! | (this.bytes[at + 1]! << 8); }
  u32(): number { const lo = this.u16(); return (lo + this.u16() * 0x10000) >>> 0; }
  f32(): number {
    const at = this.need(4);
    return new DataView(this.bytes.buffer, this.bytes.byteOffset).getFloat32(at, true);
  }
  raw(n: number): Uint8Array { const at = this.need(n); return this.bytes.subarray(at, at + n); }
  /** Fills `into` (the detector's own array; `asBytes` an optional cached byte view of it). */
  f32s(into: Float32Array, asBytes?: Uint8Array): void {
    const src = this.raw(into.byteLength);
    if (LITTLE_ENDIAN_HOST) (asBytes ?? new Uint8Array(into.buffer, into.byteOffset, into.byteLength)).set(src);
    else for (let i = 0; i < into.length; i++) into[i] = new DataView(src.buffer, src.byteOffset).getFloat32(i * 4, true);
  }
  /** Rejects trailing bytes: a blob longer than the layout is as suspicious as a short one. */
  end(): void {
    if (this.remaining !== 0) throw new StateFormatError(this.detector, `${this.remaining} unexpected trailing bytes`);
  }
}
