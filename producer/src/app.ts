import { Kafka, logLevel as kafkaLogLevel, type Producer } from 'kafkajs';
import { describeError, startMetricsServer, type Logger, type MetricsServer } from '@crypto-anomaly/common';
import { aggTradeCodec, bookTickerCodec, deadLetterCodec, gapCodec, klineCodec, tradeCodec, type DeadLetter, type Gap } from '@crypto-anomaly/contract';
import { BinanceConnection, type Clock, type SocketFactory } from './connection.js';
import { combinedStreamUrl, streamNames, type ProducerConfig } from './config.js';
import { ProducerMetrics } from './metrics.js';
import { normalize } from './normalize.js';
import { BatchingPublisher, kafkajsSender, type BatchSender, type OutRecord } from './publisher.js';
import { Sequencer } from './sequencer.js';

/** Live counters for the console view and tests (the same numbers as the metrics). */
export interface ProducerStats {
  readonly in: Map<string, number>;
  readonly out: Map<string, number>;
  deadLetters: number;
  duplicates: number;
  gaps: number;
  missingIds: number;
  reconnects: number;
  rotations: number;
}

export interface ProducerDeps {
  readonly log: Logger;
  /** Overrides for tests: an in-memory sender, a fake clock and sockets. */
  readonly sender?: BatchSender;
  readonly clock?: Clock;
  readonly socketFactory?: SocketFactory;
  readonly random?: () => number;
}

/**
 * Wires the pipeline: Binance connection -> normalise/validate -> de-duplicate and find gaps ->
 * batch -> Kafka (idempotent). Bad input goes to the dead-letter topic; nothing on the data
 * path throws.
 */
export class BinanceProducer {
  readonly metrics: ProducerMetrics;
  readonly stats: ProducerStats = { in: new Map(), out: new Map(), deadLetters: 0, duplicates: 0, gaps: 0, missingIds: 0, reconnects: 0, rotations: 0 };
  private readonly connection: BinanceConnection;
  private readonly publisher: BatchingPublisher;
  private readonly sequencer: Sequencer;
  private readonly streams: ReadonlySet<string>;
  private kafkaProducer: Producer | undefined;
  private metricsServer: MetricsServer | undefined;
  /** Exchange minus local clock, from the latest event carrying `E`. */
  private clockOffsetMs = 0;
  /**
   * Book tickers carry no `E`; their event time is estimated with clockOffsetMs. Until an event
   * with `E` has measured the offset they are held back (not estimated with offset 0): an
   * estimate against the wrong clock would stamp them far from the trades, push the quote
   * watermark ahead and make every later quote late downstream. Only held when the
   * subscription has a stream that carries `E`; bounded by MAX_HELD_QUOTES.
   */
  private offsetMeasured = false;
  private readonly heldQuotes: Array<[string, number]> = [];
  private stopping: Promise<void> | undefined;

  constructor(private readonly config: ProducerConfig, private readonly deps: ProducerDeps) {
    this.metrics = new ProducerMetrics(deps.sender === undefined);
    const now = deps.clock ? () => deps.clock!.now() : Date.now;
    this.sequencer = new Sequencer(now);
    this.streams = new Set(streamNames(config));
    let sender = deps.sender;
    if (sender === undefined) {
      const kafka = new Kafka({
        clientId: config.kafka.clientId,
        brokers: [...config.kafka.brokers],
        requestTimeout: config.kafka.requestTimeoutMs,
        logLevel: kafkaLogLevel.NOTHING,
        retry: { initialRetryTime: 200, maxRetryTime: 5_000, retries: 10 },
      });
      this.kafkaProducer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      sender = kafkajsSender(this.kafkaProducer, config.kafka.compression);
    }
    this.publisher = new BatchingPublisher(sender, {
      lingerMs: config.kafka.lingerMs,
      maxBatchMessages: config.kafka.maxBatchMessages,
      maxBufferedMessages: config.kafka.maxBufferedMessages,
      log: deps.log,
      now,
      onBackpressure: (paused) => {
        deps.log.info({ paused, buffered: this.publisher.buffered }, paused ? 'Kafka is behind; pausing intake' : 'resuming intake');
        if (paused) this.connection.pause();
        else this.connection.resume();
      },
      onPublished: (records, latencies) => {
        for (let i = 0; i < records.length; i++) {
          const r = records[i]!;
          const kind = kindOfTopic(this.config, r.topic);
          this.metrics.messagesOut.inc({ symbol: r.key, kind });
          this.metrics.publishLatency.observe(latencies[i]! / 1000);
          const k = `${kind}`;
          this.stats.out.set(k, (this.stats.out.get(k) ?? 0) + 1);
        }
        this.metrics.buffered.set(this.publisher.buffered);
      },
      onSendError: () => this.metrics.publishErrors.inc(),
    });
    this.connection = new BinanceConnection(
      {
        url: combinedStreamUrl(config),
        rotateAfterMs: config.connection.rotateAfterMs,
        overlapMs: config.connection.overlapMs,
        silenceTimeoutMs: config.connection.silenceTimeoutMs,
        connectTimeoutMs: config.connection.connectTimeoutMs,
        backoff: { initialMs: config.connection.backoffInitialMs, maxMs: config.connection.backoffMaxMs, factor: 2, jitter: 1 },
        log: deps.log,
        ...(deps.clock ? { clock: deps.clock } : {}),
        ...(deps.socketFactory ? { socketFactory: deps.socketFactory } : {}),
        ...(deps.random ? { random: deps.random } : {}),
      },
      {
        onFrame: (text, at) => this.onFrame(text, at),
        onState: (s) => this.metrics.setState(s),
        onInterrupted: (reason) => {
          this.stats.reconnects++;
          this.metrics.reconnects.inc({ reason });
          this.sequencer.markReconnect();
        },
        onRotated: (why) => {
          this.stats.rotations++;
          this.metrics.rotations.inc({ why });
        },
      },
    );
  }

