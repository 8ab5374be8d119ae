import { CompressionTypes, type Producer } from 'kafkajs';
import { describeError, type Logger } from '@crypto-anomaly/common';
import { RECORD_TYPE_HEADER } from '@crypto-anomaly/contract';

/** One Kafka record as the publisher sees it: bytes, key = symbol. */
export interface OutRecord {
  readonly topic: string;
  readonly key: string;
  readonly value: Uint8Array;
  readonly typeName: string;
  /** Local receive time of the source frame, for the publish-latency histogram. */
  readonly receivedAtMs: number;
}

export interface TopicBatch {
  readonly topic: string;
  readonly messages: ReadonlyArray<{ key: string; value: Buffer; headers: Record<string, string> }>;
}

/** The port the publisher sends through: kafkajs in production, an in-memory fake in unit tests. */
export interface BatchSender {
  sendBatch(batches: readonly TopicBatch[]): Promise<void>;
}

export function kafkajsSender(producer: Producer, compression: 'none' | 'gzip'): BatchSender {
  return {
    async sendBatch(batches) {
      await producer.sendBatch({
        topicMessages: batches.map((b) => ({ topic: b.topic, messages: b.messages as Array<{ key: string; value: Buffer; headers: Record<string, string> }> })),
        acks: -1,
        compression: compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
      });
    },
  };
}

export interface PublisherOptions {
  readonly lingerMs: number;
  readonly maxBatchMessages: number;
  /** Above this many buffered records `onBackpressure(true)` is called; below half, `(false)`. */
  readonly maxBufferedMessages: number;
  readonly log: Logger;
  readonly now?: () => number;
  readonly onBackpressure?: (paused: boolean) => void;
  readonly onPublished?: (records: readonly OutRecord[], latenciesMs: readonly number[]) => void;
  readonly onSendError?: (err: unknown, attempt: number) => void;
  /** Delay before re-sending a failed batch; the producer's own retries come first. */
  readonly retryDelayMs?: (attempt: number) => number;
}

/**
 * Batches records (kafkajs has no linger of its own) and sends one batch at a time, so
 * per-key order is kept and a failed batch is re-sent as is. Re-sending through the same
 * idempotent producer keeps its sequence numbers, so the broker drops a batch it already
 * appended: a broker restart loses nothing and duplicates nothing. Nothing is ever dropped
 * here: while the broker is away records accumulate and the intake is paused.
 */
export class BatchingPublisher {
  private buffer: OutRecord[] = [];
  private inFlight: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private backpressured = false;
  private closed = false;
  private readonly now: () => number;

  constructor(private readonly sender: BatchSender, private readonly opts: PublisherOptions) {
    this.now = opts.now ?? Date.now;
  }

  get buffered(): number {
    return this.buffer.length;
  }

  publish(record: OutRecord): void {
    if (this.closed) throw new Error('publisher is closed');
    this.buffer.push(record);
    if (!this.backpressured && this.buffer.length >= this.opts.maxBufferedMessages) {
      this.backpressured = true;
      this.opts.onBackpressure?.(true);
    }
    if (this.buffer.length >= this.opts.maxBatchMessages) this.kick();
    else if (this.timer === undefined) this.timer = setTimeout(() => this.kick(), this.opts.lingerMs);
  }

  /** Sends everything buffered and waits for it. */
  async flush(): Promise<void> {
    while (this.buffer.length > 0 || this.inFlight !== undefined) {
      this.kick();
      await this.inFlight;
    }
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
  }

  private kick(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.inFlight !== undefined || this.buffer.length === 0) return;
    const batch = this.buffer.splice(0, this.opts.maxBatchMessages);
    this.inFlight = this.sendWithRetry(batch).finally(() => {
      this.inFlight = undefined;
      if (this.backpressured && this.buffer.length <= this.opts.maxBufferedMessages / 2) {
        this.backpressured = false;
        this.opts.onBackpressure?.(false);
      }
      if (this.buffer.length >= this.opts.maxBatchMessages) this.kick();
      else if (this.buffer.length > 0 && this.timer === undefined) this.timer = setTimeout(() => this.kick(), this.opts.lingerMs);
    });
  }

  private async sendWithRetry(batch: OutRecord[]): Promise<void> {
    const byTopic = new Map<string, Array<{ key: string; value: Buffer; headers: Record<string, string> }>>();
    for (const r of batch) {
      let list = byTopic.get(r.topic);
      if (list === undefined) byTopic.set(r.topic, (list = []));
      list.push({ key: r.key, value: Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength), headers: { [RECORD_TYPE_HEADER]: r.typeName } });
    }
    const batches = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
    for (let attempt = 0; ; attempt++) {
      try {
        await this.sender.sendBatch(batches);
        break;
      } catch (err) {
        // Never drop: keep re-sending the same batch. The idempotent producer de-duplicates.
        this.opts.onSendError?.(err, attempt);
        this.opts.log.warn({ attempt, err: describeError(err), records: batch.length }, 'publish failed; retrying');
        const delay = this.opts.retryDelayMs?.(attempt) ?? Math.min(5_000, 200 * 2 ** attempt);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
    const now = this.now();
    this.opts.onPublished?.(batch, batch.map((r) => now - r.receivedAtMs));
  }
}
