/**
 * Window features, computed in ONE pass over the window's typed arrays with no per-trade
 * allocation. Output goes into a caller-owned Float64Array at the F.* indices; the first nine are
 * in DEFAULT_FEATURES order (packages/detectors), so the detectors' vector is that prefix after
 * each feature's transform. NaN = missing (detectors skip it, the alert omits it).
 *
 * Units (also in README.md):
 *   log_return        ln(close / previous window's close); NaN for a key's first window
 *   realized_vol      sqrt(sum of squared trade-to-trade log returns in the window), a log-return
 *                     scale (0.001 = 0.1 %); 0 with one trade or one price
 *   vwap_dev          (close - vwap) / vwap, relative
 *   volume            sum of quantities, base units
 *   volume_imbalance  (taker-buy volume - taker-sell volume) / volume, in [-1, 1]
 *   momentum          linearly weighted sum of the last N window log returns, this one included:
 *                     sum over k = 0..N-1 of (1 - k/N) x r(t-k) (fewer while a key is young);
 *                     NaN when log_return is NaN. Not a plain sum: with a plain (boxcar) sum a
 *                     crash and its rebound cancel until the crash leaves the window N windows
 *                     later, when the rebound alone shows up as a 'ghost' move of the same size
 *                     (it made a third of the market-wide alerts in the backtest). With weights
 *                     fading to zero a crash-and-rebound leaves at most 1/N of it (decision 063).
 *   trade_count       trades in the window
 *   trade_rate        trades per second of window length (window_end - window_start)
 *   max_trade_share   largest trade quantity / volume, in (0, 1]
 *   max_buy_burst     largest number of taker-buy trades stamped with the SAME millisecond (one
 *                     aggressive order sweeping the book, or a burst of orders); >= 0. A pump's
 *                     rush of same-millisecond buys shows here and nowhere else (scored as log1p)
 *   spread_bps        the window's time-weighted GEOMETRIC mean relative bid-ask spread, bps of mid,
 *                     from the book-ticker summary (BookSummary.spread_bps_geo); NaN without quotes.
 *                     Scored by the activity detector's spread channel (SPREAD_BLOWOUT), not by the
 *                     generic detectors. Geometric, because a 5 ms flicker to 10x must not look like
 *                     a 10 s blowout (on the tape the arithmetic mean's max is 17x its median, the
 *                     geometric mean's 1.22x; decision 066)
 *   alert-only book features (not scored; present when the window had valid quotes):
 *     spread_bps_twa (arithmetic time-weighted mean, bps), spread_bps_max (widest quote, bps),
 *     depth_quote_twa / depth_quote_min (top-of-book depth min(bid x size, ask x size), quote
 *     currency, time-weighted / smallest), quote_count (updates in the window), max_quote_gap_ms
 *     (longest stretch without a quote, ms)
 *   vwap              sum(price x quantity) / volume, quote per base (alert feature, not scored)
 *   close             last trade's price (alert field, not scored)
 *   return_pct        (close / previous close - 1) x 100; 0 for a key's first window
 */
import type { FeatureSpec } from '@crypto-anomaly/detectors';
import type { BookSummary, TradeColumns } from './columns.js';
import { ValidationError } from './errors.js';

/**
 * THE feature table: every value a window's feature pass writes (the raw vector), in raw-vector
 * order. From it derive the F indices, the detectors' schema (UDF_FEATURES: the scored rows), the
 * names the generic detectors may vote on (SCORED_FEATURES) and their default votes
 * (DEFAULT_VOTE_FEATURES, config.ts); a test checks they agree with each other and with
 * packages/detectors' DEFAULT_FEATURES, which the offline-trained models' schema is. Units and
 * computations are in the file comment above; reason texts in consensus.ts reasonText.
 * - scored: part of the detectors' vector ('generic' = the z-score/MAD detectors may vote on it;
 *   'specialist' = only the activity detector reads it);
 * - vote: in the default vote list of the generic detectors;
 * - transform / minScale / noiseOf: the schema's (FeatureSpec: the scale floor, and the count
 *   whose Poisson noise bounds the scale, decision 070).
 */
