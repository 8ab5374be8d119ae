// First: fixes kafkajs's read_committed filter before kafkajs loads (packages/common/src/kafkajs-patch.ts).
import '@crypto-anomaly/common/kafkajs-patch';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, silentLogger } from '@crypto-anomaly/common';
import { alertCodec, klineCodec, type Alert, type Kline } from '@crypto-anomaly/contract';
import { KafkaBroker } from '@crypto-anomaly/devkit';
import { BinanceProducer, parseProducerConfig } from '@crypto-anomaly/producer';
import { openBundledRecording, startLocalBinance, type RecordedMessage } from '@crypto-anomaly/replay';
import { ensureModels, FlinkJob, latestCheckpointIn, Sidecar } from '../src/index.js';
import {
  TopicCollector,
  canonicalJson,
  expectedKlines,
  klineKey,
  multiset,
  recordedTrades,
  snapshotUdfServer,
  toE8,
  uniqueSuffix,
  waitFor,
  withSpike,
  writeRecords,
  type ExpectedKline,
  type RawRecord,
  type Spike,
} from './e2e-helpers.js';

/**
 * The whole pipeline on real parts, on loopback: the bundled real recording (with one injected
 * price spike) -> local Binance WebSocket -> producer -> a real Kafka 4.x broker -> the Flink job
 * on a MiniCluster (its own JVM, run-local.sh) -> gRPC -> the udf-server sidecar (its own
 * process) -> exactly-once `alerts` / `scored-windows`, read with read_committed.
 *
 * Determinism: the producer first preloads one single-partition input topic at max speed; each
 * job run then reads that finite content (or a copy written in phases). With one partition the
 * final watermark is (newest trade time − out-of-orderness − 1), so exactly the windows ending
 * at or before newest − 2 s close, in every run, however the input was timed. Scoring is a pure
 * function of (window, chained state, config), so every run must produce the same set of
 * results as the uninterrupted baseline: recovery may neither lose nor repeat one.
 */
const SYMBOLS = ['BTCUSDT', 'ETHUSDT'];
const OUT_OF_ORDERNESS_MS = 2_000;
const CHECKPOINT_INTERVAL = '1s';
/** Spike: BTCUSDT prices × 1.03 for 6 s across a 10 s window boundary, 7.5 min into the tape (after the 30-window warm-up). */
const SPIKE_FACTOR = 1.03;
const SPIKE_AFTER_MS = 7.5 * 60_000;
const SPIKE_LENGTH_MS = 6_000;
/** Market-wide crash: BOTH symbols × 0.97 for 6 s across a later window boundary (typed by the job's market-context stage). */
const CRASH_FACTOR = 0.97;
const CRASH_AFTER_MS = 9.5 * 60_000;
const RUN_TIMEOUT_MS = 120_000;
const log = process.env['LOG_LEVEL'] ? createLogger('e2e') : silentLogger();

let work: string;
let broker: KafkaBroker;
let sidecar: Sidecar;
/** The shared models the sidecar scores with (the full ensemble, as crypto-stack up runs it). */
let modelVersion: string;
let spike: Spike;
let crashes: Spike[];
/** The preloaded input, byte for byte, to copy into per-test topics. */
let input: RawRecord[];
let inputTopic: string;
let expected: Map<string, ExpectedKline>;

