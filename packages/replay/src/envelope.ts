/**
 * Helpers for Binance's combined-stream envelope `{"stream":"<name>","data":<payload>}`.
 * The local Binance must send a raw-stream client the payload *byte-identical* to what Binance
 * sent, so the payload is cut out of the recorded text rather than re-serialised (JSON.stringify
 * would, e.g., turn `1.0` into `1` and could reorder nothing but still lose exact spelling).
 */

const PREFIX = '{"stream":"';
const DATA_KEY = '","data":';

export interface EnvelopeParts {
  readonly stream: string;
  /** The payload's JSON text, sliced out of the envelope without re-serialisation. */
  readonly payload: string;
}

/**
 * Splits a compact envelope (the form Binance sends and the recordings hold) without parsing
 * the payload. Returns undefined when the text is not in that exact compact form; callers then
 * fall back to `JSON.parse` (see `payloadOf`).
 */
export function splitEnvelope(raw: string): EnvelopeParts | undefined {
  if (!raw.startsWith(PREFIX) || !raw.endsWith('}')) return undefined;
  const end = raw.indexOf('"', PREFIX.length);
  if (end < 0 || !raw.startsWith(DATA_KEY, end)) return undefined;
  const stream = raw.slice(PREFIX.length, end);
  // A stream name never contains a backslash; if it did the quote search above would be wrong.
  if (stream.includes('\\')) return undefined;
  return { stream, payload: raw.slice(end + DATA_KEY.length, -1) };
}

/** The payload text of an envelope, or the text itself when it is not an envelope (a bare payload). */
export function payloadOf(raw: string): string {
  const fast = splitEnvelope(raw);
  if (fast !== undefined) return fast.payload;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (isEnvelope(parsed)) return JSON.stringify(parsed.data);
  } catch {
    // not JSON: hand it through unchanged
  }
  return raw;
}

/** The envelope text for a message: the raw text when it already is one, else a freshly built envelope. */
export function envelopeOf(stream: string, raw: string): string {
  if (splitEnvelope(raw) !== undefined) return raw;
  try {
    if (isEnvelope(JSON.parse(raw))) return raw;
  } catch {
    // a bare payload that is not JSON still gets wrapped, verbatim
  }
  return makeEnvelope(stream, raw);
}

/** Builds `{"stream":"<name>","data":<payloadText>}` around an already-serialised payload. */
export function makeEnvelope(stream: string, payloadText: string): string {
  return `{"stream":${JSON.stringify(stream)},"data":${payloadText}}`;
}

export function isEnvelope(value: unknown): value is { stream: string; data: Record<string, unknown> } {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { stream?: unknown; data?: unknown };
  return typeof v.stream === 'string' && typeof v.data === 'object' && v.data !== null && !Array.isArray(v.data);
}
