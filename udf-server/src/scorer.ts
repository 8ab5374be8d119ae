/**
 * The sidecar's scorer: the scoring core (packages/scoring Scorer) behind the wire. A
 * ScoreBundleRequest's windows carry their trades as Arrow IPC bytes; they are decoded here into
 * typed columns (arrow.ts, views into the request buffer, no copy) and scored by the core, which
 * validates everything else (keys, order, bounds, state blobs) before it scores anything.
 */
import { Scorer as CoreScorer, ValidationError, type ScoredBundle, type ScoringRequest } from '@crypto-anomaly/scoring';
import { decodeTrades } from './arrow.js';
import type { ScoreBundleRequest } from './wire.js';

export class Scorer extends CoreScorer {
  /** Decodes every window's trades, then scores the bundle (a pure function of request, config and models). */
  scoreBundle(req: ScoreBundleRequest): ScoredBundle {
    // Before any decoding: an oversized request costs nothing.
    if (req.windows.length > this.limits.maxWindowsPerBundle) {
      throw new ValidationError('TOO_LARGE', `request has ${req.windows.length} windows; the limit is ${this.limits.maxWindowsPerBundle}`);
    }
    return this.score(decodeBundle(req, this.limits.maxTradesPerWindow));
  }
}

/** The wire request as the core's input: Arrow decoded (ValidationError BAD_ARROW naming the window). */
export function decodeBundle(req: ScoreBundleRequest, maxTradesPerWindow = Number.MAX_SAFE_INTEGER): ScoringRequest {
  return {
    bundleId: req.bundleId,
    states: req.states,
    windows: req.windows.map((w, i) => ({
      key: w.key,
      symbol: w.symbol,
      interval: w.interval,
      windowStartMs: w.windowStartMs,
      windowEndMs: w.windowEndMs,
      trades: decodeTrades(w.tradesArrow, `windows[${i}] (key ${w.key})`, maxTradesPerWindow),
      ...(w.book !== undefined ? { book: w.book } : {}),
    })),
  };
}
