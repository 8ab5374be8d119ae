import type { AggTrade, BookTicker, DeadLetter, DeadLetterReason, Kline, TakerSide, Trade } from '@crypto-anomaly/contract';

/**
 * Turns one WebSocket text frame from Binance's combined stream into one contract record, or
 * into a dead letter that names the reason. Pure and total: it never throws on data, whatever
 * the frame contains (every bad-input class has a DeadLetterReason).
 */
export type Normalized =
  | { readonly kind: 'trade'; readonly record: Trade }
  | { readonly kind: 'aggTrade'; readonly record: AggTrade }
  | { readonly kind: 'kline'; readonly record: Kline }
  | { readonly kind: 'bookTicker'; readonly record: BookTicker }
  | { readonly kind: 'serverShutdown'; readonly eventTimeMs: number }
  | { readonly kind: 'deadLetter'; readonly record: DeadLetter };

export interface NormalizeContext {
  /** Local wall-clock receive time, ms. */
  readonly receivedAtMs: number;
  /** Stream names subscribed on this connection ("btcusdt@trade"). */
  readonly streams: ReadonlySet<string>;
  readonly maxFrameBytes: number;
  /**
   * Exchange minus local clock, ms, as last measured from an event with `E`. Used to estimate
   * the event time of book tickers, which carry no `E` on the spot market.
   */
  readonly clockOffsetMs: number;
}

const SOURCE = 'producer';
/** Binance decimals: digits with an optional fraction, no sign, no exponent. */
const DECIMAL = /^\d+(\.\d+)?$/;

class Reject extends Error {
  constructor(readonly reason: DeadLetterReason, detail: string) {
    super(detail);
  }
}

type Obj = Record<string, unknown>;

function field(obj: Obj, key: string, path: string): unknown {
  const v = obj[key];
  if (v === undefined || v === null) throw new Reject('MISSING_FIELD', `${path}.${key}: required field is missing`);
  return v;
}

function str(obj: Obj, key: string, path: string): string {
  const v = field(obj, key, path);
  if (typeof v !== 'string') throw new Reject('BAD_FIELD_TYPE', `${path}.${key}: expected a string, got ${JSON.stringify(v)}`);
  return v;
}