const tradesOnly = (): AsyncIterable<RecordedMessage> => openBundledRecording({ streams: SYMBOLS.map((s) => `${s.toLowerCase()}@trade`) });
const spikedTape = (): AsyncIterable<RecordedMessage> => crashes.reduce((tape, c) => withSpike(tape, c), withSpike(tradesOnly(), spike));

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'e2e-pipeline-'));
  const progress = (m: string): void => log.info(m);
  broker = await KafkaBroker.start({ dataDir: join(work, 'kafka'), onProgress: progress });
  const models = await ensureModels({ cacheDir: join(work, 'models'), onProgress: progress });
  modelVersion = models.version;
  sidecar = await Sidecar.start({ main: snapshotUdfServer(join(work, 'udf-server')), logFile: join(work, 'udf-server.log'), onProgress: progress, modelsDir: models.dir });

  // The spike sits across the boundary of two 10 s windows: the first closes 3 % up.
  let first = Infinity;
  for await (const m of tradesOnly()) {
    first = Math.min(first, (JSON.parse(m.raw) as { data: { T: number } }).data.T);
    break;
  }
  const boundary = Math.ceil((first + SPIKE_AFTER_MS) / 10_000) * 10_000;
  spike = { symbol: 'BTCUSDT', fromMs: boundary - SPIKE_LENGTH_MS / 2, toMs: boundary + SPIKE_LENGTH_MS / 2, factor: SPIKE_FACTOR };
  const crashBoundary = Math.ceil((first + CRASH_AFTER_MS) / 10_000) * 10_000;
  crashes = SYMBOLS.map((symbol) => ({ symbol, fromMs: crashBoundary - SPIKE_LENGTH_MS / 2, toMs: crashBoundary + SPIKE_LENGTH_MS / 2, factor: CRASH_FACTOR }));

  const trades = await recordedTrades(spikedTape());
  expected = expectedKlines(trades, OUT_OF_ORDERNESS_MS);

  // Preload: local Binance at max speed -> producer -> one single-partition topic.
  const s = uniqueSuffix();
  const topics = { trades: `raw-trades-${s}`, aggTrades: `raw-agg-trades-${s}`, klines: `raw-klines-${s}`, bookTicker: `book-ticker-${s}`, gaps: `trade-gaps-${s}`, deadLetter: `dead-letter-${s}` };
  await broker.createTopics(Object.values(topics));
  inputTopic = topics.trades;
  const binance = await startLocalBinance({ speed: 'max', source: spikedTape, logger: log });
  const producer = new BinanceProducer(
    parseProducerConfig({
      symbols: SYMBOLS,
      streams: ['trade'],
      endpoint: binance.url,
      kafka: { brokers: [broker.bootstrap], topics },
      metrics: { port: -1 },
    }),
    { log },
  );
  try {
    await producer.start();
    await binance.tapeFinished;
    await waitFor('every trade published', () => (producer.stats.out.get('trade') ?? 0) >= trades.length, 60_000);
  } finally {
    await producer.stop();
    await binance.close();
  }
  const reader = await TopicCollector.start(broker.bootstrap, inputTopic);
  await reader.waitForCount(trades.length, 30_000, 'input trades');
  await reader.stop();
  input = reader.records;
  assert.equal(input.length, trades.length, 'the producer published every recorded trade once');
});

after(async () => {
  await sidecar?.stop();
  await broker?.stop();
  // E2E_KEEP=1 keeps the logs, checkpoints and broker data for a post-mortem.
  if (work !== undefined && process.env['E2E_KEEP'] !== '1') rmSync(work, { recursive: true, force: true });
  else if (work !== undefined) process.stderr.write(`e2e: kept ${work}\n`);
});

interface RunTopics {
  readonly input: string;
  readonly kline10s: string;
  readonly kline1m: string;
  readonly alerts: string;
  readonly scoredWindows: string;
  readonly deadLetter: string;
  readonly lateTrades: string;
}

async function runTopics(inputName?: string): Promise<RunTopics> {
  const s = uniqueSuffix();
  const t = {
    input: inputName ?? `in-${s}`,
    kline10s: `kline-10s-${s}`,
    kline1m: `kline-1m-${s}`,
    alerts: `alerts-${s}`,
    scoredWindows: `scored-windows-${s}`,
    deadLetter: `dead-letter-job-${s}`,
    lateTrades: `late-trades-${s}`,
  };
  await broker.createTopics(Object.values(t));
  return t;
}

/** One job identity: restarts of it keep the group id, transactional ids and checkpoint dir. */
function jobArgs(t: RunTopics, name: string): Record<string, string | number> {
  return {
    'bootstrap-servers': broker.bootstrap,
    'group-id': `e2e-${name}`,
    'raw-trades-topic': t.input,
    'kline-10s-topic': t.kline10s,
    'kline-1m-topic': t.kline1m,
    'alerts-topic': t.alerts,
    'scored-windows-topic': t.scoredWindows,
    'dead-letter-topic': t.deadLetter,
    'late-trades-topic': t.lateTrades,
    // The preloaded input is trades only: no book-ticker source, so the final watermark (and the
    // set of windows that close) is the trades' alone, as these tests compute it.
    'book-ticker': 'off',
    'starting-offsets': 'earliest',
    'checkpoint-interval': CHECKPOINT_INTERVAL,
    'checkpoint-dir': join(work, 'checkpoints', name),
    'transactional-id-prefix': `e2e-${name}`,
    parallelism: 1,
    'scoring-address': sidecar.address,
    'bundle-age': '200ms',
    'restart-strategy': 'fixed-delay',
    'restart-attempts': 3,
    'restart-delay': '1s',
  };
}