  get connectionState(): string {
    return this.connection.state;
  }

  get metricsPort(): number | undefined {
    return this.metricsServer?.port;
  }

  async start(): Promise<void> {
    if (this.kafkaProducer !== undefined) await this.kafkaProducer.connect();
    if (this.config.metrics.port >= 0) {
      this.metricsServer = await startMetricsServer(this.metrics.registry, this.config.metrics.port, this.config.metrics.host, () => this.connection.state !== 'stopped');
    }
    this.deps.log.info({ url: combinedStreamUrl(this.config), metricsPort: this.metricsServer?.port }, 'producer started');
    this.connection.start();
  }

  /** SIGTERM path: stop intake, flush everything buffered to Kafka, disconnect. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.connection.stop();
      this.releaseHeldQuotes();
      await this.publisher.close();
      await this.kafkaProducer?.disconnect();
      await this.metricsServer?.close();
      this.deps.log.info({ stats: summarize(this.stats) }, 'producer stopped');
    })();
    return this.stopping;
  }

  private currentFrame: { text: string; receivedAtMs: number } | undefined;

  /** The data path: never throws on data. */
  private onFrame(text: string, receivedAtMs: number): void {
    let n;
    try {
      n = normalize(text, { receivedAtMs, streams: this.streams, maxFrameBytes: this.config.connection.maxFrameBytes, clockOffsetMs: this.clockOffsetMs });
    } catch (err) {
      // normalize is total by design; this is a bug, but data must still not be lost.
      this.deps.log.error({ err: describeError(err) }, 'normaliser failed; dead-lettering the frame');
      n = { kind: 'deadLetter' as const, record: { payload: Buffer.from(text), reason: 'BAD_ENVELOPE' as const, detail: `internal error: ${describeError(err)}`, source: 'producer', stream: '', receivedAtMs, originalSizeBytes: Buffer.byteLength(text) } };
    }
    const topics = this.config.kafka.topics;
    // The frame being sequenced, for a dead letter the sequencer asks for (an implausible id).
    this.currentFrame = { text, receivedAtMs };
    switch (n.kind) {
      case 'serverShutdown':
        this.connection.serverShutdown();
        return;
      case 'deadLetter':
        this.emitDeadLetter(n.record);
        return;
      case 'trade': {
        const r = n.record;
        this.measureOffset(r.eventTimeMs, receivedAtMs);
        if (this.sequenced('trade', r.symbol, r.tradeId, r.tradeTimeMs, 'TRADE')) this.emit(topics.trades, r.symbol, tradeCodec.encode(r), tradeCodec.typeName, receivedAtMs);
        return;
      }
      case 'aggTrade': {
        const r = n.record;
        this.measureOffset(r.eventTimeMs, receivedAtMs);
        if (this.sequenced('aggTrade', r.symbol, r.aggTradeId, r.tradeTimeMs, 'AGG_TRADE')) this.emit(topics.aggTrades, r.symbol, aggTradeCodec.encode(r), aggTradeCodec.typeName, receivedAtMs);
        return;
      }
      case 'kline': {
        const r = n.record;
        this.measureOffset(r.eventTimeMs, receivedAtMs);
        if (this.sequenced(`kline_${r.interval}`, r.symbol, r.eventTimeMs, r.eventTimeMs)) this.emit(topics.klines, r.symbol, klineCodec.encode(r), klineCodec.typeName, receivedAtMs);
        return;
      }
      case 'bookTicker': {
        const r = n.record;
        if (r.eventTimeEstimated && !this.offsetMeasured && this.quotesWaitForOffset) {
          this.heldQuotes.push([text, receivedAtMs]);
          if (this.heldQuotes.length >= MAX_HELD_QUOTES) {
            this.deps.log.warn({ held: this.heldQuotes.length }, 'no event with E yet; estimating book-ticker times with the local clock');
            this.releaseHeldQuotes();
          }
          return;
        }
        if (this.sequenced('bookTicker', r.symbol, r.updateId, r.eventTimeMs)) this.emit(topics.bookTicker, r.symbol, bookTickerCodec.encode(r), bookTickerCodec.typeName, receivedAtMs);
        return;
      }
    }
  }

