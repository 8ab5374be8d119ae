/**
 * Seeded synthetic windows for the benchmark, the tests and the Java side's fixtures: a random
 * walk of trade prices with log-normal sizes and a random taker side. Same seed, same bytes.
 */
import { mulberry32, type Rng } from '@crypto-anomaly/detectors';
import { tradesToArrow, type TradeRow } from './arrow.js';
import type { WindowToScore } from './wire.js';

export interface SyntheticWindowOptions {
  readonly symbol: string;
  readonly interval?: string;
  readonly windowMs?: number;
  readonly startMs: number;
  /** Price the first trade starts from (the previous window's close). */
  readonly openPrice: number;
  readonly trades?: number;
  /** Standard deviation of each trade-to-trade log return. */
  readonly tickVol?: number;
  /** Extra log move spread over the window's trades (a spike of 0.02 = about +2 %). */
  readonly drift?: number;
  /** Multiplier on trade sizes. */
  readonly sizeScale?: number;
  readonly firstTradeId?: number;
}

export function syntheticTrades(rng: Rng, o: SyntheticWindowOptions): TradeRow[] {
  const n = o.trades ?? 200;
  const windowMs = o.windowMs ?? 10_000;
  const tickVol = o.tickVol ?? 0.0001;
  const drift = (o.drift ?? 0) / Math.max(1, n);
  const sizeScale = o.sizeScale ?? 1;
  let logP = Math.log(o.openPrice);
  const rows: TradeRow[] = [];
  for (let i = 0; i < n; i++) {
    logP += drift + tickVol * rng.normal();
    rows.push({
      // Evenly spread over the window, sorted by construction.
      tradeTimeMs: o.startMs + Math.floor((i * windowMs) / n),
      tradeId: (o.firstTradeId ?? 1) + i,
      // Rounded to a cent, like a real tick size, so equal consecutive prices happen.
      price: Math.round(Math.exp(logP) * 100) / 100,
      quantity: Math.round(Math.exp(rng.normal() * 0.8) * 0.01 * sizeScale * 1e6) / 1e6,
      takerBuy: rng.next() < 0.5,
    });
  }
  return rows;
}

export function syntheticWindow(rng: Rng, o: SyntheticWindowOptions): { window: WindowToScore; close: number } {
  const interval = o.interval ?? '10s';
  const windowMs = o.windowMs ?? 10_000;
  const trades = syntheticTrades(rng, o);
  return {
    window: {
      key: `${o.symbol}/${interval}`,
      symbol: o.symbol,
      interval,
      windowStartMs: o.startMs,
      windowEndMs: o.startMs + windowMs,
      tradesArrow: tradesToArrow(trades),
      kline: undefined,
    },
    close: trades.length > 0 ? trades[trades.length - 1]!.price : o.openPrice,
  };
}

/**
 * A series of consecutive windows of one symbol (a warm-up history), each opening at the
 * previous close. `overrides(i)` can change any window (e.g. a spike in the last one).
 */
export function syntheticSeries(seed: number, symbol: string, count: number, startMs: number, overrides: (i: number) => Partial<SyntheticWindowOptions> = () => ({})): WindowToScore[] {
  const rng = mulberry32(seed);
  let price = 100;
  const out: WindowToScore[] = [];
  for (let i = 0; i < count; i++) {
    const { window, close } = syntheticWindow(rng, { symbol, startMs: startMs + i * 10_000, openPrice: price, trades: 50, ...overrides(i) });
    out.push(window);
    price = close;
  }
  return out;
}
