/**
 * Book tickers for the backtest: the recording's `@bookTicker` quotes per symbol as columns
 * (typed arrays: a looped tape holds millions of them), looped like the trades, summarised per
 * window EXACTLY as the Flink job does (flink-job records/QuoteStats: arrival order, each valid
 * quote held until the next valid one or the window end, crossed/locked quotes counted and
 * ignored), and the SPREAD_BLOWOUT injector.
 *
 * Event time of a quote: spot book tickers carry no `E`; the replay reader estimates it from the
 * receive time and the connection's clock offset (RecordedMessage.eventTimeMs), as the producer
 * does. Quotes keep the recording's order (arrival order), like the job sees them.
 */
import { openBundledRecording, openRecordings, type RecordedMessage } from '@crypto-anomaly/replay';
import type { BookSummary } from '@crypto-anomaly/scoring';
import { isDumpPath } from './dump.js';
import type { LabelledEvent } from './inject.js';
import type { Tape } from './tape.js';

export interface QuoteColumns {
  readonly timeMs: Float64Array;
  readonly bid: Float64Array;
  readonly bidQty: Float64Array;
  readonly ask: Float64Array;
  readonly askQty: Float64Array;
}

/** Quotes per symbol, in arrival order. */
export type Book = Map<string, QuoteColumns>;

export function quoteColumns(n: number): QuoteColumns {
  return { timeMs: new Float64Array(n), bid: new Float64Array(n), bidQty: new Float64Array(n), ask: new Float64Array(n), askQty: new Float64Array(n) };
}

function copyColumns(q: QuoteColumns): QuoteColumns {
  return { timeMs: q.timeMs.slice(), bid: q.bid.slice(), bidQty: q.bidQty.slice(), ask: q.ask.slice(), askQty: q.askQty.slice() };
}

export async function loadBook(options: { files?: readonly string[]; symbols?: readonly string[] } = {}): Promise<Book> {
  // Binance's trade dumps hold no quotes.
  const files = options.files?.filter((f) => !isDumpPath(f));
  if (options.files !== undefined && options.files.length > 0 && files!.length === 0) return new Map();
  const source: AsyncIterable<RecordedMessage> = files === undefined || files.length === 0 ? openBundledRecording() : openRecordings(files);
  const wanted = options.symbols === undefined ? undefined : new Set(options.symbols.map((s) => s.toUpperCase()));
  const rows = new Map<string, number[][]>();
  for await (const m of source) {
    if (!m.stream.endsWith('@bookTicker')) continue;
    let d: Record<string, unknown> | undefined;
    try {
      d = (JSON.parse(m.raw) as { data?: Record<string, unknown> }).data;
    } catch {
      continue;
    }
    if (d === undefined || typeof d['s'] !== 'string') continue;
    const symbol = d['s'].toUpperCase();
    if (wanted !== undefined && !wanted.has(symbol)) continue;
    const q = [m.eventTimeMs, Number(d['b']), Number(d['B']), Number(d['a']), Number(d['A'])];
    if (!q.every(Number.isFinite) || !(q[1]! > 0 && q[3]! > 0)) continue;
    let r = rows.get(symbol);
    if (r === undefined) rows.set(symbol, (r = []));
    r.push(q);
  }
  const book: Book = new Map();
  for (const [symbol, r] of rows) {
    const c = quoteColumns(r.length);
    r.forEach((q, i) => {
      c.timeMs[i] = Math.floor(q[0]!);
      c.bid[i] = q[1]!;
      c.bidQty[i] = q[2]!;
      c.ask[i] = q[3]!;
      c.askQty[i] = q[4]!;
    });
    book.set(symbol, c);
  }
  return book;
}

/**
 * The book looped like tape.ts loopTape looped `original` trades: pass k shifted by k x spanMs,
 * prices scaled by the trades' seam factor so quotes stay around the trades (relative spreads
 * are unchanged by the scale).
 */
export function loopBook(book: Book, original: Tape, passes: number, spanMs: number): Book {
  if (passes <= 1) return book;
  const out: Book = new Map();
  for (const [symbol, q] of book) {
    const trades = original.get(symbol) ?? [];
    const seam = trades.length > 0 ? trades[trades.length - 1]!.price / trades[0]!.price : 1;
    const n = q.timeMs.length;
    const c = quoteColumns(n * passes);
    let scale = 1;
    for (let k = 0; k < passes; k++) {
      for (let i = 0; i < n; i++) {
        const j = k * n + i;
        c.timeMs[j] = q.timeMs[i]! + k * spanMs;
        c.bid[j] = q.bid[i]! * scale;
        c.ask[j] = q.ask[i]! * scale;
        c.bidQty[j] = q.bidQty[i]!;
        c.askQty[j] = q.askQty[i]!;
      }
      scale *= seam;
    }
    out.set(symbol, c);
  }
  return out;
}

/**
 * Per symbol, window start -> the window's BookSummary (scoring.proto; the job's QuoteStats
 * arithmetic), for tumbling windows of `sizeMs`. Windows without quotes are absent.
 */
export function bookSummaries(book: Book, sizeMs: number): Map<string, Map<number, BookSummary>> {
  const out = new Map<string, Map<number, BookSummary>>();
  for (const [symbol, q] of book) {
    // Quotes are in arrival order, which is not strictly time order: group by window first.
    const groups = new Map<number, number[]>();
    for (let i = 0; i < q.timeMs.length; i++) {
      const start = Math.floor(q.timeMs[i]! / sizeMs) * sizeMs;
      let g = groups.get(start);
      if (g === undefined) groups.set(start, (g = []));
      g.push(i);
    }
    const m = new Map<number, BookSummary>();
    for (const [start, idx] of groups) m.set(start, summarise(q, idx, start, start + sizeMs));
    out.set(symbol, m);
  }
  return out;
}

