import { randomUUID } from 'node:crypto';
import { cpSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@crypto-anomaly/devkit';
import { Kafka, logLevel, type Consumer, type IHeaders } from 'kafkajs';
import type { RecordedMessage } from '@crypto-anomaly/replay';

export const uniqueSuffix = (): string => randomUUID().slice(0, 8);

/** A record as it sits on a topic, to copy it byte for byte. */
export interface RawRecord {
  readonly key: Buffer | null;
  readonly value: Buffer;
  readonly headers: IHeaders;
}

/**
 * Reads a topic from the beginning with isolation.level=read_committed (what every consumer of
 * the exactly-once outputs must do) into memory, in the background, until stop().
 */
export class TopicCollector {
  readonly records: RawRecord[] = [];
  lastAt = Date.now();
  private constructor(private readonly consumer: Consumer) {}

  static async start(bootstrap: string, topic: string): Promise<TopicCollector> {
    const kafka = new Kafka({ clientId: 'e2e-reader', brokers: [bootstrap], logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: `e2e-${randomUUID()}`, readUncommitted: false, maxWaitTimeInMs: 100 });
    const c = new TopicCollector(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) if (m.value) c.records.push({ key: m.key, value: m.value, headers: m.headers ?? {} });
        c.lastAt = Date.now();
      },
    });
    return c;
  }

  get count(): number {
    return this.records.length;
  }

  /** `alive` is checked on the way: a reason to stop waiting (e.g. the job's JVM has exited). */
  async waitForCount(n: number, timeoutMs: number, what = 'records', alive?: () => string | undefined): Promise<void> {
    await waitFor(`${n} ${what} (have ${this.count})`, () => {
      const dead = alive?.();
      if (dead !== undefined) throw new Error(`${dead} while waiting for ${n} ${what} (have ${this.count})`);
      return this.count >= n;
    }, timeoutMs, () => `${n} ${what} (have ${this.count})`);
  }

  /** Waits until nothing new has arrived for `quietMs`. */
  async waitQuiet(quietMs: number, timeoutMs = 60_000): Promise<void> {
    await waitFor(`${quietMs} ms without new records`, () => Date.now() - this.lastAt >= quietMs, timeoutMs);
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect().catch(() => undefined);
  }
}