function startJob(args: Record<string, string | number>, name: string, restoreFrom?: string): Promise<FlinkJob> {
  return FlinkJob.start({
    args,
    logFile: join(work, `flink-${name}.log`),
    javaOpts: '-Xmx768m',
    ...(restoreFrom !== undefined ? { restoreFrom } : {}),
    onProgress: (m) => log.info(m),
  });
}

const expectedWindowCount = (): number => expected.size;

interface RunResult {
  readonly scored: Alert[];
  readonly alerts: Alert[];
}

/** Waits for every closing window to be scored, then for a quiet spell (any duplicate would show), and collects. */
async function finish(job: FlinkJob, scored: TopicCollector, alerts: TopicCollector): Promise<RunResult> {
  try {
    await scored.waitForCount(expectedWindowCount(), RUN_TIMEOUT_MS, 'scored windows', () => (job.running ? undefined : 'the Flink JVM exited'));
    // Two more checkpoints commit whatever else would come, then nothing may arrive.
    const { latest } = await job.checkpoints();
    await job.waitForCheckpoint((latest?.id ?? 0) + 1, 30_000);
    await scored.waitQuiet(2_500);
  } catch (err) {
    throw new Error(`${(err as Error).message}\nFlink log tail:\n${job.logTail(40)}`);
  }
  return { scored: scored.records.map((r) => alertCodec.decode(r.value)), alerts: alerts.records.map((r) => alertCodec.decode(r.value)) };
}

let baseline: Promise<RunResult> | undefined;

/** The uninterrupted run over the whole preloaded input; shared by the tests (computed once). */
function baselineRun(): Promise<RunResult> {
  baseline ??= (async () => {
    const t = await runTopics(inputTopic);
    const readers = await Promise.all([t.scoredWindows, t.alerts, t.kline10s, t.kline1m].map((x) => TopicCollector.start(broker.bootstrap, x)));
    const [scored, alerts, k10, k1m] = readers as [TopicCollector, TopicCollector, TopicCollector, TopicCollector];
    const job = await startJob(jobArgs(t, `baseline-${uniqueSuffix()}`), 'baseline');
    try {
      const result = await finish(job, scored, alerts);
      const klines = [...k10.records, ...k1m.records].map((r) => klineCodec.decode(r.value));
      baselineKlines = klines;
      return result;
    } finally {
      await job.stop();
      await Promise.all(readers.map((r) => r.stop()));
    }
  })();
  return baseline;
}
let baselineKlines: Kline[] = [];

const key = (a: Alert): string => `${a.symbol}/${a.interval}/${a.windowStartMs}`;
/** Every field of a result: replays must be byte-for-byte the same decisions. */
const everything = (a: Alert): string => canonicalJson(a);

function assertSameResults(run: RunResult, base: RunResult, label: string): void {
  const missing = base.scored.map(key).filter((k) => !run.scored.some((a) => key(a) === k));
  assert.deepEqual(missing, [], `${label}: scored windows missing`);
  assert.deepEqual(multiset(run.scored.map(key)), multiset(base.scored.map(key)), `${label}: every window scored exactly once`);
  assert.deepEqual(multiset(run.scored.map(everything)), multiset(base.scored.map(everything)), `${label}: identical scoring results`);
  assert.deepEqual(multiset(run.alerts.map(everything)), multiset(base.alerts.map(everything)), `${label}: the same set of alerts, none missing, none twice`);
}

