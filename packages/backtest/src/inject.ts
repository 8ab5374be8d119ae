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
 *   VOLUME_BURST               every trade of W ten times (same time and price), sizes scaled
 *                              so W's base volume is 30x the symbol's TYPICAL window volume
 *                              (median of the 30 windows before W): trade count x10, price path
 *                              unchanged. Relative to the typical volume, not to W's own: x30 a
 *                              naturally quiet window (0.1x median) is 3x median, an ordinary
 *                              busy window, and labelling it a burst would be a labelling error.
 *                              For scale: on the tape, 10 s volume's 99th percentile is 5.6x
 *                              (BTC) and 7.2x (ETH) the median, its maximum 6.8x and 13.3x
 *                              (an earlier note here said "p99 = 25x median"; that was BTC's p99
 *                              in base units, 25.4 BTC, not a ratio).
 *   VOLATILITY_REGIME_SHIFT    for 6 windows from W, each trade price x exp(±s) alternating
 *                              (s sized so realized volatility is ~10x the symbol's median),
 *                              closes barely moved.
 *   ONE_SIDED_FLOW             for 3 windows from W, an aggressive buyer next to the normal
 *                              market: per window, extra taker buys totalling 3x the typical
 *                              window volume (one next to every recorded trade, same time and
 *                              price); imbalance ~+0.75 in a median window, prices unchanged.
 *                              (Before: every trade flipped to a buy at 4x size, i.e. imbalance
 *                              exactly +1, which real flow never shows.)
 *   PUMP_PATTERN               at W + 6 s a rush of 150 taker buys in the SAME millisecond
 *                              walking the price up 1.5 % with 3x typical sizes; later trades of
 *                              W and W+1 stay 1.5 % up (then it dumps back). The tape's own
 *                              largest same-millisecond buy run is 82 trades (one taker order
 *                              sweeping many makers), so a rush must be larger to be a rush.
 *   MARKET_WIDE_MOVE           the flash crash above in EVERY symbol of the tape at W.
 *   SPREAD_BLOWOUT             on the REAL book tickers of W from +3 s to +7 s: every quote's spread
 *                              widened 40x around its own mid and both top-of-book sizes / 10
 *                              (book.ts injectBook); trades untouched. The tape's own largest
 *                              10 s time-weighted geometric-mean spread is 1.22x (BTC) / 1.06x
 *                              (ETH) its median; 4 s at 40x makes ~4.4x.
 */
import { sortTrades, type Tape, type Trade } from './tape.js';

export const INJECTABLE_TYPES = ['PRICE_SPIKE', 'FLASH_CRASH', 'VOLUME_BURST', 'VOLATILITY_REGIME_SHIFT', 'ONE_SIDED_FLOW', 'PUMP_PATTERN', 'MARKET_WIDE_MOVE', 'SPREAD_BLOWOUT'] as const;
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
  SPREAD_BLOWOUT: 1,
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
  /**
   * Whether the symbol has trades in the 10 s window starting at startMs. When given, an event is
   * only planted where every window it touches (its own and the one after it, where spikes revert
   * and detection may land) has trades; otherwise it moves to the next window that does. Without
   * this, events fell into the tape's seams (the looped tape has a minute without trades per
   * pass) where nothing can be detected, capping every recall at ~0.91.
   */
  readonly hasTrades?: (symbol: string, startMs: number) => boolean;
}

/** Events every `spacing` windows after the warm-up, symbols taking turns (all at once for market-wide). */
export function schedule(o: ScheduleOptions): LabelledEvent[] {
  const out: LabelledEvent[] = [];
  const len = EVENT_WINDOWS[o.type];
  let k = 0;
  const placeable = (symbols: readonly string[], w: number): boolean => {
    if (o.hasTrades === undefined) return true;
    for (const s of symbols) for (let i = 0; i <= len; i++) if (!o.hasTrades(s, o.firstWindowMs + (w + i) * W)) return false;
    return true;
  };
  for (let w = o.warmUpWindows; w + len + 1 < o.totalWindows; ) {
    const startMs = o.firstWindowMs + w * W;
    const symbols = o.type === 'MARKET_WIDE_MOVE' ? o.symbols : [o.symbols[k % o.symbols.length]!];
    if (!placeable(symbols, w)) {
      w++;
      continue;
    }
    for (const symbol of symbols) out.push({ type: o.type, symbol, startMs, windows: len });
    w += o.spacing;
    k++;
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
      // x30 the symbol's TYPICAL window volume (median of the 30 windows before), not x30 this
      // window's own volume: a naturally quiet window x30 is an ordinary busy window, not a burst.
      const typical = median(windowVolumes(rows, w - 30 * W, w));
      let own = 0;
      for (let i = a; i < b; i++) own += rows[i]!.quantity;
      const factor = own > 0 ? Math.max(1, (30 * m * typical) / own) : 1;
      const copies: Trade[] = [];
      for (let i = a; i < b; i++) {
        const t = rows[i]!;
        const q = (t.quantity * factor) / 10;
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
      // An aggressive buyer ALONGSIDE the normal two-sided market: in each of the event's windows
      // it takes 3x the typical window volume, as one extra taker buy next to every recorded trade
      // (same time and price), sized in proportion to that trade. Imbalance ends near +0.75 in a
      // median window (not exactly +1), prices unchanged.
      const typical = median(windowVolumes(rows, w - 30 * W, w));
      const out: Trade[] = rows.slice(0, range(rows, w, w + 1)[0]);
      let last = out.length;
      for (let k = 0; k < e.windows; k++) {
        const [a, b] = range(rows, w + k * W, w + (k + 1) * W);
        let own = 0;
        for (let i = a; i < b; i++) own += rows[i]!.quantity;
        const factor = own > 0 ? (3 * m * typical) / own : 0;
        for (let i = a; i < b; i++) {
          out.push(rows[i]!);
          if (factor > 0) out.push({ ...rows[i]!, takerBuy: true, quantity: rows[i]!.quantity * factor });
        }
        last = b;
      }
      for (let i = last; i < rows.length; i++) out.push(rows[i]!);
      return out;
    }
    case 'SPREAD_BLOWOUT':
      // Book tickers only (book.ts injectBook): a spread can blow out without a trade.
      return rows;
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

/** Base volume of each non-empty 10 s window in [fromMs, toMs). */
function windowVolumes(rows: readonly Trade[], fromMs: number, toMs: number): number[] {
  const out: number[] = [];
  for (let s = fromMs; s < toMs; s += W) {
    const [a, b] = range(rows, s, s + W);
    let v = 0;
    for (let i = a; i < b; i++) v += rows[i]!.quantity;
    if (b > a) out.push(v);
  }
  return out.length > 0 ? out : [0];
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