export async function waitFor(what: string, predicate: () => boolean, timeoutMs: number, describe?: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${describe?.() ?? what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Appends records to a topic in order, in batches; with `perSecond`, paced so the job is
 * mid-stream while the copy runs.
 */
export async function writeRecords(bootstrap: string, topic: string, records: readonly RawRecord[], options: { perSecond?: number; batch?: number } = {}): Promise<void> {
  const kafka = new Kafka({ clientId: 'e2e-writer', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const batch = options.batch ?? 1_000;
  try {
    for (let i = 0; i < records.length; i += batch) {
      const started = Date.now();
      const slice = records.slice(i, i + batch);
      await producer.send({ topic, messages: slice.map((r) => ({ key: r.key, value: r.value, headers: r.headers })) });
      if (options.perSecond !== undefined) {
        const due = (slice.length / options.perSecond) * 1000 - (Date.now() - started);
        if (due > 0) await new Promise((r) => setTimeout(r, due));
      }
    }
  } finally {
    await producer.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// The independent kline computation: straight from the recorded Binance trade payloads.

/** Decimal text ("61234.56", "1.0E-7", "0.00100000") as an exact integer count of 1e-8 units. */
export function toE8(text: string): bigint {
  const m = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text.trim());
  if (m === null) throw new Error(`not a decimal: ${text}`);
  const digits = `${m[2] ?? ''}${m[3] ?? ''}` || '0';
  const exponent = Number(m[4] ?? 0) - (m[3] ?? '').length + 8;
  let v = BigInt(digits);
  if (exponent >= 0) v *= 10n ** BigInt(exponent);
  else {
    const div = 10n ** BigInt(-exponent);
    if (v % div !== 0n) throw new Error(`${text} has more than 8 decimals`);
    v /= div;
  }
  return m[1] === '-' ? -v : v;
}

export interface RecordedTrade {
  readonly symbol: string;
  readonly id: number;
  readonly timeMs: number;
  readonly price: bigint;
  readonly quantity: bigint;
}

export interface ExpectedKline {
  readonly symbol: string;
  readonly interval: '10s' | '1m';
  readonly openTimeMs: number;
  readonly open: bigint;
  readonly high: bigint;
  readonly low: bigint;
  readonly close: bigint;
  readonly baseVolume: bigint;
  readonly tradeCount: number;
  readonly firstTradeId: number;
  readonly lastTradeId: number;
}

/** Binance trade payloads ({"stream":"btcusdt@trade","data":{"s","t","p","q","T",...}}) of a tape. */
export async function recordedTrades(tape: AsyncIterable<RecordedMessage>): Promise<RecordedTrade[]> {
  const out: RecordedTrade[] = [];
  for await (const m of tape) {
    if (!m.stream.endsWith('@trade')) continue;
    const d = (JSON.parse(m.raw) as { data: { s: string; t: number; p: string; q: string; T: number } }).data;
    out.push({ symbol: d.s, id: d.t, timeMs: d.T, price: toE8(d.p), quantity: toE8(d.q) });
  }
  return out;
}

export const INTERVAL_MS = { '10s': 10_000, '1m': 60_000 } as const;

/**
 * The klines of the windows that close: with one input partition the final watermark is
 * (newest trade time − out-of-orderness − 1), so a window [start, end) closes iff
 * end ≤ newest trade time − out-of-orderness. Open = first trade by (time, id), close = last.
 */
export function expectedKlines(trades: readonly RecordedTrade[], outOfOrdernessMs: number): Map<string, ExpectedKline> {
  const newest = trades.reduce((mx, t) => Math.max(mx, t.timeMs), -Infinity);
  const sorted = [...trades].sort((a, b) => a.timeMs - b.timeMs || a.id - b.id);
  const out = new Map<string, ExpectedKline>();
  for (const interval of ['10s', '1m'] as const) {
    const size = INTERVAL_MS[interval];
    for (const t of sorted) {
      const start = Math.floor(t.timeMs / size) * size;
      if (start + size > newest - outOfOrdernessMs) continue;
      const key = klineKey(t.symbol, interval, start);
      const k = out.get(key);
      if (k === undefined) {
        out.set(key, { symbol: t.symbol, interval, openTimeMs: start, open: t.price, high: t.price, low: t.price, close: t.price, baseVolume: t.quantity, tradeCount: 1, firstTradeId: t.id, lastTradeId: t.id });
      } else {
        out.set(key, {
          ...k,
          high: t.price > k.high ? t.price : k.high,
          low: t.price < k.low ? t.price : k.low,
          close: t.price,
          baseVolume: k.baseVolume + t.quantity,
          tradeCount: k.tradeCount + 1,
          lastTradeId: t.id,
        });
      }
    }
  }
  return out;
}

export const klineKey = (symbol: string, interval: string, openTimeMs: number): string => `${symbol}/${interval}/${openTimeMs}`;

/** JSON with object keys sorted (maps such as `features` compare regardless of order). */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Counts of each distinct element: a multiset, so "none missing, none twice" is one deepEqual. */
export function multiset(items: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const i of items) m.set(i, (m.get(i) ?? 0) + 1);
  return new Map([...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

// ---------------------------------------------------------------------------------------------
// The injected anomaly.

export interface Spike {
  readonly symbol: string;
  /** Trade time range [fromMs, toMs) whose prices are multiplied. */
  readonly fromMs: number;
  readonly toMs: number;
  readonly factor: number;
}

/** The tape with one symbol's trade prices multiplied by `factor` inside the spike's time range. */
export async function* withSpike(tape: AsyncIterable<RecordedMessage>, spike: Spike): AsyncGenerator<RecordedMessage> {
  const stream = `${spike.symbol.toLowerCase()}@trade`;
  for await (const m of tape) {
    if (m.stream !== stream) {
      yield m;
      continue;
    }
    const env = JSON.parse(m.raw) as { stream: string; data: { T: number; p: string } };
    if (env.data.T < spike.fromMs || env.data.T >= spike.toMs) {
      yield m;
      continue;
    }
    // Two decimals, like the recorded BTCUSDT/ETHUSDT prices: exact in the job's E8 arithmetic.
    env.data.p = (Number(env.data.p) * spike.factor).toFixed(2);
    yield { ...m, raw: JSON.stringify(env) };
  }
}

/**
 * A frozen copy of the built sidecar (dist + package.json, node_modules linked back), so a
 * sidecar relaunched mid-test runs the same code as the first one even if udf-server/dist is
 * rebuilt meanwhile. A relaunch with other code or config is a different scorer: its results
 * (and config_version) differ, and the equality checks would rightly fail.
 */
export function snapshotUdfServer(dir: string): string {
  mkdirSync(dir, { recursive: true });
  cpSync(join(REPO_ROOT, 'udf-server', 'dist'), join(dir, 'dist'), { recursive: true });
  cpSync(join(REPO_ROOT, 'udf-server', 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
  return join(dir, 'dist', 'src', 'main.js');
}
