/**
 * Windows exactly as the Flink job builds them: tumbling event-time windows on trade time
 * ([start, start + size), start a multiple of size since the epoch), per symbol and interval,
 * trades sorted by (trade time, trade id), only windows with at least one trade (Flink fires no
 * window that received nothing), encoded with udf-server's `tradesToArrow`.
 *
 * Bundles: the windows that close at the same watermark (same window end, all symbols and
 * intervals) form one scoring request, which is what the Flink job sends when its bundle
 * limits are not hit first. That is also the cross-symbol context the typology uses
 * (market-wide move): windows of one interval and start in one bundle.
 */
import { tradeColumns, type BookSummary, type ScoringWindow } from '@crypto-anomaly/scoring';
import type { Tape, Trade } from './tape.js';

export const INTERVALS: Readonly<Record<string, number>> = Object.freeze({ '10s': 10_000, '1m': 60_000 });

export interface TapeWindow {
  readonly symbol: string;
  readonly interval: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly trades: readonly Trade[];
  /** The window's book-ticker summary (book.ts), as the Flink job attaches it; absent = no quotes. */
  readonly book?: BookSummary;
}

export function intervalMs(interval: string): number {
  const ms = INTERVALS[interval];
  if (ms === undefined) throw new Error(`unknown interval ${interval} (use ${Object.keys(INTERVALS).join(', ')})`);
  return ms;
}

/** Non-empty tumbling windows of one symbol's sorted trades. */
export function windowsOf(symbol: string, trades: readonly Trade[], interval: string): TapeWindow[] {
  const size = intervalMs(interval);
  const out: TapeWindow[] = [];
  let i = 0;
  while (i < trades.length) {
    const start = Math.floor(trades[i]!.timeMs / size) * size;
    let j = i;
    while (j < trades.length && trades[j]!.timeMs < start + size) j++;
    out.push({ symbol, interval, startMs: start, endMs: start + size, trades: trades.slice(i, j) });
    i = j;
  }
  return out;
}

/**
 * All windows of the tape, grouped into bundles by window end, in time order. `books(interval)`
 * gives each symbol's per-window book summaries (book.ts bookSummaries) when the run has quotes.
 */
export function bundlesOf(tape: Tape, intervals: readonly string[], books?: (interval: string) => Map<string, Map<number, BookSummary>>): TapeWindow[][] {
  const byEnd = new Map<number, TapeWindow[]>();
  for (const interval of intervals) {
    const summaries = books?.(interval);
    for (const [symbol, trades] of [...tape].sort(([a], [b]) => a.localeCompare(b))) {
      const bySymbol = summaries?.get(symbol);
      for (const plain of windowsOf(symbol, trades, interval)) {
        const book = bySymbol?.get(plain.startMs);
        const w: TapeWindow = book === undefined ? plain : { ...plain, book };
        let b = byEnd.get(w.endMs);
        if (b === undefined) byEnd.set(w.endMs, (b = []));
        b.push(w);
      }
    }
  }
  return [...byEnd.entries()].sort(([a], [b]) => a - b).map(([, ws]) => ws);
}

export function toScoringWindow(w: TapeWindow): ScoringWindow {
  return {
    key: `${w.symbol}/${w.interval}`,
    symbol: w.symbol,
    interval: w.interval,
    windowStartMs: w.startMs,
    windowEndMs: w.endMs,
    trades: tradeColumns(w.trades.map((t) => ({ tradeTimeMs: t.timeMs, tradeId: t.id, price: t.price, quantity: t.quantity, takerBuy: t.takerBuy }))),
    ...(w.book !== undefined ? { book: w.book } : {}),
  };
}