export const FEATURE_TABLE = Object.freeze([
  { key: 'logReturn', name: 'log_return', scored: 'generic', vote: true, transform: 'identity', minScale: 5e-5 },
  { key: 'realizedVol', name: 'realized_vol', scored: 'generic', vote: true, transform: 'identity', minScale: 5e-5 },
  { key: 'vwapDev', name: 'vwap_dev', scored: 'generic', vote: true, transform: 'identity', minScale: 5e-5 },
  { key: 'volume', name: 'volume', scored: 'generic', vote: true, transform: 'log1p', minScale: 0.25, noiseOf: 'trade_count' },
  { key: 'volumeImbalance', name: 'volume_imbalance', scored: 'generic', vote: true, transform: 'identity', minScale: 0.1 },
  { key: 'momentum', name: 'momentum', scored: 'generic', vote: true, transform: 'identity', minScale: 5e-5 },
  { key: 'tradeCount', name: 'trade_count', scored: 'generic', vote: true, transform: 'log1p', minScale: 0.25, noiseOf: 'trade_count' },
  { key: 'tradeRate', name: 'trade_rate', scored: 'generic', vote: true, transform: 'log1p', minScale: 0.1 },
  // Alert feature, no vote: one large print is routine in a liquid pair (decision 063).
  { key: 'maxTradeShare', name: 'max_trade_share', scored: 'generic', vote: false, transform: 'identity', minScale: 0.1 },
  { key: 'maxBuyBurst', name: 'max_buy_burst', scored: 'generic', vote: true, transform: 'log1p', minScale: 0.25, noiseOf: 'max_buy_burst' },
  { key: 'spreadBps', name: 'spread_bps', scored: 'specialist', vote: false, transform: 'identity', minScale: 0 },
  // Windows since the key's previous scored window (1 = the one just before; NaN for a key's
  // first): the activity detector's flow is persistent only over consecutive windows.
  { key: 'gapWindows', name: 'gap_windows', scored: 'specialist', vote: false, transform: 'identity', minScale: 0 },
  { key: 'vwap', name: 'vwap', scored: 'no', vote: false, transform: 'identity', minScale: 0 },
  { key: 'close', name: 'close', scored: 'no', vote: false, transform: 'identity', minScale: 0 },
  { key: 'returnPct', name: 'return_pct', scored: 'no', vote: false, transform: 'identity', minScale: 0 },
] as const);

type FeatureKey = (typeof FEATURE_TABLE)[number]['key'];
type Scored = Extract<(typeof FEATURE_TABLE)[number], { scored: 'generic' }>['name'];

/** Raw-vector index of every feature, by key (F.logReturn = 0, ...). */
export const F: Readonly<Record<FeatureKey, number>> = Object.freeze(Object.fromEntries(FEATURE_TABLE.map((f, i) => [f.key, i])) as Record<FeatureKey, number>);
export const RAW_SIZE = FEATURE_TABLE.length;
/** Trades a window needs for realized_vol, and for volume_imbalance (fewer: NaN = missing). */
export const MIN_VOL_TRADES = 4;
export const MIN_IMBALANCE_TRADES = 3;
/** Names the generic detectors may vote on, in raw-vector order. */
export const SCORED_FEATURES = Object.freeze(FEATURE_TABLE.filter((f) => f.scored === 'generic').map((f) => f.name)) as readonly Scored[] as readonly [Scored, ...Scored[]];
/** The generic detectors' default votes. */
export const DEFAULT_VOTE_FEATURES: readonly string[] = Object.freeze(FEATURE_TABLE.filter((f) => f.vote).map((f) => f.name));
/**
 * The detectors' feature schema: the scored rows, in raw-vector order, so the detectors' vector is
 * the raw vector's prefix after each feature's transform.
 */
export const UDF_FEATURES: readonly FeatureSpec[] = Object.freeze(
  FEATURE_TABLE.filter((f) => f.scored !== 'no').map(
    (f): FeatureSpec => ({ name: f.name, transform: f.transform, ...(f.minScale > 0 ? { minScale: f.minScale } : {}), ...('noiseOf' in f ? { noiseOf: f.noiseOf } : {}) }),
  ),
);

/**
 * The book features of a window: spread_bps into out[F.spreadBps] (NaN without valid quotes), the
 * alert-only ones into `extra` (cleared first). Valid quotes = quote_count - crossed_or_locked.
 */
export function bookFeatures(book: BookSummary | undefined, out: Float64Array, extra: Record<string, number>): void {
  for (const k of Object.keys(extra)) delete extra[k];
  const valid = book === undefined ? 0 : book.quoteCount - book.crossedOrLocked;
  if (book === undefined || valid <= 0 || !(book.spreadBpsGeo > 0 && book.spreadBpsGeo < Infinity)) {
    out[F.spreadBps] = NaN;
    if (book !== undefined && book.quoteCount > 0) {
      extra['quote_count'] = book.quoteCount;
      extra['max_quote_gap_ms'] = book.maxQuoteGapMs;
    }
    return;
  }
  out[F.spreadBps] = book.spreadBpsGeo;
  extra['spread_bps_twa'] = book.spreadBpsTwa;
  extra['spread_bps_max'] = book.spreadBpsMax;
  extra['depth_quote_twa'] = book.depthQuoteTwa;
  extra['depth_quote_min'] = book.depthQuoteMin;
  extra['quote_count'] = book.quoteCount;
  extra['max_quote_gap_ms'] = book.maxQuoteGapMs;
}

