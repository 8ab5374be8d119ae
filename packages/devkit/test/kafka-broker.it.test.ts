// First: fixes kafkajs's read_committed filter before kafkajs loads (packages/common/src/kafkajs-patch.ts).
import '@crypto-anomaly/common/kafkajs-patch';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompressionTypes, Kafka, Partitioners, logLevel, type Consumer, type Producer } from 'kafkajs';
import { createLogger, silentLogger } from '@crypto-anomaly/common';
import { KafkaBroker, createTopics, isAlive, kafkajsLogCreator } from '../src/index.js';

/**
 * kafkajs 2.2.4 (the client the producer uses) against a real Kafka 4.x broker started by the
 * devkit. Kafka 4.0 removed old protocol versions (KIP-896); kafkajs negotiates versions with
 * ApiVersions, and every request it sends here must pick one the broker still accepts.
 */
const log = process.env['LOG_LEVEL'] ? createLogger('devkit-it') : silentLogger();
const TOPIC = 'it-keyed';
const KEYS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'BNBUSDT'];

let dataDir: string;
let broker: KafkaBroker;

function client(id: string): Kafka {
  return new Kafka({ clientId: id, brokers: [broker.bootstrap], logLevel: logLevel.WARN, logCreator: kafkajsLogCreator(log) });
}

function idempotentProducer(kafka: Kafka): Producer {
  return kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
}

interface Received { key: string; value: string; partition: number; offset: string }