describe('the whole pipeline on real processes', () => {
  test('every 10s and 1m kline equals the independent computation from the recording, and every closing window is scored once', async () => {
    const base = await baselineRun();
    const byKey = new Map<string, Kline[]>();
    for (const k of baselineKlines) byKey.set(klineKey(k.symbol, k.interval, k.openTimeMs), [...(byKey.get(klineKey(k.symbol, k.interval, k.openTimeMs)) ?? []), k]);
    assert.deepEqual([...byKey.keys()].sort(), [...expected.keys()].sort(), 'klines exactly for the windows that closed');
    for (const [k, want] of expected) {
      const got = byKey.get(k)!;
      assert.equal(got.length, 1, `${k}: one kline (no failure in this run)`);
      const kl = got[0]!;
      assert.deepEqual(
        {
          open: toE8(kl.openDecimal),
          high: toE8(kl.highDecimal),
          low: toE8(kl.lowDecimal),
          close: toE8(kl.closeDecimal),
          baseVolume: toE8(kl.baseVolumeDecimal),
          tradeCount: kl.tradeCount,
          firstTradeId: kl.firstTradeId,
          lastTradeId: kl.lastTradeId,
          closeTimeMs: kl.closeTimeMs,
        },
        {
          open: want.open,
          high: want.high,
          low: want.low,
          close: want.close,
          baseVolume: want.baseVolume,
          tradeCount: want.tradeCount,
          firstTradeId: want.firstTradeId,
          lastTradeId: want.lastTradeId,
          closeTimeMs: want.openTimeMs + (want.interval === '10s' ? 10_000 : 60_000) - 1,
        },
        k,
      );
    }
    assert.ok(expected.size > 120, `a meaningful number of windows (${expected.size})`);
    assert.deepEqual(multiset(base.scored.map(key)), multiset([...expected.keys()]), 'one scoring result per closed window');
    for (const a of base.scored) {
      const kl = expected.get(key(a))!;
      assert.equal(a.tradeCount, kl.tradeCount, `${key(a)}: trade count`);
      assert.equal(a.close, Number(kl.close) / 1e8, `${key(a)}: close`);
    }
    assert.deepEqual(
      base.alerts.map(everything).sort(),
      base.scored.filter((a) => a.isAnomaly).map(everything).sort(),
      'alerts = exactly the anomalous scored windows',
    );
    // The full ensemble, with the trained models, scored every window.
    for (const a of base.scored.filter((w) => w.tradeCount > 0)) {
      assert.equal(a.modelVersion, modelVersion, `${key(a)}: model version`);
      assert.deepEqual(a.detectorScores.map((d) => d.detector).filter((n) => ['isolation-forest', 'kmeans', 'gmm'].includes(n)).sort(), ['gmm', 'isolation-forest', 'kmeans'], `${key(a)}: model detectors`);
    }
  });

  test('a 3 % price spike injected into the replay yields an alert for that symbol and window', async () => {
    const base = await baselineRun();
    const spiked = [spike.fromMs, spike.toMs - 1].map((t) => Math.floor(t / 10_000) * 10_000);
    const hits = base.alerts.filter((a) => a.symbol === spike.symbol && a.interval === '10s' && spiked.includes(a.windowStartMs));
    assert.ok(
      hits.length >= 1,
      `an alert for ${spike.symbol} 10s windows ${spiked.map((s) => new Date(s).toISOString()).join(', ')}; alerts: ${base.alerts.map(key).join(', ')}`,
    );
    const up = hits.find((a) => a.windowStartMs === spiked[0]);
    assert.ok(up !== undefined, 'the window that closes inside the spike is flagged');
    assert.ok(up.returnPct > 2, `return ${up.returnPct}% reflects the spike`);
    assert.ok(up.votes >= 2 && up.isAnomaly, `consensus: ${up.votes}/${up.voters}`);
    assert.ok(up.reasons.length > 0, 'with reasons');
  });

  test('a 3 % crash of both symbols in one window is typed MARKET_WIDE_MOVE by the job\'s market-context stage', async () => {
    const base = await baselineRun();
    const start = Math.floor(crashes[0]!.fromMs / 10_000) * 10_000;
    const hits = base.alerts.filter((a) => a.interval === '10s' && a.windowStartMs === start);
    assert.deepEqual(
      hits.map((a) => a.symbol).sort(),
      [...SYMBOLS].sort(),
      `both symbols alert in the crash window ${new Date(start).toISOString()}; alerts: ${base.alerts.map(key).join(', ')}`,
    );
    for (const a of hits) {
      assert.equal(a.type, 'MARKET_WIDE_MOVE', `${a.symbol}: ${JSON.stringify(a.reasons)}`);
      assert.ok(a.returnPct < -2, `${a.symbol}: return ${a.returnPct}%`);
      assert.deepEqual(a.market, { direction: -1, ruleMinSymbols: 2, ruleMinShare: 0.5, symbols: 2, moving: 2 });
      assert.equal(a.reasons.at(-1)!.text, '2 of 2 symbols moved down together in this window (BTCUSDT, ETHUSDT)');
    }
    // The lone BTC spike stays a one-symbol move, with its market context filled in.
    const up = base.alerts.find((a) => a.symbol === spike.symbol && a.interval === '10s' && a.windowStartMs === Math.floor(spike.fromMs / 10_000) * 10_000);
    assert.ok(up !== undefined && up.type !== 'MARKET_WIDE_MOVE' && up.market?.symbols === 2 && up.market.moving === 1, JSON.stringify(up?.market));
  });

  test('cancelled mid-stream and restarted from its last completed checkpoint, the job commits the same alerts and scored windows as the uninterrupted run', async () => {
    const base = await baselineRun();
    const t = await runTopics();
    const name = `recovery-${uniqueSuffix()}`;
    const args = jobArgs(t, name);
    const readers = await Promise.all([t.scoredWindows, t.alerts].map((x) => TopicCollector.start(broker.bootstrap, x)));
    const [scored, alerts] = readers as [TopicCollector, TopicCollector];
    const split = Math.floor(input.length * 0.4);
    await writeRecords(broker.bootstrap, t.input, input.slice(0, split));
    let job = await startJob(args, name);
    let restored: FlinkJob | undefined;
    try {
      await scored.waitForCount(20, RUN_TIMEOUT_MS, 'first scored windows', () => (job.running ? undefined : 'the Flink JVM exited'));
      // Mid-stream: the rest arrives while the job runs, is cancelled, and is restored.
      const rest = writeRecords(broker.bootstrap, t.input, input.slice(split), { perSecond: 5_000, batch: 500 });
      const before = await job.waitForCheckpoint(0);
      await job.waitForCheckpoint(before.id + 1);
      const seenBeforeCancel = scored.count;
      await job.cancel();
      const checkpoint = latestCheckpointIn(args['checkpoint-dir'] as string, job.jobId);
      assert.ok(checkpoint !== undefined, 'a retained checkpoint after the cancel');
      assert.ok(seenBeforeCancel < expectedWindowCount(), `cancelled mid-stream (${seenBeforeCancel} of ${expectedWindowCount()} results committed)`);
      await rest;
      restored = await startJob(args, `${name}-restored`, checkpoint);
      job = restored;
      const result = await finish(restored, scored, alerts);
      assertSameResults(result, base, 'after restore');
    } finally {
      await job.stop();
      await Promise.all(readers.map((r) => r.stop()));
    }
  });

  test('the sidecar SIGKILLed mid-stream and restarted: the job retries or restarts and commits the same results as the uninterrupted run', async (ctx) => {
    const base = await baselineRun();
    const t = await runTopics();
    const name = `sidecar-${uniqueSuffix()}`;
    const readers = await Promise.all([t.scoredWindows, t.alerts].map((x) => TopicCollector.start(broker.bootstrap, x)));
    const [scored, alerts] = readers as [TopicCollector, TopicCollector];
    const split = Math.floor(input.length * 0.4);
    await writeRecords(broker.bootstrap, t.input, input.slice(0, split));
    const job = await startJob(jobArgs(t, name), name);
    try {
      await scored.waitForCount(20, RUN_TIMEOUT_MS, 'first scored windows', () => (job.running ? undefined : 'the Flink JVM exited'));
      await sidecar.kill();
      const seenAtKill = scored.count;
      await writeRecords(broker.bootstrap, t.input, input.slice(split), { perSecond: 10_000, batch: 500 });
      await new Promise((r) => setTimeout(r, 3_000));
      assert.ok(scored.count < expectedWindowCount(), `the sidecar died mid-stream (${seenAtKill} of ${expectedWindowCount()} results committed)`);
      await sidecar.launch();
      const result = await finish(job, scored, alerts);
      assertSameResults(result, base, 'after the sidecar restart');
      const exceptions = (await job.rest('GET', `/jobs/${job.jobId}/exceptions`)) as { exceptionHistory?: { entries?: unknown[] } };
      ctx.diagnostic(`job restarts during the outage: ${exceptions.exceptionHistory?.entries?.length ?? 0}`);
    } finally {
      if (!sidecar.running) await sidecar.launch();
      await job.stop();
      await Promise.all(readers.map((r) => r.stop()));
    }
  });
});
