#!/usr/bin/env node
// First: fixes kafkajs's read_committed filter before kafkajs loads (packages/common/src/kafkajs-patch.ts).
import '@crypto-anomaly/common/kafkajs-patch';
import { randomUUID } from 'node:crypto';
import { Command, InvalidArgumentError } from 'commander';
import { Kafka, logLevel } from 'kafkajs';
import { alertCodec, DEFAULT_TOPICS } from '@crypto-anomaly/contract';
import { describeError } from '@crypto-anomaly/common';
import { formatAlertRow, formatHeader, reasonWidth, ScoredSummary } from './alert-table.js';

/**
 * crypto-alerts: a live table of the Flink job's alerts (topic `alerts`), or with --all of every
 * scored window (`scored-windows`). Reads with isolation.level=read_committed: the exactly-once
 * sinks commit on each checkpoint, so a row appears once its checkpoint completes and never
 * twice. Between alerts a status line summarises what has been scored (alerts are rare).
 */
const HEADER_EVERY_ROWS = 40;

const program = new Command('crypto-alerts')
  .description('Print alerts (or, with --all, every scored window) as a live table')
  .option('-b, --brokers <list>', 'bootstrap servers', '127.0.0.1:9092')
  .option('--all', 'every scored window (topic scored-windows), not only alerts')
  .option('--from-beginning', 'start at the earliest offset instead of new records only')
  .option('--alerts-topic <name>', 'alerts topic', DEFAULT_TOPICS.alerts)
  .option('--scored-windows-topic <name>', 'scored-windows topic', DEFAULT_TOPICS.scoredWindows)
  .option('--status-every <seconds>', 'print a summary line of scored windows this often (0 = never)', (v) => {
    if (!/^\d+$/.test(v)) throw new InvalidArgumentError('must be a non-negative integer');
    return Number(v);
  }, 15)
  .showHelpAfterError();

async function main(): Promise<void> {
  program.parse();
  const o = program.opts<{ brokers: string; all?: boolean; fromBeginning?: boolean; alertsTopic: string; scoredWindowsTopic: string; statusEvery: number }>();
  const all = o.all === true;
  const kafka = new Kafka({ clientId: 'crypto-alerts', brokers: o.brokers.split(','), logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `crypto-alerts-${randomUUID()}`, readUncommitted: false, maxWaitTimeInMs: 250 });
  const summary = new ScoredSummary();
  const out = process.stdout;
  let rows = 0;
  let lastStatus = '';
  const printRow = (line: string): void => {
    if (rows % HEADER_EVERY_ROWS === 0) out.write(`${formatHeader()}\n`);
    out.write(`${line}\n`);
    rows++;
  };
  const timer =
    o.statusEvery > 0
      ? setInterval(() => {
          const s = summary.format();
          if (s !== lastStatus) out.write(`${s}\n`);
          lastStatus = s;
        }, o.statusEvery * 1000)
      : undefined;
  const stop = async (code: number): Promise<never> => {
    if (timer !== undefined) clearInterval(timer);
    await consumer.disconnect().catch(() => undefined);
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  await consumer.connect();
  await consumer.subscribe({ topics: all ? [o.scoredWindowsTopic] : [o.alertsTopic, o.scoredWindowsTopic], fromBeginning: o.fromBeginning === true });
  out.write(`crypto-alerts: ${all ? `every scored window (${o.scoredWindowsTopic})` : `alerts (${o.alertsTopic})`} on ${o.brokers}, read_committed${o.fromBeginning === true ? ', from the beginning' : ''}\n`);
  out.write(`${formatHeader()}\n`);
  rows = 1;
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      if (message.value === null) return;
      let alert;
      try {
        alert = alertCodec.decode(message.value);
      } catch (err) {
        process.stderr.write(`crypto-alerts: undecodable record on ${topic} at offset ${message.offset}: ${describeError(err)}\n`);
        return;
      }
      const width = reasonWidth(out.isTTY ? out.columns : undefined);
      if (topic === o.scoredWindowsTopic) {
        summary.add(alert);
        if (all) printRow(formatAlertRow(alert, width));
      } else printRow(formatAlertRow(alert, width));
    },
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`crypto-alerts: ${describeError(err)}\n`);
  process.exit(1);
});