/** Runs a read_committed consumer in `groupId` until it has `count` messages (or times out). */
async function consume(groupId: string, topic: string, count: number, timeoutMs = 30_000): Promise<Received[]> {
  const consumer: Consumer = client(`it-${groupId}`).consumer({ groupId, readUncommitted: false, maxWaitTimeInMs: 200 });
  const received: Received[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${groupId}: got ${received.length} of ${count} messages within ${timeoutMs} ms`)), timeoutMs);
      consumer
        .run({
          eachMessage: async ({ message, partition }) => {
            received.push({ key: message.key?.toString() ?? '', value: message.value?.toString() ?? '', partition, offset: message.offset });
            if (received.length >= count) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    // disconnect() commits the offsets of what eachMessage processed (autoCommit), which the
    // restart test relies on.
    await consumer.disconnect();
  }
  return received;
}

function messagesFor(batch: string, perKey: number): { key: string; value: string }[] {
  return KEYS.flatMap((key) => Array.from({ length: perKey }, (_, i) => ({ key, value: `${batch}:${key}:${i}` })));
}

/** Per key, values must come back in the order they were sent (one key = one partition). */
function assertOrderedPerKey(received: Received[], sent: { key: string; value: string }[]): void {
  for (const key of KEYS) {
    assert.deepEqual(
      received.filter((r) => r.key === key).map((r) => r.value),
      sent.filter((s) => s.key === key).map((s) => s.value),
      `messages of ${key} in send order`,
    );
    assert.equal(new Set(received.filter((r) => r.key === key).map((r) => r.partition)).size, 1, `${key} lives in one partition`);
  }
}

describe('a real Kafka 4.x broker started by the devkit', () => {
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'devkit-it-'));
    broker = await KafkaBroker.start({ dataDir, topics: [{ name: TOPIC, partitions: 3 }], logger: log });
  });

  after(async () => {
    await broker?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('it listens on 127.0.0.1 and kafkajs sees one broker that is also the controller', async () => {
    assert.match(broker.bootstrap, /^127\.0\.0\.1:\d+$/);
    assert.ok(broker.pid !== undefined && isAlive(broker.pid));
    const admin = client('it-admin').admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      assert.equal(cluster.brokers.length, 1);
      assert.equal(cluster.brokers[0]!.port, broker.port);
      assert.equal(cluster.controller, cluster.brokers[0]!.nodeId);
    } finally {
      await admin.disconnect();
    }
  });

  test('kafkajs admin creates topics with the requested partitions and leaves existing ones alone', async () => {
    const created = await broker.createTopics([{ name: 'it-created', partitions: 4 }, 'it-single', { name: TOPIC, partitions: 3 }]);
    assert.deepEqual(created.sort(), ['it-created', 'it-single'], 'the topic made at start is not created again');
    assert.deepEqual(await createTopics(broker.bootstrap, ['it-created']), [], 'the standalone helper is idempotent too');
    const admin = client('it-admin').admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: ['it-created', 'it-single', TOPIC] });
      const partitions = Object.fromEntries(topics.map((t) => [t.name, t.partitions.length]));
      assert.deepEqual(partitions, { 'it-created': 4, 'it-single': 1, [TOPIC]: 3 });
      for (const t of topics) for (const p of t.partitions) assert.equal(p.replicas.length, 1);
    } finally {
      await admin.disconnect();
    }
  });

  test('topics are not created implicitly: metadata for an unknown topic is an error', async () => {
    const admin = client('it-admin').admin();
    await admin.connect();
    try {
      await assert.rejects(admin.fetchTopicMetadata({ topics: ['it-does-not-exist'] }), /does not host this topic-partition|UNKNOWN_TOPIC/i);
      assert.ok(!(await admin.listTopics()).includes('it-does-not-exist'));
    } finally {
      await admin.disconnect();
    }
  });

  test('an idempotent producer sends keyed gzip and uncompressed batches that a read_committed group reads back in order per key', async () => {
    const producer = idempotentProducer(client('it-producer'));
    await producer.connect();
    const gzip = messagesFor('gzip', 50);
    const plain = messagesFor('plain', 50);
    try {
      await producer.send({ topic: TOPIC, compression: CompressionTypes.GZIP, messages: gzip });
      await producer.send({ topic: TOPIC, compression: CompressionTypes.None, messages: plain });
    } finally {
      await producer.disconnect();
    }
    const received = await consume('it-group', TOPIC, gzip.length + plain.length);
    assert.equal(received.length, gzip.length + plain.length);
    assertOrderedPerKey(received, [...gzip, ...plain]);
  });

  test('a transactional producer may ask for a 1 h transaction timeout and read_committed hides aborted records', async () => {
    await broker.createTopics([{ name: 'it-txn', partitions: 1 }]);
    const producer = client('it-txn').producer({
      transactionalId: 'it-txn-producer',
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: 3_600_000,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    try {
      const aborted = await producer.transaction();
      await aborted.send({ topic: 'it-txn', messages: [{ key: 'k', value: 'aborted' }] });
      await aborted.abort();
      const committed = await producer.transaction();
      await committed.send({ topic: 'it-txn', messages: [{ key: 'k', value: 'committed' }] });
      await committed.commit();
    } finally {
      await producer.disconnect();
    }
    const received = await consume('it-txn-group', 'it-txn', 1);
    assert.deepEqual(received.map((r) => r.value), ['committed']);
  });

  test('after a restart the broker has the same address, keeps all data and consumer offsets, and a connected producer carries on', async () => {
    const bootstrap = broker.bootstrap;
    const oldPid = broker.pid!;
    const producer = idempotentProducer(client('it-restart-producer'));
    await producer.connect();
    try {
      const before = messagesFor('before', 10);
      await producer.send({ topic: TOPIC, messages: before });

      await broker.restart();
      assert.equal(broker.bootstrap, bootstrap);
      assert.notEqual(broker.pid, oldPid);
      assert.ok(!isAlive(oldPid), 'the old JVM is gone');

      // The same producer object, connected before the restart, reconnects by itself.
      const afterMessages = messagesFor('after', 10);
      await producer.send({ topic: TOPIC, compression: CompressionTypes.GZIP, messages: afterMessages });

      // it-group committed the 400 messages of the earlier test: it resumes after them.
      const resumed = await consume('it-group', TOPIC, before.length + afterMessages.length);
      assertOrderedPerKey(resumed, [...before, ...afterMessages]);

      // Everything ever written is still on disk after the restart.
      const all = await consume('it-fresh-group', TOPIC, 400 + before.length + afterMessages.length);
      assert.equal(all.length, 480);
    } finally {
      await producer.disconnect();
    }
  });

  test('stop() ends the broker process: its pid is no longer alive', async () => {
    const pid = broker.pid!;
    assert.ok(isAlive(pid));
    await broker.stop();
    assert.equal(broker.pid, undefined);
    assert.ok(!isAlive(pid), `pid ${pid} must be gone after stop()`);
    await broker.stop(); // idempotent
  });
});
