/**
 * The injector: plants labelled anomalies of one type into REAL trades at known 10 s windows.
 * Everything not named here is left as recorded (times, sizes and sides of untouched trades).
 * Magnitudes are relative to the real tape (default `magnitude` 1 = the sizes below), chosen to be
 * clearly larger than anything the 11-minute tape does by itself (its largest 10 s return is
 * 0.2 %, its largest realized volatility 7.5x the median, its taker imbalance reaches ±0.99),
 * yet ordinary for real incidents:
 *
 *   PRICE_SPIKE / FLASH_CRASH  prices x(1 ± 1 %) from the middle of window W until 3 s into W+1
 *                              (the window closes 1 % away, the next one reverts).
 *   VOLUME_BURST               every trade of W ten times (same time and price) with 3x the
 *                              size: volume x30, trade count x10, price path unchanged (10 s
 *                              volume is heavy-tailed: the tape's own 99th percentile is 25x
 *                              its median, so a smaller burst is not unusual at all).
 *   VOLATILITY_REGIME_SHIFT    for 6 windows from W, each trade price x exp(±s) alternating
 *                              (s sized so realized volatility is ~10x the symbol's median),
 *                              closes barely moved.
 *   ONE_SIDED_FLOW             for 3 windows from W, every trade becomes a taker buy with 4x
 *                              the size; prices unchanged.
 *   PUMP_PATTERN               at W + 6 s a rush of 150 taker buys in the SAME millisecond
 *                              walking the price up 1.5 % with 3x typical sizes; later trades of
 *                              W and W+1 stay 1.5 % up (then it dumps back). The tape's own
 *                              largest same-millisecond buy run is 82 trades (one taker order
 *                              sweeping many makers), so a rush must be larger to be a rush.
 *   MARKET_WIDE_MOVE           the flash crash above in EVERY symbol of the tape at W.
 *   SPREAD_BLOWOUT             not injectable: the sidecar sees no book tickers (see report).
 */
import { sortTrades, type Tape, type Trade } from './tape.js';

export const INJECTABLE_TYPES = ['PRICE_SPIKE', 'FLASH_CRASH', 'VOLUME_BURST', 'VOLATILITY_REGIME_SHIFT', 'ONE_SIDED_FLOW', 'PUMP_PATTERN', 'MARKET_WIDE_MOVE'] as const;
export type InjectedType = (typeof INJECTABLE_TYPES)[number];

/** Windows an injected event spans (its label covers them all; detection is timed from the first). */
export const EVENT_WINDOWS: Readonly<Record<InjectedType, number>> = Object.freeze({
  PRICE_SPIKE: 1,
  FLASH_CRASH: 1,
  VOLUME_BURST: 1,
  VOLATILITY_REGIME_SHIFT: 6,
  ONE_SIDED_FLOW: 3,
  PUMP_PATTERN: 1,
  MARKET_WIDE_MOVE: 1,
});

export interface LabelledEvent {
  readonly type: InjectedType;
  readonly symbol: string;
  /** Start of the first affected 10 s window. */
  readonly startMs: number;
  readonly windows: number;
}

const W = 10_000;

export interface ScheduleOptions {
  readonly type: InjectedType;
  readonly symbols: readonly string[];
  /** First window start of the tape (10 s grid) and the number of 10 s windows it spans. */
  readonly firstWindowMs: number;
  readonly totalWindows: number;
  /** No event before this many windows (warm-up). */
  readonly warmUpWindows: number;
  /** Windows between consecutive events. */
  readonly spacing: number;
}

/** Events every `spacing` windows after the warm-up, symbols taking turns (all at once for market-wide). */
export function schedule(o: ScheduleOptions): LabelledEvent[] {
  const out: LabelledEvent[] = [];
  const len = EVENT_WINDOWS[o.type];
  let k = 0;
  for (let w = o.warmUpWindows; w + len + 1 < o.totalWindows; w += o.spacing, k++) {
    const startMs = o.firstWindowMs + w * W;
    if (o.type === 'MARKET_WIDE_MOVE') for (const symbol of o.symbols) out.push({ type: o.type, symbol, startMs, windows: len });
    else out.push({ type: o.type, symbol: o.symbols[k % o.symbols.length]!, startMs, windows: len });
  }
  return out;
}

/** Returns a new tape with the events planted (the input is not changed). */
export function inject(tape: Tape, events: readonly LabelledEvent[], magnitude = 1): Tape {
  const out: Tape = new Map([...tape].map(([s, rows]) => [s, rows.slice()]));
  for (const e of events) {
    const rows = out.get(e.symbol);
    if (rows === undefined) throw new Error(`event for ${e.symbol}, which is not on the tape`);
    out.set(e.symbol, plant(rows, e, magnitude));
  }
  return out;
}

