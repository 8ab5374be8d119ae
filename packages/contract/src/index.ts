export type * from './domain.js';
export * from './codec.js';
export * from './topics.js';
// The scoring RPC's outer messages, for the gRPC adapters (sidecar server, test clients).
export {
  ScoreBundleRequestSchema,
  ScoreBundleResponseSchema,
  WindowToScoreSchema,
  BookSummarySchema,
  KeyStateSchema,
} from './gen/cryptoanomaly/v1/scoring_pb.js';
