/**
 * Thinning a tape to a lower liquidity tier, for tests: whole taker orders are kept or dropped
 * together (an order = consecutive trades of one symbol with the same millisecond and side, as one
 * market order filling several makers prints), each kept with probability `keep`, seeded. The
 * result trades like a thin market: fewer, lumpier prints at the real prices and times. Written as
 * a Binance aggTrades dump (dump.ts reads it back), one aggregate row per kept trade.
 */
import { mulberry32 } from '@crypto-anomaly/detectors';
import type { Tape, Trade } from './tape.js';

export function thinTape(tape: Tape, keep: number, seed = 1): Tape {
  if (!(keep > 0 && keep <= 1)) throw new RangeError(`keep must be in (0, 1], got ${keep}`);
  const rng = mulberry32(seed);
  const out: Tape = new Map();
  for (const [symbol, rows] of [...tape].sort(([a], [b]) => a.localeCompare(b))) {
    const kept: Trade[] = [];
    let i = 0;
    while (i < rows.length) {
      let j = i + 1;
      while (j < rows.length && rows[j]!.timeMs === rows[i]!.timeMs && rows[j]!.takerBuy === rows[i]!.takerBuy) j++;
      if (rng.next() < keep) for (let k = i; k < j; k++) kept.push(rows[k]!);
      i = j;
    }
    out.set(symbol, kept);
  }
  return out;
}

/** One symbol's trades as an aggTrades CSV with the dumps' header (aggregate id = trade id). */
export function toAggTradesCsv(rows: readonly Trade[]): string {
  const lines = ['agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker,is_best_match'];
  for (const t of rows) lines.push(`${t.id},${t.price},${t.quantity},${t.id},${t.id},${t.timeMs},${t.takerBuy ? 'False' : 'True'},True`);
  return lines.join('\n') + '\n';
}
