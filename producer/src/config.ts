import { parseConfig, z } from '@crypto-anomaly/common';
import { DEFAULT_TOPICS } from '@crypto-anomaly/contract';

/** Stream kinds the producer understands, named as in Binance stream names (`btcusdt@aggTrade`). */
export const STREAM_KINDS = ['trade', 'aggTrade', 'kline_1m', 'bookTicker'] as const;
export type StreamKind = (typeof STREAM_KINDS)[number];

/** Binance allows at most 1024 streams on one connection. */
const MAX_STREAMS_PER_CONNECTION = 1024;
const HOUR_MS = 3_600_000;

const hostPort = z
  .string()
  .regex(/^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/, 'must be host:port')
  .refine((v) => {
    const port = Number(v.slice(v.lastIndexOf(':') + 1));
    return port >= 1 && port <= 65_535;
  }, 'the port must be 1..65535');
const topic = z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be a valid Kafka topic name');

/**
 * The producer's whole configuration. Defaults live here and nowhere else. Parsed once at
 * start-up (parseProducerConfig) and frozen; every error names the field.
 */
export const producerConfigSchema = z
  .strictObject({
    symbols: z
      .array(z.string().transform((s) => s.toUpperCase()).pipe(z.string().regex(/^[A-Z0-9]{2,20}$/, 'symbol must be letters and digits, e.g. BTCUSDT')))
      .min(1, 'at least one symbol is required'),
    streams: z.array(z.enum(STREAM_KINDS)).min(1).default(['trade', 'bookTicker']),
    /** Base URL of Binance's WebSocket market streams; `/stream?streams=...` is appended. */
    endpoint: z
      .string()
      .url()
      .refine((u) => /^wss?:\/\//.test(u), 'must be a ws:// or wss:// URL')
      .default('wss://stream.binance.com:9443'),
    kafka: z
      .strictObject({
        brokers: z.array(hostPort).min(1).default(['127.0.0.1:9092']),
        clientId: z.string().min(1).default('crypto-producer'),
        topics: z
          .strictObject({
            trades: topic.default(DEFAULT_TOPICS.trades),
            aggTrades: topic.default(DEFAULT_TOPICS.aggTrades),
            klines: topic.default(DEFAULT_TOPICS.klines),
            bookTicker: topic.default(DEFAULT_TOPICS.bookTicker),
            gaps: topic.default(DEFAULT_TOPICS.gaps),
            deadLetter: topic.default(DEFAULT_TOPICS.deadLetter),
          })
          .prefault({}),
        /** Max time a message waits in the batch buffer before a send (kafkajs has no linger). */
        lingerMs: z.number().int().min(0).max(10_000).default(20),
        /** Max messages per send request. */
        maxBatchMessages: z.number().int().min(1).max(100_000).default(5_000),
        /** Above this many buffered messages the WebSocket is paused (TCP backpressure). */
        maxBufferedMessages: z.number().int().min(100).default(200_000),
        compression: z.enum(['none', 'gzip']).default('none'),
        requestTimeoutMs: z.number().int().min(100).default(30_000),
      })
      .prefault({}),
    connection: z
      .strictObject({
        /** Open a new connection this long after connecting, before Binance's 24 h cut-off. */
        rotateAfterMs: z.number().int().min(1_000).max(24 * HOUR_MS).default(23 * HOUR_MS),
        /** During a rotation both connections run this long; duplicates are dropped by id. */
        overlapMs: z.number().int().min(0).max(600_000).default(5_000),
        /** No frame and no ping for this long: the socket is considered dead and replaced. */
        silenceTimeoutMs: z.number().int().min(100).default(60_000),
        connectTimeoutMs: z.number().int().min(100).default(10_000),
        backoffInitialMs: z.number().int().min(1).default(500),
        backoffMaxMs: z.number().int().min(1).default(30_000),
        /** Frames larger than this go to the dead-letter topic (truncated) instead of parsing. */
        maxFrameBytes: z.number().int().min(256).max(16 * 1024 * 1024).default(64 * 1024),
      })
      .prefault({})
      .refine((c) => c.backoffMaxMs >= c.backoffInitialMs, { message: 'backoffMaxMs must be >= backoffInitialMs', path: ['backoffMaxMs'] }),
    metrics: z
      .strictObject({
        /** Port of the Prometheus /metrics endpoint; 0 picks a free port; -1 disables it. */
        port: z.number().int().min(-1).max(65_535).default(9464),
        host: z.string().default('127.0.0.1'),
      })
      .prefault({}),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('warn'),
  })
  .refine((c) => c.symbols.length * c.streams.length <= MAX_STREAMS_PER_CONNECTION, {
    message: `symbols x streams must be <= ${MAX_STREAMS_PER_CONNECTION} (Binance's per-connection limit)`,
    path: ['symbols'],
  });

export type ProducerConfig = Readonly<z.output<typeof producerConfigSchema>>;
export type ProducerConfigInput = z.input<typeof producerConfigSchema>;

export function parseProducerConfig(input: unknown): ProducerConfig {
  return parseConfig(producerConfigSchema, input, 'producer');
}

/** Stream names in Binance's spelling for the combined-stream URL, e.g. "btcusdt@trade". */
export function streamNames(config: Pick<ProducerConfig, 'symbols' | 'streams'>): string[] {
  return config.symbols.flatMap((s) => config.streams.map((k) => `${s.toLowerCase()}@${k}`));
}

export function combinedStreamUrl(config: Pick<ProducerConfig, 'symbols' | 'streams' | 'endpoint'>): string {
  return `${config.endpoint.replace(/\/+$/, '')}/stream?streams=${streamNames(config).join('/')}`;
}
