#!/usr/bin/env node
/**
 * Producer benchmark (not a test): the bundled real recording replayed as fast as possible
 * through the local Binance WebSocket server -> producer -> a real Kafka broker. Prints
 * sustained messages/s (trades + book tickers, acknowledged by Kafka) per run and the median,
 * and writes them as JSON (var/bench/producer.json) so runs can be compared as ratios.
 * Usage: node producer/dist/src/bench.js [--runs 3] [--out var/bench/producer.json]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { cpus } from 'node:os';
import { Command } from 'commander';
import { silentLogger } from '@crypto-anomaly/common';
import { KafkaBroker } from '@crypto-anomaly/devkit';
import { startLocalBinance } from '@crypto-anomaly/replay';
import { BinanceProducer } from './app.js';
import { parseProducerConfig } from './config.js';

const root = resolve(dirname(new URL(import.meta.url).pathname), '../../..');
const program = new Command('producer-bench')
  .option('--runs <n>', 'number of runs', '3')
  .option('--out <file>', 'JSON output', join(root, 'var/bench/producer.json'))
  .parse();
const opts = program.opts<{ runs: string; out: string }>();

interface Run { messages: number; trades: number; seconds: number; messagesPerSecond: number; p99PublishLatencyMs: number }

async function oneRun(broker: KafkaBroker, i: number): Promise<Run> {
  const s = `${Date.now().toString(36)}-${i}`;
  const topics = { trades: `bench-trades-${s}`, aggTrades: `bench-agg-${s}`, klines: `bench-klines-${s}`, bookTicker: `bench-book-${s}`, gaps: `bench-gaps-${s}`, deadLetter: `bench-dlq-${s}` };
  await broker.createTopics(Object.values(topics).map((name) => ({ name, partitions: 3 })));
  const binance = await startLocalBinance({ speed: 'max', logger: silentLogger() });
  const config = parseProducerConfig({
    symbols: ['BTCUSDT', 'ETHUSDT'],
    streams: ['trade', 'bookTicker'],
    endpoint: binance.url,
    kafka: { brokers: [broker.bootstrap], topics },
    metrics: { port: -1 },
  });
  const producer = new BinanceProducer(config, { log: silentLogger() });
  await producer.start();
  const started = performance.now();
  const summary = await binance.tapeFinished;
  const sent = summary.messages;
  const outTotal = (): number => [...producer.stats.out.values()].reduce((a, b) => a + b, 0);
  const inTotal = (): number => [...producer.stats.in.values()].reduce((a, b) => a + b, 0);
  while (outTotal() < inTotal() || inTotal() === 0) await new Promise((r) => setTimeout(r, 5));
  const seconds = (performance.now() - started) / 1000;
  const messages = outTotal();
  const p99 = await producer.metrics.publishLatency.get();
  await producer.stop();
  await binance.close();
  const buckets = p99.values.filter((v) => v.metricName?.endsWith('_bucket'));
  const count = p99.values.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
  const le = buckets.find((b) => b.value >= 0.99 * count)?.labels['le'];
  process.stderr.write(`run ${i + 1}: ${messages} messages (${sent} on the tape incl. unsubscribed streams) in ${seconds.toFixed(2)} s\n`);
  return {
    messages,
    trades: producer.stats.out.get('trade') ?? 0,
    seconds,
    messagesPerSecond: messages / seconds,
    p99PublishLatencyMs: le === undefined || le === '+Inf' ? Number.NaN : Number(le) * 1000,
  };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'producer-bench-'));
  process.stderr.write('starting Kafka broker...\n');
  const broker = await KafkaBroker.start({ dataDir });
  const runs: Run[] = [];
  try {
    for (let i = 0; i < Number(opts.runs); i++) runs.push(await oneRun(broker, i));
  } finally {
    await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const sorted = runs.map((r) => r.messagesPerSecond).sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const result = { benchmark: 'producer', at: new Date().toISOString(), cpus: cpus().length, node: process.version, medianMessagesPerSecond: median, runs };
  mkdirSync(dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`producer: ${median.toFixed(0)} messages/s sustained into Kafka (median of ${runs.length}; p99 publish latency ${runs.map((r) => r.p99PublishLatencyMs).join('/')} ms upper bucket) -> ${opts.out}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
