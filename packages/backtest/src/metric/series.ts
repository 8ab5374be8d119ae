/**
 * A `timestamp,value` series as read from a CSV: each row keeps the exact text of its timestamp
 * and value (so the scored output repeats them byte for byte) next to the parsed numbers.
 *
 * Timestamps: ISO `YYYY-MM-DD HH:MM:SS` (NAB's form; read as UTC), ISO with `T` and an optional
 * `Z` or offset, or epoch seconds / milliseconds (a number of 12 or more digits is milliseconds).
 */
export interface SeriesRow {
  /** 1-based line number in the file, for error messages. */
  readonly line: number;
  readonly timestampText: string;
  readonly valueText: string;
  /** Epoch milliseconds. */
  readonly time: number;
  readonly value: number;
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** Epoch milliseconds of a timestamp, or undefined if it is none of the accepted forms. */
export function parseTimestamp(text: string): number | undefined {
  if (/^-?\d+(\.\d+)?$/.test(text)) {
    const n = Number(text);
    // 1e11 s is the year 5138; 1e11 ms is 1973: anything this large is milliseconds.
    return Math.abs(n) >= 1e11 ? n : n * 1000;
  }
  const m = ISO.exec(text);
  if (m === null) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone] = m;
  const base = `${y}-${mo}-${d}T${h}:${mi}:${s}${frac}`;
  const ms = Date.parse(zone === undefined ? `${base}Z` : `${base}${zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone}`);
  return Number.isNaN(ms) ? undefined : ms;
}

function unquote(s: string): string {
  const t = s.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
}

/**
 * Rows of a `timestamp,value` CSV. A first line whose value is not a number is a header; blank
 * lines and `#` comments are skipped; any other row that does not parse is an error naming its
 * line. Further columns are ignored.
 */
export function parseSeriesCsv(text: string): SeriesRow[] {
  const rows: SeriesRow[] = [];
  let seenFirst = false;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const t = raw.trim();
    if (t === '' || t.startsWith('#')) continue;
    const parts = t.split(',');
    const first = !seenFirst;
    seenFirst = true;
    if (parts.length < 2) throw new Error(`line ${i + 1}: expected "timestamp,value", got ${JSON.stringify(t)}`);
    const timestampText = unquote(parts[0]!);
    const valueText = unquote(parts[1]!);
    const value = valueText === '' ? NaN : Number(valueText);
    if (first && Number.isNaN(value)) continue; // header
    if (!Number.isFinite(value)) throw new Error(`line ${i + 1}: value ${JSON.stringify(valueText)} is not a finite number`);
    const time = parseTimestamp(timestampText);
    if (time === undefined) throw new Error(`line ${i + 1}: timestamp ${JSON.stringify(timestampText)} is not ISO (YYYY-MM-DD HH:MM:SS, or with T/Z) or epoch seconds/ms`);
    rows.push({ line: i + 1, timestampText, valueText, time, value });
  }
  return rows;
}
