/**
 * The scoring core's input types: one window's trades as typed columns, its book-ticker summary,
 * and a bundle of windows with their keys' state blobs. Plain data, no wire format: the sidecar
 * decodes Arrow and protobuf into these (udf-server arrow.ts, wire.ts), the backtest and the
 * trainer build them from recordings (`tradeColumns`).
 */
import type { Alert } from '@crypto-anomaly/contract';

/** One window's trades as columns, sorted by (trade time, trade id); every array has `length` elements (bits for takerBuy). */
export interface TradeColumns {
  readonly length: number;
  readonly tradeTimeMs: BigInt64Array;
  readonly tradeId: BigInt64Array;
  readonly price: Float64Array;
  readonly quantity: Float64Array;
  /** Bit-packed, LSB first, starting at bit `takerBuyBitOffset`. */
  readonly takerBuyBits: Uint8Array;
  readonly takerBuyBitOffset: number;
}

export const EMPTY_TRADES: TradeColumns = Object.freeze({
  length: 0,
  tradeTimeMs: new BigInt64Array(0),
  tradeId: new BigInt64Array(0),
  price: new Float64Array(0),
  quantity: new Float64Array(0),
  takerBuyBits: new Uint8Array(0),
  takerBuyBitOffset: 0,
});

/** Whether trade i's taker bought. */
export function takerBought(c: TradeColumns, i: number): boolean {
  const bit = c.takerBuyBitOffset + i;
  return ((c.takerBuyBits[bit >> 3]! >> (bit & 7)) & 1) === 1;
}

/** Columns of plain trade rows (already sorted by time, id): what tools that read recordings score. */
export function tradeColumns(rows: readonly { tradeTimeMs: number; tradeId: number; price: number; quantity: number; takerBuy: boolean }[]): TradeColumns {
  const n = rows.length;
  const out = {
    length: n,
    tradeTimeMs: new BigInt64Array(n),
    tradeId: new BigInt64Array(n),
    price: new Float64Array(n),
    quantity: new Float64Array(n),
    takerBuyBits: new Uint8Array((n + 7) >> 3),
    takerBuyBitOffset: 0,
  };
  rows.forEach((r, i) => {
    out.tradeTimeMs[i] = BigInt(r.tradeTimeMs);
    out.tradeId[i] = BigInt(r.tradeId);
    out.price[i] = r.price;
    out.quantity[i] = r.quantity;
    if (r.takerBuy) out.takerBuyBits[i >> 3]! |= 1 << (i & 7);
  });
  return out;
}

/**
 * The window's book-ticker summary (scoring.proto BookSummary; units there): spreads in bps of
 * mid, depth in quote currency, the gap in ms.
 */
export interface BookSummary {
  readonly quoteCount: number;
  readonly spreadBpsTwa: number;
  readonly spreadBpsGeo: number;
  readonly spreadBpsMax: number;
  readonly spreadBpsLast: number;
  readonly lastBid: number;
  readonly lastAsk: number;
  readonly depthQuoteTwa: number;
  readonly depthQuoteMin: number;
  readonly maxQuoteGapMs: number;
  readonly crossedOrLocked: number;
}

export interface KeyState {
  /** "<symbol>/<interval>", e.g. "BTCUSDT/10s". */
  readonly key: string;
  /** Opaque versioned state (state.ts); empty = a key seen for the first time. */
  readonly state: Uint8Array;
}

/** One closed window to score. */
export interface ScoringWindow {
  readonly key: string;
  readonly symbol: string;
  readonly interval: string;
  /** [start, end) in ms since the Unix epoch. */
  readonly windowStartMs: number;
  readonly windowEndMs: number;
  readonly trades: TradeColumns;
  /** Book-ticker summary; undefined = no quotes: no spread features. */
  readonly book?: BookSummary | undefined;
}

/** Windows of one bundle, in the order their results come back, with one state per key. */
export interface ScoringRequest {
  readonly bundleId: string;
  readonly states: readonly KeyState[];
  readonly windows: readonly ScoringWindow[];
}

export interface ScoringResponse {
  readonly results: readonly Alert[];
  readonly states: readonly KeyState[];
  readonly configVersion: string;
  readonly modelVersion: string;
}
