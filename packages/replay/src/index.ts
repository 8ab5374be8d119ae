export type { RecordedMessage, Timed } from './types.js';
export { RecordingReader, readRecording, parseLine, type ReaderStats, type ReadRecordingOptions, type LineFormat, type SkipReason, type ParsedLine } from './reader.js';
export {
  mergeByEventTime,
  reorderByEventTime,
  filterStreams,
  openRecordings,
  openBundledRecording,
  bundledRecordingPaths,
  BUNDLED_RECORDING_FILES,
  BUNDLED_RECORDINGS_DIR,
  DEFAULT_REORDER_WINDOW_MS,
  type MergeOptions,
  type OpenRecordingsOptions,
} from './merge.js';
export { pace, Pacer, realClock, parseSpeed, validateSpeed, type PaceClock, type PaceOptions, type Speed } from './pace.js';
export { splitEnvelope, payloadOf, envelopeOf, makeEnvelope, isEnvelope, type EnvelopeParts } from './envelope.js';
export {
  LocalBinance,
  startLocalBinance,
  parseStreamPath,
  isValidStreamName,
  BINANCE_PING_INTERVAL_MS,
  BINANCE_PONG_TIMEOUT_MS,
  BINANCE_CONNECTION_LIFETIME_MS,
  BINANCE_MAX_STREAMS_PER_CONNECTION,
  type LocalBinanceOptions,
  type LocalBinanceStats,
  type LocalBinanceEvents,
  type ConnectionInfo,
  type DisconnectInfo,
  type CloseCause,
  type TapeSummary,
  type TapeState,
  type StreamRoute,
} from './local-binance.js';
