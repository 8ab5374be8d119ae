/**
 * Cross-symbol context (typology MARKET_WIDE_MOVE, docs/decisions/068). The scorer sees one
 * symbol at a time, so the decision has two halves:
 *
 * 1. `marketContextOf` (scorer, per window): is this window a price candidate, and which way?
 *    It carries the rule from the scorer's config so the second half needs no config of its own.
 * 2. `applyMarketContext` (every symbol's window of one (interval, window start) together): count
 *    the symbols with trades and the candidates moving each way; each candidate gets the counts,
 *    and one whose direction has at least rule_min_symbols movers and at least rule_min_share of
 *    the symbols becomes a MARKET_WIDE_MOVE with a reason naming them. Other windows are left as
 *    the scorer made them (counts 0).
 *
 * In the pipeline the Flink job's market-context stage runs half 2 once the watermark has passed
 * the window (flink-job MarketContextFunction, the same rule and text, pinned by a shared
 * fixture); the backtest runs this function. Neither depends on how windows were bundled into
 * scoring calls, so a restore or a replay types every window the same way.
 */
import type { Alert, AnomalyType, MarketContext } from '@crypto-anomaly/contract';

const PRICE_TYPES: ReadonlySet<AnomalyType> = new Set<AnomalyType>(['PRICE_SPIKE', 'FLASH_CRASH', 'PUMP_PATTERN']);
/** Symbols named in the reason; the rest are counted ("and 12 more"). */
export const MARKET_REASON_MAX_SYMBOLS = 10;

export interface MarketRule {
  readonly marketWideMinSymbols: number;
  readonly marketWideShare: number;
}

/**
 * A price candidate (a consensus of at least minVotes generic detectors typed as a spike, crash or
 * pump) moves the way its return does; anything else has direction 0.
 */
export function marketContextOf(votes: number, minVotes: number, type: AnomalyType, returnPct: number, rule: MarketRule): MarketContext {
  const direction = votes >= minVotes && PRICE_TYPES.has(type) && returnPct !== 0 ? Math.sign(returnPct) : 0;
  return { direction, ruleMinSymbols: rule.marketWideMinSymbols, ruleMinShare: rule.marketWideShare, symbols: 0, moving: 0 };
}

/**
 * Half 2 over any list of results (grouped here by interval and window start; mutates them).
 * Windows without trades are not symbols of that moment. Results without a market context (an
 * older scorer) are counted as present and never moving.
 */
export function applyMarketContext(results: readonly Alert[]): void {
  const groups = new Map<string, Alert[]>();
  for (const r of results) {
    if (r.tradeCount === 0) continue;
    const k = `${r.interval}/${r.windowStartMs}`;
    let g = groups.get(k);
    if (g === undefined) groups.set(k, (g = []));
    g.push(r);
  }
  for (const g of groups.values()) applyToMoment(g);
}

/** One moment: every symbol's window (with trades) of one interval and window start. */
export function applyToMoment(g: readonly Alert[]): void {
  const up = g.filter((r) => r.market?.direction === 1).map((r) => r.symbol).sort();
  const down = g.filter((r) => r.market?.direction === -1).map((r) => r.symbol).sort();
  for (const r of g) {
    const m = r.market;
    // Only price candidates can become market-wide, so only they get the counts (the Flink stage
    // lets every other window pass without waiting for its moment).
    if (m === undefined || m.direction === 0) continue;
    m.symbols = g.length;
    const movers = m.direction > 0 ? up : down;
    m.moving = movers.length;
    if (movers.length >= m.ruleMinSymbols && movers.length >= m.ruleMinShare * g.length) {
      r.type = 'MARKET_WIDE_MOVE';
      r.reasons.push({ feature: 'market', actual: movers.length, typical: g.length, z: 0, detector: 'market-context', text: marketReasonText(movers, g.length, m.direction) });
    }
  }
}

/** "2 of 2 symbols moved up together in this window (BTCUSDT, ETHUSDT)"; names sorted, at most 10. */
export function marketReasonText(movers: readonly string[], symbols: number, direction: number): string {
  const shown = movers.slice(0, MARKET_REASON_MAX_SYMBOLS).join(', ');
  const more = movers.length > MARKET_REASON_MAX_SYMBOLS ? ` and ${movers.length - MARKET_REASON_MAX_SYMBOLS} more` : '';
  return `${movers.length} of ${symbols} symbols moved ${direction > 0 ? 'up' : 'down'} together in this window (${shown}${more})`;
}
