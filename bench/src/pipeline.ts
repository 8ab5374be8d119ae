#!/usr/bin/env node
/**
 * The streaming-core benchmark (figures, not a test). In one run:
 *
 *  1. starts a real Kafka broker (packages/devkit) in a fresh directory and PRE-LOADS `raw-trades`
 *     (several partitions) with synthetic trades from a Java generator (flink-job
 *     io.cryptoanomaly.flink.bench.TradeGenerator), so the generator is not what is measured;
 *  2. runs the Flink job (MiniCluster, `--bounded`: it ends at the end of the input) twice over the
 *     same input: with the udf-server sidecar over gRPC, then with `--scorer stub` (the ceiling);
 *  3. reads the job's metrics every second (io.cryptoanomaly.flink.bench.JsonLinesReporter), the
 *     sidecar's Prometheus metrics and each process's CPU time, and reports for a STEADY interval
 *     (from 10 % to 90 % of the input read; start-up, JIT warm-up and the final checkpoint are
 *     outside it): trades/s, windows scored/s, window-close -> scored latency p50/p99 (+ the
 *     market-context stage's hold of price candidates until their moment is complete),
 *     the per-window cost of every stage, task busy/back-pressure and the sidecar time per window;
 *  4. prints the stub ceiling ratio next to the targets and writes var/bench/pipeline.json.
 *
 *   npx tsc -b     # the Java side is compiled by the benchmark itself when needed (or always with --build)
 *   node bench/dist/src/pipeline.js [--symbols 1000] [--seconds 180] [--trades-per-window 200]
 *        [--partitions 4] [--runs grpc,stub] [--bundle-size 100] [--bundle-age 500ms] [--max-in-flight N]
 *        [--checkpoint-interval 10s] [--parallelism N] [--udf-node-options "--max-semi-space-size=64"]
 *        [--job-java-opts "-XX:StartFlightRecording=filename=var/bench/job.jfr"] [--keep] [--build]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, openSync, readSync, closeSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { KafkaBroker, REPO_ROOT } from '@crypto-anomaly/devkit';

const { values: opts } = parseArgs({
  options: {
    symbols: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '180' },
    'trades-per-window': { type: 'string', default: '200' },
    partitions: { type: 'string', default: '4' },
    runs: { type: 'string', default: 'grpc,stub' },
    'bundle-size': { type: 'string', default: '100' },
    'bundle-age': { type: 'string', default: '500ms' },
    /** --scoring-max-in-flight of the job; unset = the job's default. */
    'max-in-flight': { type: 'string' },
    'checkpoint-interval': { type: 'string', default: '10s' },
    parallelism: { type: 'string' },
    'udf-node-options': { type: 'string', default: '--max-semi-space-size=64' },
    'job-heap': { type: 'string', default: '3g' },
    /** Extra JVM options for the job (e.g. a JFR recording), space-separated. */
    'job-java-opts': { type: 'string', default: '' },
    keep: { type: 'boolean', default: false },
    build: { type: 'boolean', default: false },
    out: { type: 'string', default: 'var/bench/pipeline.json' },
  },
});

const TARGETS = { tradesPerSecond: 100_000, ceilingRatio: 0.8, p99Ms: 100 } as const;
const STEADY_FROM = 0.1;
const STEADY_TO = 0.9;
const FLINK = join(REPO_ROOT, 'flink-job');
const JVM_OPENS = [
  '--add-opens=java.base/java.util=ALL-UNNAMED',
  '--add-opens=java.base/java.lang=ALL-UNNAMED',
  '--add-opens=java.base/java.lang.reflect=ALL-UNNAMED',
  '--add-opens=java.base/java.nio=ALL-UNNAMED',
  '--add-opens=java.base/sun.nio.ch=ALL-UNNAMED',
];
const CLK_TCK = 100;

const log = (line: string): void => {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
};
const fmt = (n: number, digits = 0): string =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : 'n/a';

// ------------------------------------------------------------------------------------------------
// Processes

interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
}

/** Every child still running; killed if this process is interrupted. */
const children = new Set<ChildProcess>();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const child of children) child.kill('SIGKILL');
    process.exit(130);
  });
}

