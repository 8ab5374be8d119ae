import type { RecordKind } from './codec.js';

/**
 * Default Kafka topic names and the record kind each carries (one message type per topic,
 * key = symbol). Components take topic names from their config; these are the defaults.
 */
export const DEFAULT_TOPICS = Object.freeze({
  trades: 'raw-trades',
  aggTrades: 'raw-agg-trades',
  klines: 'raw-klines',
  bookTicker: 'book-ticker',
  gaps: 'trade-gaps',
  kline10s: 'kline-10s',
  kline1m: 'kline-1m',
  alerts: 'alerts',
  scoredWindows: 'scored-windows',
  deadLetter: 'dead-letter',
});

/** Which record kind each default topic carries; used by tools to decode a topic by name. */
export const TOPIC_RECORD_KIND: Readonly<Record<string, RecordKind>> = Object.freeze({
  'raw-trades': 'trade',
  'raw-agg-trades': 'aggTrade',
  'raw-klines': 'kline',
  'book-ticker': 'bookTicker',
  'trade-gaps': 'gap',
  'kline-10s': 'kline',
  'kline-1m': 'kline',
  'dead-letter': 'deadLetter',
  alerts: 'alert',
  'scored-windows': 'alert',
});