function int(obj: Obj, key: string, path: string): number {
  const v = field(obj, key, path);
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
    throw new Reject('BAD_FIELD_TYPE', `${path}.${key}: expected an integer, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** An id: a non-negative integer (a negative one was dropped as a "duplicate", silently). */
function id(obj: Obj, key: string, path: string): number {
  const v = int(obj, key, path);
  if (v < 0) throw new Reject('INCONSISTENT_RECORD', `${path}.${key}: ids are not negative, got ${v}`);
  return v;
}

function bool(obj: Obj, key: string, path: string): boolean {
  const v = field(obj, key, path);
  if (typeof v !== 'boolean') throw new Reject('BAD_FIELD_TYPE', `${path}.${key}: expected a boolean, got ${JSON.stringify(v)}`);
  return v;
}

/** A decimal string; `positive` rejects zero (prices, trade quantities), else zero is allowed (volumes). */
function decimal(obj: Obj, key: string, path: string, positive: boolean): [string, number] {
  const v = field(obj, key, path);
  if (typeof v !== 'string') throw new Reject('BAD_FIELD_TYPE', `${path}.${key}: expected a decimal string, got ${JSON.stringify(v)}`);
  if (!DECIMAL.test(v)) {
    // "-1", "NaN", "1e5", "Infinity": a number-like value that is not a valid positive decimal.
    const n = Number(v);
    if (v.trim() !== '' && (Number.isNaN(n) || !Number.isFinite(n) || n <= 0)) {
      throw new Reject('NON_POSITIVE_VALUE', `${path}.${key}: expected a positive decimal, got ${JSON.stringify(v)}`);
    }
    throw new Reject('BAD_FIELD_TYPE', `${path}.${key}: expected a decimal string, got ${JSON.stringify(v)}`);
  }
  const n = Number(v);
  if (!Number.isFinite(n) || (positive && n <= 0)) {
    throw new Reject('NON_POSITIVE_VALUE', `${path}.${key}: expected a ${positive ? 'positive' : 'non-negative'} decimal, got ${JSON.stringify(v)}`);
  }
  return [v, n];
}

function takerSide(buyerIsMaker: boolean): TakerSide {
  // m == true: the buyer was the resting (maker) order, so the aggressor sold.
  return buyerIsMaker ? 'SELL' : 'BUY';
}

function checkSymbol(symbol: string, stream: string): void {
  const expected = stream.slice(0, stream.indexOf('@')).toUpperCase();
  if (symbol !== expected) throw new Reject('SYMBOL_MISMATCH', `data.s: "${symbol}" does not match stream "${stream}"`);
}

function parseTrade(d: Obj, stream: string, ctx: NormalizeContext): Trade {
  const symbol = str(d, 's', 'data');
  checkSymbol(symbol, stream);
  const [priceDecimal, price] = decimal(d, 'p', 'data', true);
  const [quantityDecimal, quantity] = decimal(d, 'q', 'data', true);
  return {
    symbol,
    tradeId: id(d, 't', 'data'),
    eventTimeMs: int(d, 'E', 'data'),
    tradeTimeMs: int(d, 'T', 'data'),
    priceDecimal,
    quantityDecimal,
    price,
    quantity,
    takerSide: takerSide(bool(d, 'm', 'data')),
    ingestTimeMs: ctx.receivedAtMs,
  };
}

function parseAggTrade(d: Obj, stream: string, ctx: NormalizeContext): AggTrade {
  const symbol = str(d, 's', 'data');
  checkSymbol(symbol, stream);
  const [priceDecimal, price] = decimal(d, 'p', 'data', true);
  const [quantityDecimal, quantity] = decimal(d, 'q', 'data', true);
  const firstTradeId = id(d, 'f', 'data');
  const lastTradeId = id(d, 'l', 'data');
  if (firstTradeId > lastTradeId) throw new Reject('INCONSISTENT_RECORD', `data.f: first trade id ${firstTradeId} is above the last, data.l ${lastTradeId}`);
  return {
    symbol,
    aggTradeId: id(d, 'a', 'data'),
    firstTradeId,
    lastTradeId,
    eventTimeMs: int(d, 'E', 'data'),
    tradeTimeMs: int(d, 'T', 'data'),
    priceDecimal,
    quantityDecimal,
    price,
    quantity,
    takerSide: takerSide(bool(d, 'm', 'data')),
    ingestTimeMs: ctx.receivedAtMs,
  };
}

function parseKline(d: Obj, stream: string): Kline {
  const symbol = str(d, 's', 'data');
  checkSymbol(symbol, stream);
  const kv = field(d, 'k', 'data');
  if (typeof kv !== 'object' || Array.isArray(kv)) throw new Reject('BAD_FIELD_TYPE', `data.k: expected an object, got ${JSON.stringify(kv)}`);
  const k = kv as Obj;
  const [openDecimal, open] = decimal(k, 'o', 'data.k', true);
  const [highDecimal, high] = decimal(k, 'h', 'data.k', true);
  const [lowDecimal, low] = decimal(k, 'l', 'data.k', true);
  const [closeDecimal, close] = decimal(k, 'c', 'data.k', true);
  const [baseVolumeDecimal, baseVolume] = decimal(k, 'v', 'data.k', false);
  const [quoteVolumeDecimal, quoteVolume] = decimal(k, 'q', 'data.k', false);
  const [takerBuyBaseVolumeDecimal, takerBuyBaseVolume] = decimal(k, 'V', 'data.k', false);
  const [takerBuyQuoteVolumeDecimal, takerBuyQuoteVolume] = decimal(k, 'Q', 'data.k', false);
  const interval = str(k, 'i', 'data.k');
  // The stream names its interval ("btcusdt@kline_1m"): a kline of another one is not this stream's.
  const streamInterval = stream.slice(stream.indexOf('@kline_') + '@kline_'.length);
  if (interval !== streamInterval) throw new Reject('INCONSISTENT_RECORD', `data.k.i: interval "${interval}" arrived on stream "${stream}"`);
  if (high < low) throw new Reject('INCONSISTENT_RECORD', `data.k.h: high ${highDecimal} is below low ${lowDecimal}`);
  for (const [name, v, dec] of [['o', open, openDecimal], ['c', close, closeDecimal]] as const) {
    if (v < low || v > high) throw new Reject('INCONSISTENT_RECORD', `data.k.${name}: ${dec} is outside [low ${lowDecimal}, high ${highDecimal}]`);
  }
  if (takerBuyBaseVolume > baseVolume) throw new Reject('INCONSISTENT_RECORD', `data.k.V: taker-buy volume ${takerBuyBaseVolumeDecimal} is above the volume ${baseVolumeDecimal}`);
  const openTimeMs = int(k, 't', 'data.k');
  const closeTimeMs = int(k, 'T', 'data.k');
  if (closeTimeMs < openTimeMs) throw new Reject('INCONSISTENT_RECORD', `data.k.T: close time ${closeTimeMs} is before open time ${openTimeMs}`);
  const tradeCount = int(k, 'n', 'data.k');
  if (tradeCount < 0) throw new Reject('INCONSISTENT_RECORD', `data.k.n: trade count ${tradeCount} is negative`);
  // Binance sends f = L = -1 for a kline without trades; anything else below -1, or f > L, is wrong.
  const firstTradeId = int(k, 'f', 'data.k');
  const lastTradeId = int(k, 'L', 'data.k');
  if (firstTradeId < -1 || lastTradeId < -1 || firstTradeId > lastTradeId) throw new Reject('INCONSISTENT_RECORD', `data.k.f/L: trade ids ${firstTradeId}..${lastTradeId} are not a range`);
  return {
    symbol,
    interval,
    openTimeMs,
    closeTimeMs,
    firstTradeId,
    lastTradeId,
    openDecimal, highDecimal, lowDecimal, closeDecimal,
    open, high, low, close,
    baseVolumeDecimal, quoteVolumeDecimal, takerBuyBaseVolumeDecimal, takerBuyQuoteVolumeDecimal,
    baseVolume, quoteVolume, takerBuyBaseVolume, takerBuyQuoteVolume,
    tradeCount,
    vwap: baseVolume > 0 ? quoteVolume / baseVolume : 0,
    isClosed: bool(k, 'x', 'data.k'),
    eventTimeMs: int(d, 'E', 'data'),
    source: 'BINANCE',
  };
}

function parseBookTicker(d: Obj, stream: string, ctx: NormalizeContext): BookTicker {
  const symbol = str(d, 's', 'data');
  checkSymbol(symbol, stream);
  const [bidPriceDecimal, bidPrice] = decimal(d, 'b', 'data', true);
  const [bidQuantityDecimal, bidQuantity] = decimal(d, 'B', 'data', false);
  const [askPriceDecimal, askPrice] = decimal(d, 'a', 'data', true);
  const [askQuantityDecimal, askQuantity] = decimal(d, 'A', 'data', false);
  const hasE = d['E'] !== undefined;
  return {
    symbol,
    updateId: int(d, 'u', 'data'),
    bidPriceDecimal, bidQuantityDecimal, askPriceDecimal, askQuantityDecimal,
    bidPrice, bidQuantity, askPrice, askQuantity,
    eventTimeMs: hasE ? int(d, 'E', 'data') : Math.round(ctx.receivedAtMs + ctx.clockOffsetMs),
    eventTimeEstimated: !hasE,
    ingestTimeMs: ctx.receivedAtMs,
  };
}

function deadLetter(frame: string, byteLength: number, reason: DeadLetterReason, detail: string, stream: string, ctx: NormalizeContext): Normalized {
  const bytes = Buffer.from(frame, 'utf8');
  return {
    kind: 'deadLetter',
    record: {
      payload: bytes.subarray(0, ctx.maxFrameBytes),
      reason,
      detail,
      source: SOURCE,
      stream,
      receivedAtMs: ctx.receivedAtMs,
      originalSizeBytes: byteLength,
    },
  };
}

export function normalize(frame: string, ctx: NormalizeContext): Normalized {
  const byteLength = Buffer.byteLength(frame, 'utf8');
  if (byteLength > ctx.maxFrameBytes) {
    return deadLetter(frame, byteLength, 'OVERSIZED_FRAME', `frame of ${byteLength} bytes exceeds maxFrameBytes ${ctx.maxFrameBytes}`, '', ctx);
  }
  let msg: unknown;
  try {
    msg = JSON.parse(frame);
  } catch (err) {
    return deadLetter(frame, byteLength, 'NOT_JSON', `not JSON: ${(err as Error).message}`, '', ctx);
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
    return deadLetter(frame, byteLength, 'BAD_ENVELOPE', 'expected a JSON object', '', ctx);
  }
  const obj = msg as Obj;
  // serverShutdown is a connection-level event; accept it bare or inside an envelope.
  const inner = typeof obj['data'] === 'object' && obj['data'] !== null ? (obj['data'] as Obj) : obj;
  if (inner['e'] === 'serverShutdown') {
    return { kind: 'serverShutdown', eventTimeMs: typeof inner['E'] === 'number' ? inner['E'] : ctx.receivedAtMs };
  }
  const stream = obj['stream'];
  const data = obj['data'];
  if (typeof stream !== 'string' || typeof data !== 'object' || data === null || Array.isArray(data)) {
    return deadLetter(frame, byteLength, 'BAD_ENVELOPE', 'expected a combined-stream envelope {"stream": string, "data": object}', typeof stream === 'string' ? stream : '', ctx);
  }
  if (!ctx.streams.has(stream)) {
    return deadLetter(frame, byteLength, 'UNKNOWN_STREAM', `stream "${stream}" was not subscribed`, stream, ctx);
  }
  const kind = stream.slice(stream.indexOf('@') + 1);
  const d = data as Obj;
  try {
    switch (kind) {
      case 'trade':
        return { kind: 'trade', record: parseTrade(d, stream, ctx) };
      case 'aggTrade':
        return { kind: 'aggTrade', record: parseAggTrade(d, stream, ctx) };
      case 'bookTicker':
        return { kind: 'bookTicker', record: parseBookTicker(d, stream, ctx) };
      default:
        if (kind.startsWith('kline_')) return { kind: 'kline', record: parseKline(d, stream) };
        return deadLetter(frame, byteLength, 'UNKNOWN_STREAM', `stream kind "${kind}" is not supported`, stream, ctx);
    }
  } catch (err) {
    if (err instanceof Reject) return deadLetter(frame, byteLength, err.reason, err.message, stream, ctx);
    throw err;
  }
}