/**
 * Fills `out` for a window with at least one trade. `prevReturns` are the key's previous window
 * log returns, oldest first; the last `momentumWindows - 1` of them enter momentum. Throws
 * ValidationError(BAD_TRADE) for a non-positive or non-finite price or a negative or non-finite
 * quantity (the producer never emits those, so it is a client bug, not market data).
 */
export function computeFeatures(
  c: TradeColumns,
  windowMs: number,
  prevClose: number,
  prevReturns: readonly number[],
  momentumWindows: number,
  out: Float64Array,
  where = 'window',
): void {
  const n = c.length;
  const price = c.price;
  const qty = c.quantity;
  const bits = c.takerBuyBits;
  const bitOffset = c.takerBuyBitOffset;
  let volume = 0;
  let quote = 0;
  let buy = 0;
  let maxQ = 0;
  let sumSq = 0;
  let burst = 0;
  let maxBurst = 0;
  const time = c.tradeTimeMs;
  let prevP = price[0]!;
  let prevLog = Math.log(prevP);
  for (let i = 0; i < n; i++) {
    const p = price[i]!;
    const q = qty[i]!;
    // Written so that NaN fails too.
    if (!(p > 0 && p < Infinity)) throw new ValidationError('BAD_TRADE', `${where}: trade ${i} has price ${p}`);
    if (!(q >= 0 && q < Infinity)) throw new ValidationError('BAD_TRADE', `${where}: trade ${i} has quantity ${q}`);
    volume += q;
    quote += p * q;
    const bit = bitOffset + i;
    if (((bits[bit >> 3]! >> (bit & 7)) & 1) === 1) {
      buy += q;
      // Trades are sorted by time, so a same-millisecond run is contiguous.
      burst = burst > 0 && time[i] === time[i - 1] ? burst + 1 : 1;
      if (burst > maxBurst) maxBurst = burst;
    } else burst = 0;
    if (q > maxQ) maxQ = q;
    // Runs of equal prices are common (one taker order filling several makers): no log needed.
    if (p !== prevP) {
      const lp = Math.log(p);
      const d = lp - prevLog;
      sumSq += d * d;
      prevLog = lp;
      prevP = p;
    }
  }
  const close = price[n - 1]!;
  const hasPrev = prevClose > 0 && prevClose < Infinity;
  const logReturn = hasPrev ? Math.log(close / prevClose) : NaN;
  let momentum = logReturn;
  if (hasPrev) {
    const from = Math.max(0, prevReturns.length - (momentumWindows - 1));
    // prevReturns[last] is k = 1 back, weight 1 - 1/N; the oldest kept one, k = N - 1, weight 1/N.
    for (let i = from; i < prevReturns.length; i++) momentum += (1 - (prevReturns.length - i) / momentumWindows) * prevReturns[i]!;
  }
  const vwap = volume > 0 ? quote / volume : NaN;
  out[F.logReturn] = logReturn;
  // Minimum evidence (decision 070): volatility from fewer than MIN_VOL_TRADES trades and the
  // taker imbalance of fewer than MIN_IMBALANCE_TRADES are missing, not 0 or +-1: a thin market's
  // one-trade window has no volatility and is always 'all one side'.
  out[F.realizedVol] = n >= MIN_VOL_TRADES ? Math.sqrt(sumSq) : NaN;
  // Like volatility: a window of one trade closes at its VWAP by construction (0, no evidence).
  out[F.vwapDev] = n >= MIN_VOL_TRADES ? (close - vwap) / vwap : NaN;
  out[F.volume] = volume;
  out[F.volumeImbalance] = volume > 0 && n >= MIN_IMBALANCE_TRADES ? (2 * buy - volume) / volume : NaN;
  out[F.momentum] = momentum;
  out[F.tradeCount] = n;
  out[F.tradeRate] = n / (windowMs / 1000);
  out[F.maxTradeShare] = volume > 0 ? maxQ / volume : NaN;
  out[F.maxBuyBurst] = maxBurst;
  out[F.vwap] = vwap;
  out[F.close] = close;
  out[F.returnPct] = hasPrev ? (close / prevClose - 1) * 100 : 0;
}
