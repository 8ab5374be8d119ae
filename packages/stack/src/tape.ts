import type { RecordedMessage } from '@crypto-anomaly/replay';

/**
 * A tape for the local Binance that keeps producing new market data when it loops: pass k plays
 * the recording with every event and trade time moved k tape-lengths later and every trade id
 * (and book-ticker update id) moved past the previous pass's last one, per symbol. Without this,
 * a looping replay repeats the same ids, which the producer rightly drops as duplicates, and the
 * same times, which the Flink job would see as late.
 *
 * Returns a factory for `startLocalBinance({ source, loop: true })`, which calls it once per pass.
 * The first pass plays the recording unchanged and measures its span and id ranges.
 */
export function shiftingLoop(open: () => AsyncIterable<RecordedMessage>): () => AsyncIterable<RecordedMessage> {
  let pass = 0;
  const span = new TapeSpan();
  return () => {
    const k = pass++;
    return k === 0 ? measure(open(), span) : shift(open(), span.shiftFor(k));
  };
}

/** What one pass moves: times by `timeMs`, ids per "<stream kind>:<symbol>" by `ids[key]`. */
export interface PassShift {
  readonly timeMs: number;
  readonly ids: ReadonlyMap<string, number>;
}

/** Ranges seen during the first pass. */
export class TapeSpan {
  firstTimeMs = Infinity;
  lastTimeMs = -Infinity;
  readonly idRanges = new Map<string, { min: number; max: number }>();

  observe(eventTimeMs: number, idKey: string | undefined, id: number | undefined): void {
    if (eventTimeMs < this.firstTimeMs) this.firstTimeMs = eventTimeMs;
    if (eventTimeMs > this.lastTimeMs) this.lastTimeMs = eventTimeMs;
    if (idKey === undefined || id === undefined) return;
    const r = this.idRanges.get(idKey);
    if (r === undefined) this.idRanges.set(idKey, { min: id, max: id });
    else {
      if (id < r.min) r.min = id;
      if (id > r.max) r.max = id;
    }
  }

  /**
   * Shift of pass k: k × (time span + 1 s), rounded up to whole minutes so each pass starts on
   * the same window boundaries; ids k × (max − min + 1), so trade ids stay contiguous across
   * passes (no Gap record at the seam).
   */
  shiftFor(k: number): PassShift {
    if (!Number.isFinite(this.firstTimeMs)) return { timeMs: 0, ids: new Map() };
    const minute = 60_000;
    const passMs = Math.ceil((this.lastTimeMs - this.firstTimeMs + 1_000) / minute) * minute;
    const ids = new Map<string, number>();
    for (const [key, r] of this.idRanges) ids.set(key, k * (r.max - r.min + 1));
    return { timeMs: k * passMs, ids };
  }
}

interface Payload {
  e?: string;
  E?: number;
  T?: number;
  t?: number;
  u?: number;
  s?: string;
}

/** The id a message carries and the sequence it belongs to: trade ids per symbol, book-ticker update ids per symbol. */
function idOf(stream: string, data: Payload): { key: string; id: number; field: 't' | 'u' } | undefined {
  const symbol = (data.s ?? stream.split('@')[0] ?? '').toUpperCase();
  if (stream.endsWith('@trade') && typeof data.t === 'number') return { key: `trade:${symbol}`, id: data.t, field: 't' };
  if (stream.toLowerCase().endsWith('@bookticker') && typeof data.u === 'number') return { key: `bookTicker:${symbol}`, id: data.u, field: 'u' };
  return undefined;
}

async function* measure(source: AsyncIterable<RecordedMessage>, span: TapeSpan): AsyncGenerator<RecordedMessage> {
  for await (const m of source) {
    let idKey: string | undefined;
    let id: number | undefined;
    try {
      const data = (JSON.parse(m.raw) as { data?: Payload }).data;
      const found = data === undefined ? undefined : idOf(m.stream, data);
      idKey = found?.key;
      id = found?.id;
    } catch {
      // not JSON: passed on as recorded
    }
    span.observe(m.eventTimeMs, idKey, id);
    yield m;
  }
}

/** One message moved by `s`: E, T, trade id t / update id u rewritten in the payload. */
export function shiftMessage(m: RecordedMessage, s: PassShift): RecordedMessage {
  if (s.timeMs === 0 && s.ids.size === 0) return m;
  let envelope: { stream?: string; data?: Payload };
  try {
    envelope = JSON.parse(m.raw) as { stream?: string; data?: Payload };
  } catch {
    return { ...m, eventTimeMs: m.eventTimeMs + s.timeMs, receivedAtMs: m.receivedAtMs + s.timeMs };
  }
  const data = envelope.data;
  if (data !== undefined) {
    if (typeof data.E === 'number') data.E += s.timeMs;
    if (typeof data.T === 'number') data.T += s.timeMs;
    const found = idOf(m.stream, data);
    if (found !== undefined) data[found.field] = found.id + (s.ids.get(found.key) ?? 0);
  }
  return { ...m, raw: JSON.stringify(envelope), eventTimeMs: m.eventTimeMs + s.timeMs, receivedAtMs: m.receivedAtMs + s.timeMs };
}

async function* shift(source: AsyncIterable<RecordedMessage>, s: PassShift): AsyncGenerator<RecordedMessage> {
  for await (const m of source) yield shiftMessage(m, s);
}
