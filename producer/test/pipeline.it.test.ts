// First: fixes kafkajs's read_committed filter before kafkajs loads (packages/common/src/kafkajs-patch.ts).
import '@crypto-anomaly/common/kafkajs-patch';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, silentLogger } from '@crypto-anomaly/common';
import { gapCodec, tradeCodec, type Gap, type Trade } from '@crypto-anomaly/contract';
import { KafkaBroker } from '@crypto-anomaly/devkit';
import { bundledRecordingPaths, openRecordings, startLocalBinance, type LocalBinance } from '@crypto-anomaly/replay';
import { BinanceProducer } from '../src/app.js';
import { parseProducerConfig, type ProducerConfig } from '../src/config.js';
import { readTopic, uniqueSuffix, waitFor } from './it-helpers.js';

/**
 * Integration on real parts: the local Binance WebSocket server replays the bundled real
 * recording -> the producer -> a real Kafka 4.x broker -> a read_committed consumer.
 */
const SYMBOLS = ['BTCUSDT', 'ETHUSDT'];
/** The bundled 11 minutes: 9,757 + 10,147 BTCUSDT and 6,106 + 8,409 ETHUSDT trades (SOURCE.md). */
const BUNDLED_TRADE_COUNT = 34_419;
const SECOND_DAY = bundledRecordingPaths().filter((p) => p.includes('20240809'));
const log = process.env['LOG_LEVEL'] ? createLogger('it') : silentLogger();

let broker: KafkaBroker;
let dataDir: string;

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'producer-it-'));
  broker = await KafkaBroker.start({ dataDir });
});

