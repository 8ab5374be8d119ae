#!/usr/bin/env node
// First: fixes kafkajs's read_committed filter before kafkajs loads (packages/common/src/kafkajs-patch.ts).
import '@crypto-anomaly/common/kafkajs-patch';
import { randomUUID } from 'node:crypto';
import { Command, InvalidArgumentError } from 'commander';
import { Kafka, logLevel } from 'kafkajs';
import { codecs, type RecordKind } from '@crypto-anomaly/contract';
import { describeError } from '@crypto-anomaly/common';
import { decodeRecord, headerValue } from './decode.js';

/**
 * crypto-tail TOPIC: prints a topic's records as JSON lines (one per record), decoded with the
 * protobuf contract. Reads committed records only, so aborted transactions never show.
 */
const program = new Command('crypto-tail')
  .description('Print the records of a Kafka topic as decoded JSON lines')
  .argument('<topic>', 'topic name, e.g. raw-trades, dead-letter, trade-gaps')
  .option('-b, --brokers <list>', 'bootstrap servers', '127.0.0.1:9092')
  .option('--from-beginning', 'start at the earliest offset instead of new records only')
  .option('-n, --max <count>', 'exit after this many records', (v) => {
    if (!/^\d+$/.test(v)) throw new InvalidArgumentError('must be a positive integer');
    return Number(v);
  })
  .option('-t, --type <kind>', `record kind when the topic has no record-type header: ${Object.keys(codecs).join(', ')}`)
  .option('--key <symbol>', 'only records with this key (symbol)')
  .showHelpAfterError();

async function main(): Promise<void> {
  program.parse();
  const topic = program.args[0]!;
  const o = program.opts<{ brokers: string; fromBeginning?: boolean; max?: number; type?: string; key?: string }>();
  if (o.type !== undefined && !(o.type in codecs)) throw new Error(`--type must be one of ${Object.keys(codecs).join(', ')}`);
  const kafka = new Kafka({ clientId: 'crypto-tail', brokers: o.brokers.split(','), logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `crypto-tail-${randomUUID()}`, readUncommitted: false });
  let seen = 0;
  const stop = async (code: number): Promise<never> => {
    await consumer.disconnect().catch(() => undefined);
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: o.fromBeginning === true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const key = message.key?.toString('utf8') ?? null;
      if (o.key !== undefined && key !== o.key) return;
      const record = decodeRecord(topic, message.value, headerValue(message.headers), o.type as RecordKind | undefined);
      process.stdout.write(`${JSON.stringify({ partition, offset: message.offset, key, record })}\n`);
      if (o.max !== undefined && ++seen >= o.max) await stop(0);
    },
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`crypto-tail: ${describeError(err)}\n`);
  process.exit(1);
});
