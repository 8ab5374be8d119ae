import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '@crypto-anomaly/common';
import { BatchingPublisher, type BatchSender, type TopicBatch } from '../src/publisher.js';

/** In-memory Kafka: records batches; can be told to fail the next N sends. */
class MemorySender implements BatchSender {
  readonly sent: TopicBatch[][] = [];
  failNext = 0;
  async sendBatch(batches: readonly TopicBatch[]): Promise<void> {
    await new Promise((r) => setImmediate(r));
    if (this.failNext > 0) {
      this.failNext--;
      throw Object.assign(new Error('broker unavailable'), { retriable: true });
    }
    this.sent.push([...batches]);
  }
  keys(): string[] {
    return this.sent.flat().flatMap((b) => b.messages.map((m) => m.value.toString()));
  }
}

const rec = (i: number, topic = 'raw-trades') => ({ topic, key: 'BTCUSDT', value: Buffer.from(String(i)), typeName: 'cryptoanomaly.v1.Trade', receivedAtMs: 0 });
const opts = { lingerMs: 5, maxBatchMessages: 100, maxBufferedMessages: 1_000, log: silentLogger(), retryDelayMs: () => 1 };

test('records are batched up to the batch size and sent in order', async () => {
  const sender = new MemorySender();
  const p = new BatchingPublisher(sender, opts);
  for (let i = 0; i < 250; i++) p.publish(rec(i));
  await p.flush();
  assert.deepEqual(sender.keys(), Array.from({ length: 250 }, (_, i) => String(i)));
  assert.ok(sender.sent.length >= 3);
  assert.ok(sender.sent.every((b) => b.reduce((n, t) => n + t.messages.length, 0) <= 100));
});

test('a lone record is sent after the linger time without an explicit flush', async () => {
  const sender = new MemorySender();
  const p = new BatchingPublisher(sender, opts);
  p.publish(rec(1));
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(sender.keys(), ['1']);
});

test('a failed send is retried with the same records: nothing lost, nothing doubled', async () => {
  const sender = new MemorySender();
  sender.failNext = 3;
  const errors: number[] = [];
  const p = new BatchingPublisher(sender, { ...opts, onSendError: (_e, attempt) => errors.push(attempt) });
  for (let i = 0; i < 150; i++) p.publish(rec(i));
  await p.flush();
  assert.deepEqual(errors, [0, 1, 2]);
  assert.deepEqual(sender.keys(), Array.from({ length: 150 }, (_, i) => String(i)));
});

test('backpressure is signalled above the buffer limit and released below half of it', async () => {
  const sender = new MemorySender();
  sender.failNext = 2;
  const signals: boolean[] = [];
  const p = new BatchingPublisher(sender, { ...opts, maxBufferedMessages: 200, onBackpressure: (b) => signals.push(b) });
  for (let i = 0; i < 400; i++) p.publish(rec(i));
  assert.deepEqual(signals, [true]);
  await p.flush();
  assert.deepEqual(signals, [true, false]);
});

test('records for several topics travel in one request, grouped by topic', async () => {
  const sender = new MemorySender();
  const p = new BatchingPublisher(sender, opts);
  p.publish(rec(1, 'raw-trades'));
  p.publish(rec(2, 'book-ticker'));
  p.publish(rec(3, 'raw-trades'));
  await p.flush();
  assert.equal(sender.sent.length, 1);
  assert.deepEqual(sender.sent[0]!.map((b) => [b.topic, b.messages.length]), [['raw-trades', 2], ['book-ticker', 1]]);
  assert.equal(sender.sent[0]![0]!.messages[0]!.headers['record-type'], 'cryptoanomaly.v1.Trade');
});
