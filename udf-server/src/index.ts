// The scoring core's API, re-exported for the sidecar's own users; the sidecar's Scorer (below)
// adds the wire request (Arrow trades) to the core's.
export {
  ValidationError,
  type ValidationReason,
  type BookSummary,
  type KeyState,
  type TradeColumns,
  applyMarketContext,
  readModelDir,
  type ScoredBundle,
  type ScoreDiagnostics,
} from '@crypto-anomaly/scoring';
export * from './config.js';
export * from './wire.js';
export * from './arrow.js';
export * from './scorer.js';
export * from './metrics.js';
export * from './service.js';
export * from './server.js';
export * from './synthetic.js';
