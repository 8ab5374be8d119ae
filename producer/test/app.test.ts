import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '@crypto-anomaly/common';
import { bookTickerCodec, deadLetterCodec, gapCodec, tradeCodec } from '@crypto-anomaly/contract';
import { BinanceProducer } from '../src/app.js';
import { parseProducerConfig } from '../src/config.js';
import type { BatchSender, TopicBatch } from '../src/publisher.js';
import { FakeClock, fakeSockets, tradeFrame } from './fakes.js';

const HOUR = 3_600_000;

class MemorySender implements BatchSender {
  readonly topics = new Map<string, Buffer[]>();
  async sendBatch(batches: readonly TopicBatch[]): Promise<void> {
    for (const b of batches) {
      const list = this.topics.get(b.topic) ?? [];
      list.push(...b.messages.map((m) => m.value));
      this.topics.set(b.topic, list);
    }
  }
}

function setup() {
  const clock = new FakeClock();
  const { factory, sockets } = fakeSockets();
  const sender = new MemorySender();
  const config = parseProducerConfig({
    symbols: ['BTCUSDT'],
    streams: ['trade'],
    endpoint: 'ws://binance.test',
    metrics: { port: -1 },
    connection: { rotateAfterMs: HOUR, overlapMs: 1_000, silenceTimeoutMs: 3 * HOUR },
  });
  const producer = new BinanceProducer(config, { log: silentLogger(), sender, clock, socketFactory: factory, random: () => 0 });
  return { clock, sockets, sender, producer };
}

const tradeIds = (sender: MemorySender): number[] => (sender.topics.get('raw-trades') ?? []).map((b) => tradeCodec.decode(b).tradeId);

test('a rotation overlap delivers every trade exactly once', async () => {
  const { clock, sockets, sender, producer } = setup();
  await producer.start();
  sockets[0]!.open();
  for (let id = 1; id <= 10; id++) sockets[0]!.send(tradeFrame('BTCUSDT', id));
  clock.advance(HOUR);
  sockets[1]!.open();
  // Both sockets carry trades 11..15 during the overlap; the new one also gets 16.
  for (let id = 11; id <= 15; id++) {
    sockets[0]!.send(tradeFrame('BTCUSDT', id));
    sockets[1]!.send(tradeFrame('BTCUSDT', id));
  }
  sockets[1]!.send(tradeFrame('BTCUSDT', 16));
  clock.advance(1_000);
  sockets[1]!.send(tradeFrame('BTCUSDT', 17));
  await producer.stop();
  assert.deepEqual(tradeIds(sender), Array.from({ length: 17 }, (_, i) => i + 1));
  assert.equal(producer.stats.duplicates, 5);
  assert.equal(producer.stats.rotations, 1);
  assert.equal(sender.topics.get('trade-gaps'), undefined);
});

test('a dropped socket leads to a reconnect and a Gap record naming the hole', async () => {
  const { clock, sockets, sender, producer } = setup();
  await producer.start();
  sockets[0]!.open();
  for (let id = 1; id <= 5; id++) sockets[0]!.send(tradeFrame('BTCUSDT', id));
  sockets[0]!.serverClose(1006);
  clock.advance(1_000);
  sockets[1]!.open();
  for (let id = 9; id <= 10; id++) sockets[1]!.send(tradeFrame('BTCUSDT', id));
  await producer.stop();
  assert.deepEqual(tradeIds(sender), [1, 2, 3, 4, 5, 9, 10]);
  const gaps = (sender.topics.get('trade-gaps') ?? []).map((b) => gapCodec.decode(b));
  assert.equal(gaps.length, 1);
  assert.deepEqual([gaps[0]!.firstMissingId, gaps[0]!.lastMissingId, gaps[0]!.missingCount, gaps[0]!.acrossReconnect], [6, 8, 3, true]);
  assert.equal(producer.stats.reconnects, 1);
});

