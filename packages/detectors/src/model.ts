/**
 * Shared parsing for offline-trained models. A model is plain JSON data, identical for every
 * symbol, in the envelope documented in docs/decisions/012-detector-model-format.md:
 *   { "format": "crypto-anomaly.<kind>", "formatVersion": 1, "features": [names...], ...body,
 *     "metadata": { free-form: trainer, run id, training window } }
 * `features` lists the z-space inputs in order; they are resolved against the feature schema once,
 * at load time. Parsing checks every array length and number, so a broken artifact from the
 * training job fails at hot-swap time with a ModelFormatError naming the field, not mid-scoring.
 */
import { ModelFormatError } from './codec.js';

export interface ModelEnvelope {
  readonly format: string;
  readonly formatVersion: number;
  readonly features: readonly string[];
  readonly metadata?: Readonly<Record<string, unknown>>;
}

export class ModelReader {
  constructor(readonly kind: string, readonly doc: Record<string, unknown>) {}

  static open(kind: string, json: unknown, supportedVersion: number): ModelReader {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ModelFormatError(kind, 'not a JSON object');
    const r = new ModelReader(kind, json as Record<string, unknown>);
    const format = r.doc['format'];
    if (format !== `crypto-anomaly.${kind}`) throw new ModelFormatError(kind, `format is '${String(format)}', expected 'crypto-anomaly.${kind}'`);
    const v = r.doc['formatVersion'];
    if (v !== supportedVersion) throw new ModelFormatError(kind, `formatVersion ${String(v)} is not supported (this build reads ${supportedVersion})`);
    return r;
  }

  features(): string[] {
    const f = this.doc['features'];
    if (!Array.isArray(f) || f.length === 0 || !f.every((s) => typeof s === 'string')) {
      throw new ModelFormatError(this.kind, "'features' must be a non-empty array of feature names");
    }
    if (new Set(f).size !== f.length) throw new ModelFormatError(this.kind, "'features' has duplicates");
    return f as string[];
  }

  number(field: string, min = -Infinity, max = Infinity): number {
    return this.num(this.doc[field], field, min, max);
  }

  vector(field: string, length?: number, min = -Infinity, value: unknown = this.doc[field]): number[] {
    if (!Array.isArray(value)) throw new ModelFormatError(this.kind, `'${field}' must be an array of numbers`);
    if (length !== undefined && value.length !== length) {
      throw new ModelFormatError(this.kind, `'${field}' has ${value.length} entries, expected ${length}`);
    }
    return value.map((v, i) => this.num(v, `${field}[${i}]`, min, Infinity));
  }

  matrix(field: string, rows: number | undefined, cols: number, min = -Infinity): number[][] {
    const m = this.doc[field];
    if (!Array.isArray(m) || m.length === 0) throw new ModelFormatError(this.kind, `'${field}' must be a non-empty array of rows`);
    if (rows !== undefined && m.length !== rows) throw new ModelFormatError(this.kind, `'${field}' has ${m.length} rows, expected ${rows}`);
    return m.map((row, i) => this.vector(`${field}[${i}]`, cols, min, row));
  }

  fail(detail: string): never {
    throw new ModelFormatError(this.kind, detail);
  }

  private num(v: unknown, field: string, min: number, max: number): number {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      throw new ModelFormatError(this.kind, `'${field}' must be a finite number in [${min}, ${max}], got ${String(v)}`);
    }
    return v;
  }
}