function median(a: number[]): number {
  const s = a.slice().sort((x, y) => x - y);
  return s.length === 0 ? 0 : s[s.length >> 1]!;
}

/** Indices [from, to) of the trades with from <= time < to (rows sorted by time). */
function range(rows: readonly Trade[], fromMs: number, toMs: number): [number, number] {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (rows[mid]!.timeMs < fromMs) lo = mid + 1;
    else hi = mid;
  }
  let end = lo;
  while (end < rows.length && rows[end]!.timeMs < toMs) end++;
  return [lo, end];
}

function scalePrices(rows: Trade[], fromMs: number, toMs: number, factor: number): void {
  const [a, b] = range(rows, fromMs, toMs);
  for (let i = a; i < b; i++) rows[i] = { ...rows[i]!, price: rows[i]!.price * factor };
}

function plant(rows: Trade[], e: LabelledEvent, m: number): Trade[] {
  const w = e.startMs;
  switch (e.type) {
    case 'PRICE_SPIKE':
      scalePrices(rows, w + 5_000, w + W + 3_000, 1 + 0.01 * m);
      return rows;
    case 'FLASH_CRASH':
    case 'MARKET_WIDE_MOVE':
      scalePrices(rows, w + 5_000, w + W + 3_000, 1 - 0.01 * m);
      return rows;
    case 'VOLUME_BURST': {
      const [a, b] = range(rows, w, w + W);
      const copies: Trade[] = [];
      for (let i = a; i < b; i++) {
        const t = rows[i]!;
        const q = t.quantity * 3 * m;
        for (let k = 0; k < 10; k++) copies.push({ ...t, quantity: q });
      }
      return [...rows.slice(0, a), ...copies, ...rows.slice(b)];
    }
    case 'VOLATILITY_REGIME_SHIFT': {
      for (let k = 0; k < e.windows; k++) {
        const [a, b] = range(rows, w + k * W, w + (k + 1) * W);
        const n = b - a;
        if (n < 2) continue;
        // Realized vol of the window as recorded, and of the 30 windows before it (the symbol's typical level).
        const typical = median(windowVols(rows, w - 30 * W, w));
        // Alternating ±s makes consecutive log differences ~2s: sqrt(n) x 2s ~ 10 x typical.
        const s = (10 * m * typical) / (2 * Math.sqrt(n));
        for (let i = a; i < b; i++) rows[i] = { ...rows[i]!, price: rows[i]!.price * Math.exp((i - a) % 2 === 0 ? s : -s) };
      }
      return rows;
    }
    case 'ONE_SIDED_FLOW': {
      const [a, b] = range(rows, w, w + e.windows * W);
      for (let i = a; i < b; i++) rows[i] = { ...rows[i]!, takerBuy: true, quantity: rows[i]!.quantity * 4 * m };
      return rows;
    }
    case 'PUMP_PATTERN': {
      const at = w + 6_000;
      const [a] = range(rows, at, at + 1);
      const before = rows.slice(Math.max(0, a - 200), a);
      const p0 = a > 0 ? rows[a - 1]!.price : rows[0]!.price;
      const q = 3 * median(before.map((t) => t.quantity));
      const rise = 0.015 * m;
      const baseId = a > 0 ? rows[a - 1]!.id : rows[0]!.id;
      const rush: Trade[] = [];
      const N = 150;
      for (let i = 0; i < N; i++) rush.push({ timeMs: at, id: baseId, price: p0 * (1 + (rise * (i + 1)) / N), quantity: q, takerBuy: true });
      const next = [...rows.slice(0, a), ...rush, ...rows.slice(a)];
      scalePrices(next, at + 1, w + 2 * W, 1 + rise);
      return sortTrades(next);
    }
  }
}

/** Realized volatility of each 10 s window in [fromMs, toMs), as udf-server computes it. */
function windowVols(rows: readonly Trade[], fromMs: number, toMs: number): number[] {
  const out: number[] = [];
  for (let s = fromMs; s < toMs; s += W) {
    const [a, b] = range(rows, s, s + W);
    let sum = 0;
    for (let i = a + 1; i < b; i++) {
      const d = Math.log(rows[i]!.price / rows[i - 1]!.price);
      sum += d * d;
    }
    if (b - a > 1) out.push(Math.sqrt(sum));
  }
  return out.length > 0 ? out : [1e-4];
}