  /** True when some subscribed stream carries `E`, so the clock offset will be measured. */
  private get quotesWaitForOffset(): boolean {
    return this.config.streams.some((k) => k !== 'bookTicker');
  }

  private measureOffset(eventTimeMs: number, receivedAtMs: number): void {
    this.clockOffsetMs = eventTimeMs - receivedAtMs;
    if (!this.offsetMeasured) {
      this.offsetMeasured = true;
      this.releaseHeldQuotes();
    }
  }

  /** Re-runs held book tickers through the data path, now with the measured (or best) offset. */
  private releaseHeldQuotes(): void {
    this.offsetMeasured = true;
    const held = this.heldQuotes.splice(0);
    for (const [text, at] of held) this.onFrame(text, at);
  }

  private sequenced(kind: string, symbol: string, id: number, eventTimeMs: number, gapStream?: Gap['stream']): boolean {
    this.metrics.messagesIn.inc({ symbol, kind });
    this.stats.in.set(kind, (this.stats.in.get(kind) ?? 0) + 1);
    const v = this.sequencer.observe(`${kind}:${symbol}`, symbol, id, eventTimeMs, gapStream);
    if (!v.accept) {
      if (v.reason === 'implausible') {
        const frame = this.currentFrame;
        const bytes = Buffer.from(frame?.text ?? '', 'utf8');
        this.emitDeadLetter({ payload: bytes.subarray(0, this.config.connection.maxFrameBytes), reason: 'IMPLAUSIBLE_ID', detail: v.detail ?? '', source: 'producer', stream: frame !== undefined ? streamOf(frame.text) : `${symbol.toLowerCase()}@${kind}`, receivedAtMs: frame?.receivedAtMs ?? Date.now(), originalSizeBytes: bytes.length });
        return false;
      }
      this.stats.duplicates++;
      this.metrics.duplicatesDropped.inc({ symbol, kind });
      return false;
    }
    if (v.gap !== undefined) {
      const g = v.gap;
      this.stats.gaps++;
      this.stats.missingIds += g.missingCount;
      this.metrics.gaps.inc({ symbol, stream: g.stream });
      this.metrics.missingIds.inc({ symbol, stream: g.stream }, g.missingCount);
      this.deps.log.warn({ gap: g }, 'gap in id sequence');
      this.emit(this.config.kafka.topics.gaps, symbol, gapCodec.encode(g), gapCodec.typeName, g.detectedAtMs);
    }
    return true;
  }

  private emitDeadLetter(d: DeadLetter): void {
    this.stats.deadLetters++;
    this.metrics.deadLetters.inc({ reason: d.reason });
    this.deps.log.debug({ reason: d.reason, detail: d.detail }, 'dead letter');
    // Key by stream so one bad stream's letters stay in order; unknown streams share a key.
    this.emit(this.config.kafka.topics.deadLetter, d.stream || 'unknown', deadLetterCodec.encode(d), deadLetterCodec.typeName, d.receivedAtMs);
  }

  private emit(topic: string, key: string, value: Uint8Array, typeName: string, receivedAtMs: number): void {
    const record: OutRecord = { topic, key, value, typeName, receivedAtMs };
    this.publisher.publish(record);
  }
}

/** Book tickers held back while waiting for the first clock-offset measurement (a few seconds' worth). */
const MAX_HELD_QUOTES = 10_000;

function kindOfTopic(config: ProducerConfig, topic: string): string {
  const t = config.kafka.topics;
  if (topic === t.trades) return 'trade';
  if (topic === t.aggTrades) return 'aggTrade';
  if (topic === t.klines) return 'kline';
  if (topic === t.bookTicker) return 'bookTicker';
  if (topic === t.gaps) return 'gap';
  return 'deadLetter';
}

export function summarize(s: ProducerStats): Record<string, unknown> {
  return { in: Object.fromEntries(s.in), out: Object.fromEntries(s.out), deadLetters: s.deadLetters, duplicates: s.duplicates, gaps: s.gaps, missingIds: s.missingIds, reconnects: s.reconnects, rotations: s.rotations };
}

/** The combined-stream envelope's stream name of a frame that normalised (so it is JSON with one). */
function streamOf(text: string): string {
  const m = /"stream"\s*:\s*"([^"]*)"/.exec(text);
  return m === null ? '' : m[1]!;
}