function start(name: string, cmd: string, args: string[], onStdout: (line: string) => void, onStderr?: (line: string) => void): Proc {
  const child = spawn(cmd, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  lines(child.stdout!, onStdout);
  lines(child.stderr!, onStderr ?? (() => {}));
  const exited = new Promise<number | null>((res) => child.once('exit', (code, signal) => res(code ?? (signal ? 128 : null))));
  return { name, child, exited };
}

function lines(stream: NodeJS.ReadableStream, each: (line: string) => void): void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    rest += chunk;
    let nl: number;
    while ((nl = rest.indexOf('\n')) >= 0) {
      each(rest.slice(0, nl));
      rest = rest.slice(nl + 1);
    }
  });
}

async function stop(p: Proc | undefined, graceMs = 15_000): Promise<void> {
  if (p === undefined || p.child.exitCode !== null || p.child.pid === undefined) return;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  await p.exited;
  clearTimeout(timer);
}

/** utime + stime of a process in seconds, or NaN. */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return Number.NaN;
  }
}

// ------------------------------------------------------------------------------------------------
// Metric snapshots

interface Hist {
  n: number;
  s: number;
  b: Record<string, number>;
}
interface FlinkLine {
  t: number;
  c: Record<string, number>;
  g: Record<string, number>;
  h: Record<string, Hist>;
}
interface Sample {
  t: number;
  flink: FlinkLine;
  udf: Map<string, number>;
  cpu: Record<string, number>;
  load1: number;
}