test('bad frames go to the dead-letter topic with a reason and the process carries on', async () => {
  const { sockets, sender, producer } = setup();
  await producer.start();
  sockets[0]!.open();
  sockets[0]!.send('not json at all');
  sockets[0]!.send(tradeFrame('BTCUSDT', 1).replace('"61685.99000000"', '"-3"'));
  sockets[0]!.send(tradeFrame('BTCUSDT', 2));
  await producer.stop();
  const letters = (sender.topics.get('dead-letter') ?? []).map((b) => deadLetterCodec.decode(b));
  assert.deepEqual(letters.map((l) => l.reason), ['NOT_JSON', 'NON_POSITIVE_VALUE']);
  assert.deepEqual(tradeIds(sender), [2]);
  assert.equal(producer.stats.deadLetters, 2);
  const metrics = await producer.metrics.registry.metrics();
  assert.match(metrics, /producer_dead_letters_total\{reason="NOT_JSON",component="producer"\} 1/);
});

test('a serverShutdown event makes the producer move to a new connection', async () => {
  const { sockets, producer } = setup();
  await producer.start();
  sockets[0]!.open();
  sockets[0]!.send('{"e":"serverShutdown","E":1}');
  assert.equal(sockets.length, 2);
  await producer.stop();
});

test('book tickers that arrive before any event with E wait for the clock offset instead of being stamped with the local clock', async () => {
  const clock = new FakeClock();
  const { factory, sockets } = fakeSockets();
  const sender = new MemorySender();
  const config = parseProducerConfig({ symbols: ['BTCUSDT'], streams: ['trade', 'bookTicker'], endpoint: 'ws://binance.test', metrics: { port: -1 } });
  const producer = new BinanceProducer(config, { log: silentLogger(), sender, clock, socketFactory: factory });
  await producer.start();
  sockets[0]!.open();
  const quote = (u: number): string =>
    JSON.stringify({ stream: 'btcusdt@bookTicker', data: { u, s: 'BTCUSDT', b: '61685.99', B: '1.0', a: '61686.00', A: '2.0' } });
  sockets[0]!.send(quote(1));
  sockets[0]!.send(quote(2));
  // The recording's exchange clock is far from ours: the first trade measures the offset.
  const exchangeTime = clock.now() - 2 * 365 * 24 * HOUR;
  sockets[0]!.send(tradeFrame('BTCUSDT', 1, exchangeTime));
  sockets[0]!.send(quote(3));
  await producer.stop();
  const quotes = (sender.topics.get('book-ticker') ?? []).map((b) => bookTickerCodec.decode(b));
  assert.deepEqual(quotes.map((q) => q.updateId), [1, 2, 3], 'nothing lost, order kept');
  for (const q of quotes) assert.ok(Math.abs(q.eventTimeMs - exchangeTime) < 1_000, `quote ${q.updateId} stamped ${q.eventTimeMs}, trade at ${exchangeTime}`);
});

test('a trade id far ahead is dead-lettered as IMPLAUSIBLE_ID and the market keeps flowing (issue 12)', async () => {
  const { sockets, sender, producer } = setup();
  await producer.start();
  sockets[0]!.open();
  for (let id = 1; id <= 5; id++) sockets[0]!.send(tradeFrame('BTCUSDT', id));
  sockets[0]!.send(tradeFrame('BTCUSDT', 2 ** 53 - 1, 1_723_161_601_006));
  for (let id = 6; id <= 8; id++) sockets[0]!.send(tradeFrame('BTCUSDT', id));
  await producer.stop();
  assert.deepEqual(tradeIds(sender), [1, 2, 3, 4, 5, 6, 7, 8]);
  const letters = (sender.topics.get('dead-letter') ?? []).map((b) => deadLetterCodec.decode(b));
  assert.equal(letters.length, 1);
  assert.equal(letters[0]!.reason, 'IMPLAUSIBLE_ID');
  assert.equal(letters[0]!.stream, 'btcusdt@trade');
  assert.match(letters[0]!.detail, /ahead of the last \(5\)/);
});