after(async () => {
  await broker?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function topicsFor(): Promise<ProducerConfig['kafka']['topics']> {
  const s = uniqueSuffix();
  const topics = { trades: `raw-trades-${s}`, aggTrades: `raw-agg-trades-${s}`, klines: `raw-klines-${s}`, bookTicker: `book-ticker-${s}`, gaps: `trade-gaps-${s}`, deadLetter: `dead-letter-${s}` };
  await broker.createTopics(Object.values(topics).map((name) => ({ name, partitions: 2 })));
  return topics;
}

function producerConfig(binance: LocalBinance, topics: ProducerConfig['kafka']['topics']): ProducerConfig {
  return parseProducerConfig({
    symbols: SYMBOLS,
    streams: ['trade', 'bookTicker'],
    endpoint: binance.url,
    kafka: { brokers: [broker.bootstrap], topics, requestTimeoutMs: 5_000 },
    connection: { backoffInitialMs: 50, backoffMaxMs: 500, silenceTimeoutMs: 5_000 },
    metrics: { port: -1 },
  });
}

/** Asserts per symbol: ids strictly increasing, and received ids plus gap ranges cover [min, max] exactly once. */
function assertCompleteOnce(trades: Trade[], gaps: Gap[]): { missing: number } {
  let missing = 0;
  for (const symbol of SYMBOLS) {
    const ids = trades.filter((t) => t.symbol === symbol).map((t) => t.tradeId);
    assert.ok(ids.length > 0, `no trades for ${symbol}`);
    for (let i = 1; i < ids.length; i++) assert.ok(ids[i]! > ids[i - 1]!, `${symbol}: id ${ids[i]} after ${ids[i - 1]} (duplicate or out of order)`);
    const holes = gaps.filter((g) => g.symbol === symbol);
    const covered = ids.length + holes.reduce((n, g) => n + g.missingCount, 0);
    assert.equal(covered, ids[ids.length - 1]! - ids[0]! + 1, `${symbol}: received + gap-reported ids must cover the range exactly`);
    for (const g of holes) for (let id = g.firstMissingId; id <= g.lastMissingId; id++) assert.ok(!ids.includes(id), `gap names id ${id} that was received`);
    missing += holes.reduce((n, g) => n + g.missingCount, 0);
  }
  return { missing };
}

describe('producer on a real Kafka broker', () => {
  test('every trade of the bundled 11-minute recording arrives exactly once, in trade-id order per symbol', async () => {
    const topics = await topicsFor();
    const binance = await startLocalBinance({ speed: 'max', logger: log });
    const producer = new BinanceProducer(producerConfig(binance, topics), { log });
    try {
      await producer.start();
      await binance.tapeFinished;
      await waitFor('all trades published', () => (producer.stats.out.get('trade') ?? 0) >= BUNDLED_TRADE_COUNT, 60_000);
    } finally {
      await producer.stop();
      await binance.close();
    }
    const trades = (await readTopic(broker.bootstrap, topics.trades, { atLeast: BUNDLED_TRADE_COUNT })).map((b) => tradeCodec.decode(b));
    assert.equal(trades.length, BUNDLED_TRADE_COUNT);
    assertCompleteOnce(trades, []);
    assert.equal(producer.stats.gaps, 0);
    assert.equal(producer.stats.deadLetters, 0);
    // Independent count from the files themselves.
    let recorded = 0;
    for await (const m of openRecordings(bundledRecordingPaths(), { streams: ['btcusdt@trade', 'ethusdt@trade'] })) if (m.stream.endsWith('@trade')) recorded++;
    assert.equal(recorded, BUNDLED_TRADE_COUNT);
  });

  test('when the server drops the socket mid-stream the producer reconnects and a Gap record names every missing trade', async () => {
    const topics = await topicsFor();
    const binance = await startLocalBinance({ speed: 40, source: SECOND_DAY, logger: log });
    const producer = new BinanceProducer(producerConfig(binance, topics), { log });
    try {
      await producer.start();
      await waitFor('2,000 trades in', () => (producer.stats.in.get('trade') ?? 0) >= 2_000, 30_000);
      binance.dropConnections();
      await waitFor('a reconnect', () => producer.stats.reconnects >= 1 && producer.connectionState === 'live', 10_000);
      await binance.tapeFinished;
    } finally {
      await producer.stop();
      await binance.close();
    }
    const trades = (await readTopic(broker.bootstrap, topics.trades, { atLeast: 1 })).map((b) => tradeCodec.decode(b));
    const gaps = (await readTopic(broker.bootstrap, topics.gaps, { atLeast: 0, quietMs: 500 })).map((b) => gapCodec.decode(b));
    const { missing } = assertCompleteOnce(trades, gaps);
    assert.ok(gaps.every((g) => g.acrossReconnect), 'holes are attributed to the reconnect');
    assert.equal(missing, producer.stats.missingIds);
  });

  test('a broker restart mid-stream loses no trade and duplicates none', async () => {
    const topics = await topicsFor();
    const binance = await startLocalBinance({ speed: 40, source: SECOND_DAY, logger: log });
    const producer = new BinanceProducer(producerConfig(binance, topics), { log });
    const expected = 10_147 + 8_409;
    try {
      await producer.start();
      await waitFor('2,000 trades published', () => (producer.stats.out.get('trade') ?? 0) >= 2_000, 30_000);
      // Controlled shutdown, a new JVM on the same ports and data: seconds without a broker.
      await broker.restart();
      await binance.tapeFinished;
      await waitFor('all trades published', () => (producer.stats.out.get('trade') ?? 0) >= expected, 90_000);
    } finally {
      await producer.stop();
      await binance.close();
    }
    const trades = (await readTopic(broker.bootstrap, topics.trades, { atLeast: expected })).map((b) => tradeCodec.decode(b));
    assert.equal(trades.length, expected);
    assertCompleteOnce(trades, []);
    assert.equal(producer.stats.reconnects, 0, 'the WebSocket side never noticed');
  });

  test('the CLI exits 0 on SIGTERM after flushing, and 2 with the field named on bad config', async () => {
    const topics = await topicsFor();
    const binance = await startLocalBinance({ speed: 20, source: SECOND_DAY, logger: log });
    const cli = new URL('../src/cli.js', import.meta.url).pathname;
    const run = (args: string[]) => {
      const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      return { child, exited, stderr: () => stderr };
    };
    try {
      const bad = run(['--symbols', 'BTC-USDT', '--metrics-port', '-1']);
      assert.equal(await bad.exited, 2);
      assert.match(bad.stderr(), /symbols\.0: symbol must be letters and digits/);

      const config = { kafka: { topics } };
      const cfgPath = join(dataDir, `cfg-${uniqueSuffix()}.json`);
      (await import('node:fs')).writeFileSync(cfgPath, JSON.stringify(config));
      const good = run(['--config', cfgPath, '--symbols', SYMBOLS.join(','), '--endpoint', binance.url, '--brokers', broker.bootstrap, '--metrics-port', '-1']);
      await waitFor('the producer to connect', () => binance.connections >= 1, 20_000);
      await new Promise((r) => setTimeout(r, 1_500));
      good.child.kill('SIGTERM');
      assert.equal(await good.exited, 0);
      const summary = JSON.parse(good.stderr().trim().split('\n').filter((l) => l.includes('"event":"stopped"')).pop()!) as { in: Record<string, number>; out: Record<string, number> };
      assert.ok((summary.in['trade'] ?? 0) > 0, 'some trades flowed');
      assert.equal(summary.out['trade'], summary.in['trade'], 'everything received was flushed to Kafka before exit');
    } finally {
      await binance.close();
    }
  });
});