/** Sum of a counter (or gauge) over subtasks: key "<owner>#<i>|<scope>.<name>". */
function sum(values: Record<string, number>, owner: RegExp, name: string): number {
  let total = 0;
  for (const [k, v] of Object.entries(values)) {
    const bar = k.indexOf('|');
    if (k.endsWith(`.${name}`) && owner.test(k.slice(0, bar).replace(/#\d+$/, ''))) total += v;
  }
  return total;
}

function hist(line: FlinkLine, name: string): Hist {
  const out: Hist = { n: 0, s: 0, b: {} };
  for (const [k, h] of Object.entries(line.h)) {
    if (!k.endsWith(`.${name}`)) continue;
    out.n += h.n;
    out.s += h.s;
    for (const [i, c] of Object.entries(h.b)) out.b[i] = (out.b[i] ?? 0) + c;
  }
  return out;
}

function histDiff(a: Hist, b: Hist): Hist {
  const out: Hist = { n: b.n - a.n, s: b.s - a.s, b: {} };
  for (const [i, c] of Object.entries(b.b)) {
    const d = c - (a.b[i] ?? 0);
    if (d > 0) out.b[i] = d;
  }
  return out;
}

// Mirrors io.cryptoanomaly.flink.metrics.LogHistogram (16 exact buckets, then 16 per power of two).
function midpoint(bucket: number): number {
  if (bucket < 16) return bucket;
  const exponent = Math.floor((bucket - 16) / 16) + 4;
  const sub = (bucket - 16) % 16;
  const low = 2 ** exponent + sub * 2 ** (exponent - 4);
  const width = 2 ** (exponent - 4);
  return low + (width - 1) / 2;
}

function quantile(h: Hist, q: number): number {
  const entries = Object.entries(h.b).map(([i, c]) => [Number(i), c] as const).sort((x, y) => x[0] - y[0]);
  const total = entries.reduce((acc, [, c]) => acc + c, 0);
  if (total === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (const [i, c] of entries) {
    seen += c;
    if (seen >= rank) return midpoint(i);
  }
  return midpoint(entries[entries.length - 1]![0]);
}

function parsePrometheus(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.length === 0) continue;
    const sp = line.lastIndexOf(' ');
    const v = Number(line.slice(sp + 1));
    if (!Number.isFinite(v)) continue;
    // Drop the constant label so keys stay short.
    const key = line.slice(0, sp).replace(/,?component="udf-server"/, '').replace('{}', '');
    out.set(key, v);
  }
  return out;
}

function promSum(m: Map<string, number>, prefix: string): number {
  let total = 0;
  for (const [k, v] of m) if (k === prefix || k.startsWith(`${prefix}{`)) total += v;
  return total;
}

// ------------------------------------------------------------------------------------------------
// Set-up

/**
 * The job's local class path: target/classes + the compile scope (incl. provided: Flink), as
 * bin/run-local.sh builds it, + the shaded job jar for the RUNTIME-scope dependencies that the
 * compile-scope list leaves out (grpc-protobuf-lite, perfmark, ...: without them the gRPC scorer
 * fails with ClassNotFoundException io.grpc.protobuf.lite.ProtoLiteUtils).
 */
function ensureJavaBuilt(): string {
  const target = join(FLINK, 'target');
  const compileCp = join(target, 'classpath.txt');
  const shaded = join(target, 'flink-job-0.1.0-SNAPSHOT.jar');
  const marker = join(target, 'classes', 'io', 'cryptoanomaly', 'flink', 'bench', 'PipelineBench.class');
  const older = (file: string, than: string): boolean => !existsSync(file) || !existsSync(than) || statSync(file).mtimeMs < statSync(than).mtimeMs;
  if (opts.build || older(compileCp, join(FLINK, 'pom.xml')) || !existsSync(marker)) {
    log('building flink-job (mvn compile dependency:build-classpath)');
    mvn(['compile', 'dependency:build-classpath', `-Dmdep.outputFile=${compileCp}`]);
  }
  if (opts.build || older(shaded, marker)) {
    log('packaging flink-job (mvn package -DskipTests) for its runtime dependencies');
    mvn(['package', '-DskipTests']);
  }
  return `${join(target, 'classes')}:${readFileSync(compileCp, 'utf8').trim()}:${shaded}`;
}

function mvn(args: string[]): void {
  const r = spawnSync('mvn', ['-B', '-q', ...args], { cwd: FLINK, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`mvn ${args.join(' ')} failed (${r.status})`);
}

async function generate(classpath: string, bootstrap: string): Promise<Record<string, number>> {
  let summary: Record<string, number> | undefined;
  const gen = start(
    'generator',
    'java',
    ['-Xmx1g', '-cp', classpath, 'io.cryptoanomaly.flink.bench.TradeGenerator',
      '--bootstrap-servers', bootstrap, '--topic', 'raw-trades', '--symbols', opts.symbols!, '--seconds', opts.seconds!,
      '--trades-per-window', opts['trades-per-window']!],
    (line) => {
      if (line.startsWith('{')) summary = JSON.parse(line) as Record<string, number>;
    },
    (line) => {
      if (line.startsWith('generator:')) log(line);
      else if (/ERROR|Exception/.test(line)) log(`generator: ${line}`);
    },
  );
  const code = await gen.exited;
  if (code !== 0 || summary === undefined) throw new Error(`generator exited with ${code}`);
  return summary;
}

interface Udf {
  proc: Proc;
  port: number;
  metricsPort: number;
}

async function startUdf(): Promise<Udf> {
  const nodeOptions = (opts['udf-node-options'] ?? '').split(' ').filter((s) => s.length > 0);
  let resolveListening: (v: { port: number; metricsPort: number }) => void = () => {};
  const listening = new Promise<{ port: number; metricsPort: number }>((res) => (resolveListening = res));
  const proc = start(
    'udf-server',
    process.execPath,
    [...nodeOptions, join(REPO_ROOT, 'udf-server', 'dist', 'src', 'main.js'), '--host', '127.0.0.1', '--port', '0',
      '--metrics-port', '0', '--metrics-host', '127.0.0.1', '--max-windows-per-bundle', '100000'],
    (line) => {
      if (line.includes('"listening"')) resolveListening(JSON.parse(line) as { port: number; metricsPort: number });
    },
    (line) => log(`udf-server: ${line}`),
  );
  const ready = await Promise.race([listening, proc.exited.then(() => undefined), sleep(30_000).then(() => undefined)]);
  if (ready === undefined) {
    await stop(proc);
    throw new Error('udf-server did not start');
  }
  return { proc, port: ready.port, metricsPort: ready.metricsPort };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------------------------------------
// One run

interface RunResult {
  readonly kind: string;
  readonly samples: Sample[];
  readonly finished: { startedMs: number; endedMs: number; netRuntimeMs: number } | undefined;
  readonly exitCode: number | null;
}

async function runJob(kind: 'grpc' | 'stub', classpath: string, broker: KafkaBroker, workDir: string, totalTrades: number): Promise<RunResult> {
  const udf = kind === 'grpc' ? await startUdf() : undefined;
  if (udf) log(`udf-server listening on 127.0.0.1:${udf.port} (metrics :${udf.metricsPort}, node ${opts['udf-node-options']})`);
  const metricsFile = join(workDir, `flink-metrics-${kind}.jsonl`);
  const args = [
    ...JVM_OPENS, ...opts['job-java-opts']!.split(' ').filter((o) => o.length > 0), `-Xms${opts['job-heap']}`, `-Xmx${opts['job-heap']}`, '-cp', classpath, 'io.cryptoanomaly.flink.bench.PipelineBench',
    '--metrics-file', metricsFile, '--metrics-interval', '1 s',
    // Synthetic trades only: no book-ticker topic to read (the job's default is to read it).
    '--bounded', '--book-ticker', 'off', '--starting-offsets', 'earliest', '--bootstrap-servers', broker.bootstrap,
    '--group-id', `bench-${kind}`, '--scorer', kind, '--scoring-address', `127.0.0.1:${udf?.port ?? 1}`,
    '--checkpoint-dir', join(workDir, `checkpoints-${kind}`), '--checkpoint-interval', opts['checkpoint-interval']!,
    '--transactional-id-prefix', `bench-${kind}-${Date.now()}`, '--restart-strategy', 'none',
    '--bundle-size', opts['bundle-size']!, '--bundle-age', opts['bundle-age']!,
    ...(opts['max-in-flight'] !== undefined ? ['--scoring-max-in-flight', opts['max-in-flight']] : []),
    '--alerts-topic', `alerts-${kind}`, '--scored-windows-topic', `scored-windows-${kind}`,
    '--kline-10s-topic', `kline-10s-${kind}`, '--kline-1m-topic', `kline-1m-${kind}`,
    ...(opts.parallelism ? ['--parallelism', opts.parallelism] : []),
  ];
  let finished: RunResult['finished'];
  const errors: string[] = [];
  const job = start(
    `flink-${kind}`,
    'java',
    args,
    (line) => {
      if (line.startsWith('{"event":"finished"')) finished = JSON.parse(line) as RunResult['finished'];
    },
    (line) => {
      if (/ERROR|Exception|FAILED/.test(line) && errors.length < 20) errors.push(line);
    },
  );
  log(`[${kind}] Flink job started (pid ${job.child.pid}), reading ${fmt(totalTrades)} trades`);
  const samples: Sample[] = [];
  let offset = 0;
  let pending = '';
  const pids: Record<string, number | undefined> = { flink: job.child.pid, udf: udf?.proc.child.pid, broker: broker.pid };
  let done = false;
  void job.exited.then(() => (done = true));
  let lastPrint = 0;
  while (true) {
    await sleep(1000);
    const cpu: Record<string, number> = {};
    for (const [name, pid] of Object.entries(pids)) cpu[name] = cpuSeconds(pid);
    let udfMetrics = new Map<string, number>();
    if (udf) {
      try {
        udfMetrics = parsePrometheus(await (await fetch(`http://127.0.0.1:${udf.metricsPort}/metrics`)).text());
      } catch {
        // not fatal: a missing scrape leaves a gap
      }
    }
    // New complete lines of the job's metric file.
    if (existsSync(metricsFile)) {
      const size = statSync(metricsFile).size;
      if (size > offset) {
        const fd = openSync(metricsFile, 'r');
        const buf = Buffer.alloc(size - offset);
        readSync(fd, buf, 0, buf.length, offset);
        closeSync(fd);
        offset = size;
        pending += buf.toString('utf8');
        let nl: number;
        while ((nl = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          try {
            samples.push({ t: 0, flink: JSON.parse(line) as FlinkLine, udf: udfMetrics, cpu, load1: loadavg()[0]! });
            samples[samples.length - 1]!.t = samples[samples.length - 1]!.flink.t;
          } catch {
            // a torn line at exit
          }
        }
      }
    }
    const last = samples[samples.length - 1];
    if (last && Date.now() - lastPrint >= 5000) {
      lastPrint = Date.now();
      const read = sum(last.flink.c, /^split-undecodable$/, 'numRecordsIn');
      const prev = samples[Math.max(0, samples.length - 6)]!;
      const rate = (read - sum(prev.flink.c, /^split-undecodable$/, 'numRecordsIn')) / Math.max(1e-3, (last.t - prev.t) / 1000);
      const scored = sum(last.flink.c, /^remote-scoring$/, 'windowsScored');
      const lat = histDiff(hist(prev.flink, 'closeToEmitMicros'), hist(last.flink, 'closeToEmitMicros'));
      log(
        `[${kind}] read ${fmt(read)} / ${fmt(totalTrades)} trades (${fmt((100 * read) / totalTrades)} %), ${fmt(rate)} trades/s now, ` +
          `${fmt(scored)} windows scored, p99 close->scored ${fmt(quantile(lat, 0.99) / 1000, 1)} ms, load ${loadavg()[0]!.toFixed(2)}`,
      );
    }
    if (done) break;
  }
  const exitCode = await job.exited;
  if (exitCode !== 0) log(`[${kind}] Flink job exited with ${exitCode}:\n${errors.join('\n')}`);
  else log(`[${kind}] Flink job finished (net runtime ${fmt((finished?.netRuntimeMs ?? NaN) / 1000, 1)} s)`);
  // One last scrape for the sidecar and stop it.
  if (udf) await stop(udf.proc);
  return { kind, samples, finished, exitCode };
}

// ------------------------------------------------------------------------------------------------
// Analysis

function analyse(run: RunResult, totalTrades: number, checkpointInterval: string): Record<string, unknown> {
  const s = run.samples;
  const read = (x: Sample): number => sum(x.flink.c, /^split-undecodable$/, 'numRecordsIn');
  const a = s.find((x) => read(x) >= STEADY_FROM * totalTrades);
  const bCandidates = s.filter((x) => read(x) <= STEADY_TO * totalTrades);
  const b = bCandidates[bCandidates.length - 1];
  if (a === undefined || b === undefined || b.t <= a.t) {
    return { kind: run.kind, exitCode: run.exitCode, error: 'not enough samples for a steady interval' };
  }
  const dt = (b.t - a.t) / 1000;
  const delta = (name: string, owner: RegExp): number => sum(b.flink.c, owner, name) - sum(a.flink.c, owner, name);
  const scoring = /^remote-scoring$/;
  const trades = read(b) - read(a);
  const windows = delta('windowsScored', scoring);
  const bundles = delta('bundlesScored', scoring);
  const tradesScored = delta('tradesScored', scoring);
  const latency = histDiff(hist(a.flink, 'closeToEmitMicros'), hist(b.flink, 'closeToEmitMicros'));
  const wait = histDiff(hist(a.flink, 'bundleWaitMicros'), hist(b.flink, 'bundleWaitMicros'));
  const hold = histDiff(hist(a.flink, 'marketContextHoldMicros'), hist(b.flink, 'marketContextHoldMicros'));
  const perWindowMicros = (name: string): number => histDiff(hist(a.flink, name), hist(b.flink, name)).s / Math.max(1, windows);
  const lastSample = s[s.length - 1]!;
  const allLatency = hist(lastSample.flink, 'closeToEmitMicros');

  // Task time split (accumulated ms over the interval) per task (summed over subtasks).
  const tasks: Record<string, { subtasks: number; busyPct: number; backPressuredPct: number; idlePct: number }> = {};
  for (const key of Object.keys(b.flink.g)) {
    if (!key.endsWith('.accumulateBusyTimeMs')) continue;
    const owner = key.slice(0, key.indexOf('|')).replace(/#\d+$/, '');
    const base = key.slice(0, key.length - '.accumulateBusyTimeMs'.length);
    const d = (suffix: string): number => (b.flink.g[`${base}.${suffix}`] ?? 0) - (a.flink.g[`${base}.${suffix}`] ?? 0);
    const t = (tasks[owner] ??= { subtasks: 0, busyPct: 0, backPressuredPct: 0, idlePct: 0 });
    t.subtasks++;
    t.busyPct += d('accumulateBusyTimeMs') / (dt * 10);
    t.backPressuredPct += d('accumulateBackPressuredTimeMs') / (dt * 10);
    t.idlePct += d('accumulateIdleTimeMs') / (dt * 10);
  }
  for (const t of Object.values(tasks)) {
    t.busyPct = Math.round(t.busyPct / t.subtasks);
    t.backPressuredPct = Math.round(t.backPressuredPct / t.subtasks);
    t.idlePct = Math.round(t.idlePct / t.subtasks);
  }
  const cores: Record<string, number> = {};
  for (const name of Object.keys(b.cpu)) {
    const c = (b.cpu[name]! - a.cpu[name]!) / dt;
    if (Number.isFinite(c)) cores[name] = Math.round(c * 100) / 100;
  }
  let sidecar: { bundles: number; windows: number; microsPerWindow: number; scoringMicrosPerWindow: number; busyFraction: number } | undefined;
  if (b.udf.size > 0 && a.udf.size > 0) {
    const d = (name: string): number => promSum(b.udf, name) - promSum(a.udf, name);
    const udfWindows = d('udf_bundle_windows_sum');
    sidecar = {
      bundles: d('udf_bundle_seconds_count'),
      windows: udfWindows,
      microsPerWindow: Math.round((d('udf_bundle_seconds_sum') * 1e6) / Math.max(1, udfWindows)),
      scoringMicrosPerWindow: Math.round((d('udf_window_seconds_sum') * 1e6) / Math.max(1, d('udf_window_seconds_count'))),
      busyFraction: Math.round((d('udf_bundle_seconds_sum') / dt) * 100) / 100,
    };
  }
  const rpc = perWindowMicros('rpcMicros');
  const gc = (x: Sample): number =>
    Object.entries(x.flink.g).filter(([k]) => k.includes('.Status.JVM.GarbageCollector.') && k.endsWith('.Time') && k.startsWith('|taskmanager')).reduce((acc, [, v]) => acc + v, 0);
  return {
    kind: run.kind,
    exitCode: run.exitCode,
    steady: {
      seconds: Math.round(dt * 10) / 10,
      fromReadFraction: Math.round((read(a) / totalTrades) * 100) / 100,
      toReadFraction: Math.round((read(b) / totalTrades) * 100) / 100,
      loadAverage1m: [Math.round(a.load1 * 100) / 100, Math.round(b.load1 * 100) / 100],
    },
    tradesPerSecond: Math.round(trades / dt),
    windowsScoredPerSecond: Math.round(windows / dt),
    tradesScoredPerSecond: Math.round(tradesScored / dt),
    latencyMs: {
      what:
        'window close (arrival of the closed window at the scoring operator, right after the watermark passed its end) -> result handed on to the market-context stage; ' +
        'other windows pass it at once, price candidates wait there until their moment is complete (marketContextHoldP50/P99: first candidate of the moment in -> emitted to the exactly-once Kafka sinks; n/a = no candidates); ' +
        'read_committed consumers see it only when the next checkpoint completes: + up to ' + checkpointInterval,
      p50: Math.round(quantile(latency, 0.5) / 100) / 10,
      p99: Math.round(quantile(latency, 0.99) / 100) / 10,
      max: Math.round(quantile(latency, 1) / 100) / 10,
      wholeRunP50: Math.round(quantile(allLatency, 0.5) / 100) / 10,
      wholeRunP99: Math.round(quantile(allLatency, 0.99) / 100) / 10,
      bundleWaitP50: Math.round(quantile(wait, 0.5) / 100) / 10,
      bundleWaitP99: Math.round(quantile(wait, 0.99) / 100) / 10,
      marketContextHoldP50: Math.round(quantile(hold, 0.5) / 100) / 10,
      marketContextHoldP99: Math.round(quantile(hold, 0.99) / 100) / 10,
    },
    perWindow: {
      trades: Math.round(tradesScored / Math.max(1, windows)),
      bundleSizeMean: Math.round(windows / Math.max(1, bundles)),
      requestBytes: Math.round(delta('requestBytes', scoring) / Math.max(1, windows)),
      encodeMicros: Math.round(perWindowMicros('encodeMicros')),
      rpcMicros: Math.round(rpc),
      emitMicros: Math.round(perWindowMicros('emitMicros')),
      ...(sidecar ? { sidecarMicros: sidecar.microsPerWindow, transportMicros: Math.round(rpc - sidecar.microsPerWindow) } : {}),
    },
    scoringThreadBusyFraction: Math.round(((perWindowMicros('encodeMicros') + rpc + perWindowMicros('emitMicros')) * windows) / (dt * 1e6) / Number(opts.parallelism ?? Math.min(2, cpus().length)) * 100) / 100,
    ...(sidecar ? { sidecar } : {}),
    tasks,
    processCores: cores,
    jobGcSecondsInInterval: Math.round((gc(b) - gc(a)) / 100) / 10,
    wholeRun: {
      windowsScored: sum(lastSample.flink.c, scoring, 'windowsScored'),
      anomalies: sum(lastSample.flink.c, scoring, 'anomalies'),
      tradesRead: read(lastSample),
      lateTrades: sum(lastSample.flink.c, /.*/, 'lateTrades'),
      undecodable: sum(lastSample.flink.c, /.*/, 'undecodableRecords'),
      netRuntimeSeconds: run.finished ? Math.round(run.finished.netRuntimeMs / 100) / 10 : null,
      tradesPerSecondIncludingStartAndFinalCheckpoint: run.finished ? Math.round(totalTrades / (run.finished.netRuntimeMs / 1000)) : null,
    },
  };
}

// ------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const runs = opts.runs!.split(',').map((r) => r.trim()) as Array<'grpc' | 'stub'>;
  for (const r of runs) if (r !== 'grpc' && r !== 'stub') throw new Error(`--runs: unknown run ${r}`);
  const classpath = ensureJavaBuilt();
  if (!existsSync(join(REPO_ROOT, 'udf-server', 'dist', 'src', 'main.js'))) throw new Error('udf-server is not built: npx tsc -b');
  const workDir = resolve(REPO_ROOT, 'var', 'bench', `pipeline-${Date.now()}`);
  mkdirSync(workDir, { recursive: true });
  const load0 = loadavg();
  log(`work dir ${workDir}; load average ${load0.map((l) => l.toFixed(2)).join(' ')} on ${cpus().length} cores`);
  const partitions = Number(opts.partitions);
  const outTopics = runs.flatMap((k) => [`alerts-${k}`, `scored-windows-${k}`, `kline-10s-${k}`, `kline-1m-${k}`]);
  const broker = await KafkaBroker.start({
    dataDir: join(workDir, 'kafka'),
    heapMb: 1024,
    logLevel: 'WARN',
    topics: [{ name: 'raw-trades', partitions, configs: { 'retention.ms': '-1', 'retention.bytes': '-1' } }, 'dead-letter', 'late-trades', ...outTopics.map((name) => ({ name, partitions: 2 }))],
    onProgress: (m) => log(`broker: ${m}`),
  });
  const results: Record<string, unknown>[] = [];
  let generated: Record<string, number> | undefined;
  try {
    log(`broker ${broker.bootstrap} (pid ${broker.pid}); pre-loading raw-trades (${partitions} partitions)`);
    generated = await generate(classpath, broker.bootstrap);
    log(`pre-loaded ${fmt(generated['trades']!)} trades in ${fmt(generated['seconds']!, 1)} s (${fmt(generated['tradesPerSecond']!)}/s)`);
    for (const kind of runs) {
      const run = await runJob(kind, classpath, broker, workDir, generated['trades']!);
      results.push(analyse(run, generated['trades']!, opts['checkpoint-interval']!));
    }
  } finally {
    await broker.stop();
    if (!opts.keep) rmSync(workDir, { recursive: true, force: true });
  }

  const byKind = Object.fromEntries(results.map((r) => [r['kind'] as string, r]));
  const grpc = byKind['grpc'] as { tradesPerSecond?: number; latencyMs?: { p99: number } } | undefined;
  const stub = byKind['stub'] as { tradesPerSecond?: number } | undefined;
  const ratio = grpc?.tradesPerSecond && stub?.tradesPerSecond ? Math.round((grpc.tradesPerSecond / stub.tradesPerSecond) * 100) / 100 : null;
  const report = {
    benchmark: 'pipeline',
    at: new Date().toISOString(),
    machine: { cores: cpus().length, cpu: cpus()[0]?.model, loadAverageAtStart: load0.map((l) => Math.round(l * 100) / 100), loadAverageAtEnd: loadavg().map((l) => Math.round(l * 100) / 100) },
    input: { ...generated, partitions, tradesPerWindowMean: Number(opts['trades-per-window']) },
    settings: { bundleSize: Number(opts['bundle-size']), bundleAge: opts['bundle-age'], maxInFlight: opts['max-in-flight'] ?? 'job default', checkpointInterval: opts['checkpoint-interval'], parallelism: opts.parallelism ?? 'default (cores)', jobHeap: opts['job-heap'], udfNodeOptions: opts['udf-node-options'], steadyInterval: `${STEADY_FROM * 100}%..${STEADY_TO * 100}% of the input read` },
    targets: TARGETS,
    runs: byKind,
    ceilingRatio: ratio,
    meets: {
      tradesPerSecond: grpc?.tradesPerSecond !== undefined ? grpc.tradesPerSecond >= TARGETS.tradesPerSecond : null,
      ceilingRatio: ratio !== null ? ratio >= TARGETS.ceilingRatio : null,
      p99: grpc?.latencyMs ? grpc.latencyMs.p99 <= TARGETS.p99Ms : null,
    },
  };
  const out = resolve(REPO_ROOT, opts.out!);
  mkdirSync(resolve(out, '..'), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);

  const rows: string[] = [];
  rows.push('');
  rows.push(`pipeline benchmark: ${fmt(generated?.['trades'] ?? NaN)} trades, ${opts.symbols} symbols, ${opts.seconds} s of event time, ${partitions} partitions`);
  rows.push('run   trades/s   windows/s  p50 ms  p99 ms  hold p50/p99 ms  trades/win  encode µs/w  rpc µs/w  sidecar µs/w  emit µs/w');
  for (const r of results) {
    const x = r as { kind: string; tradesPerSecond?: number; windowsScoredPerSecond?: number; latencyMs?: { p50: number; p99: number; marketContextHoldP50?: number; marketContextHoldP99?: number }; perWindow?: Record<string, number> };
    const hold = `${fmt(x.latencyMs?.marketContextHoldP50 ?? NaN, 1)}/${fmt(x.latencyMs?.marketContextHoldP99 ?? NaN, 1)}`;
    rows.push(
      `${x.kind.padEnd(5)} ${fmt(x.tradesPerSecond ?? NaN).padStart(9)} ${fmt(x.windowsScoredPerSecond ?? NaN).padStart(10)} ${fmt(x.latencyMs?.p50 ?? NaN, 1).padStart(7)} ${fmt(x.latencyMs?.p99 ?? NaN, 1).padStart(7)} ${hold.padStart(16)}` +
        ` ${fmt(x.perWindow?.['trades'] ?? NaN).padStart(11)} ${fmt(x.perWindow?.['encodeMicros'] ?? NaN).padStart(12)} ${fmt(x.perWindow?.['rpcMicros'] ?? NaN).padStart(9)} ${fmt(x.perWindow?.['sidecarMicros'] ?? NaN).padStart(13)} ${fmt(x.perWindow?.['emitMicros'] ?? NaN).padStart(10)}`,
    );
  }
  rows.push('p50/p99: window close -> scored (handed to the market-context stage); hold: price candidates wait there for the rest of their moment (n/a: none)');
  const mark = (ok: boolean | null): string => (ok === null ? '?' : ok ? 'met' : 'MISSED');
  rows.push(`targets: >= ${fmt(TARGETS.tradesPerSecond)} trades/s (${mark(report.meets.tradesPerSecond)}), >= ${TARGETS.ceilingRatio} of the stub ceiling (ratio ${ratio ?? 'n/a'}: ${mark(report.meets.ceilingRatio)}), p99 <= ${TARGETS.p99Ms} ms (${mark(report.meets.p99)})`);
  rows.push(`+ read_committed visibility: results become visible when the next checkpoint completes (up to ${opts['checkpoint-interval']} more)`);
  for (const r of results) {
    const x = r as { kind: string; tasks?: Record<string, { busyPct: number; backPressuredPct: number }>; processCores?: Record<string, number>; steady?: { loadAverage1m: number[] } };
    const tasks = Object.entries(x.tasks ?? {}).sort((p, q) => q[1].busyPct - p[1].busyPct).map(([n, t]) => `${n.slice(0, 40)} busy ${t.busyPct}% bp ${t.backPressuredPct}%`);
    rows.push(`${x.kind}: cores ${JSON.stringify(x.processCores ?? {})}, load ${JSON.stringify(x.steady?.loadAverage1m ?? [])}`);
    for (const t of tasks) rows.push(`   ${t}`);
  }
  rows.push(`written to ${out}`);
  process.stdout.write(`${rows.join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`pipeline bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