/** flink-job QuoteStats.add + finish over the quotes `idx` (arrival order) of [start, end). */
export function summarise(q: QuoteColumns, idx: readonly number[], start: number, end: number): BookSummary {
  let count = 0;
  let crossed = 0;
  let valid = 0;
  let firstMs = 0;
  let lastMs = 0;
  let maxGap = 0;
  let validLast = 0;
  let lastSpread = 0;
  let lastBid = 0;
  let lastAsk = 0;
  let lastDepth = 0;
  let spreadMs = 0;
  let logMs = 0;
  let depthMs = 0;
  let weight = 0;
  let spreadMax = 0;
  let depthMin = 0;
  for (const i of idx) {
    const t = q.timeMs[i]!;
    const bid = q.bid[i]!;
    const ask = q.ask[i]!;
    if (count === 0) {
      firstMs = t;
      lastMs = t;
    } else {
      maxGap = Math.max(maxGap, t - lastMs);
      firstMs = Math.min(firstMs, t);
      lastMs = Math.max(lastMs, t);
    }
    count++;
    if (!(ask > bid)) {
      crossed++;
      continue;
    }
    const spread = ((ask - bid) / ((ask + bid) / 2)) * 10_000;
    const depth = Math.min(bid * q.bidQty[i]!, ask * q.askQty[i]!);
    if (valid === 0) {
      validLast = t;
      spreadMax = spread;
      depthMin = depth;
    } else {
      const dt = Math.max(0, t - validLast);
      spreadMs += lastSpread * dt;
      logMs += Math.log(lastSpread) * dt;
      depthMs += lastDepth * dt;
      weight += dt;
      validLast = Math.max(validLast, t);
      spreadMax = Math.max(spreadMax, spread);
      depthMin = Math.min(depthMin, depth);
    }
    valid++;
    lastSpread = spread;
    lastBid = bid;
    lastAsk = ask;
    lastDepth = depth;
  }
  const gap = Math.max(maxGap, Math.max(firstMs - start, end - lastMs));
  if (valid === 0) {
    return { quoteCount: count, spreadBpsTwa: 0, spreadBpsGeo: 0, spreadBpsMax: 0, spreadBpsLast: 0, lastBid: 0, lastAsk: 0, depthQuoteTwa: 0, depthQuoteMin: 0, maxQuoteGapMs: gap, crossedOrLocked: crossed };
  }
  const tail = Math.max(0, end - validLast);
  const w = weight + tail;
  const twa = w > 0 ? (spreadMs + lastSpread * tail) / w : lastSpread;
  const geo = w > 0 ? Math.exp((logMs + Math.log(lastSpread) * tail) / w) : lastSpread;
  const depth = w > 0 ? (depthMs + lastDepth * tail) / w : lastDepth;
  return { quoteCount: count, spreadBpsTwa: twa, spreadBpsGeo: geo, spreadBpsMax: spreadMax, spreadBpsLast: lastSpread, lastBid, lastAsk, depthQuoteTwa: depth, depthQuoteMin: depthMin, maxQuoteGapMs: gap, crossedOrLocked: crossed };
}

/** Where a blowout sits in its window: from +3 s to +7 s (4 of the window's 10 s). */
export const BLOWOUT_FROM_MS = 3_000;
export const BLOWOUT_TO_MS = 7_000;
/** Spread factor (x magnitude) and top-of-book size divisor of an injected blowout. */
export const BLOWOUT_WIDEN = 40;
export const BLOWOUT_THIN = 10;

/**
 * SPREAD_BLOWOUT: on the REAL quotes of [W + 3 s, W + 7 s), each quote's spread is widened
 * 40x (x magnitude) around its own mid and both top-of-book sizes are divided by 10 (a liquidity
 * gap: makers pulled their quotes). Trades are untouched (a spread can blow out without a print).
 * Returns a new book; the input is not changed.
 */
export function injectBook(book: Book, events: readonly LabelledEvent[], magnitude = 1): Book {
  const out: Book = new Map(book);
  const copied = new Set<string>();
  for (const e of events) {
    if (e.type !== 'SPREAD_BLOWOUT') continue;
    let q = out.get(e.symbol);
    if (q === undefined) throw new Error(`spread blowout for ${e.symbol}, which has no book tickers`);
    if (!copied.has(e.symbol)) {
      q = copyColumns(q);
      out.set(e.symbol, q);
      copied.add(e.symbol);
    }
    const from = e.startMs + BLOWOUT_FROM_MS;
    const to = e.startMs + BLOWOUT_TO_MS;
    const widen = BLOWOUT_WIDEN * magnitude;
    // Arrival order is nearly time order: find the span by binary search, then scan its edges.
    const lo = lowerBound(q.timeMs, from - 60_000);
    for (let i = lo; i < q.timeMs.length && q.timeMs[i]! < to + 60_000; i++) {
      const t = q.timeMs[i]!;
      if (t < from || t >= to) continue;
      const mid = (q.bid[i]! + q.ask[i]!) / 2;
      const half = ((q.ask[i]! - q.bid[i]!) / 2) * widen;
      q.bid[i] = mid - half;
      q.ask[i] = mid + half;
      q.bidQty[i] = q.bidQty[i]! / BLOWOUT_THIN;
      q.askQty[i] = q.askQty[i]! / BLOWOUT_THIN;
    }
  }
  return out;
}

function lowerBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
