/**
 * Benchmark of the sidecar (not a test): realistic 10 s windows of ~200 trades for 1,000 symbols,
 * scored in bundles, (1) in-process through Scorer.scoreBundle and (2) through a real gRPC server
 * and client on 127.0.0.1 (same process: the client's encode and the server's work share one
 * event loop, so the gRPC figure is a lower bound of what a separate JVM client would see).
 * Also times the parts (Arrow decode, feature pass) so a slow run names its bottleneck.
 *
 *   node udf-server/dist/src/bench.js [--symbols 1000] [--trades 200] [--ticks 8] [--bundles 100,500]
 *                                     [--warm-ticks 100] [--models DIR|none]
 *
 * Models (decision 069): with --models DIR the full ensemble includes the model detectors of that
 * directory (scoring.models.dir, default roles); without the flag the bench uses var/models/default
 * (crypto-train's default output) or else the first var/models/<name>/ with a manifest.json (the
 * local stack's cache), when there is one; --models none benches without them.
 *
 * Prints a table and writes var/bench/udf-server.json. Detectors are warmed first (state carried
 * tick to tick, as Flink does), so the figures are for warm keys, the steady state.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { mulberry32 } from '@crypto-anomaly/detectors';
import { silentLogger } from '@crypto-anomaly/common';
import { decodeTrades } from './arrow.js';
import { parseUdfConfig } from './config.js';
import { computeFeatures, RAW_SIZE } from '@crypto-anomaly/scoring';
import { Scorer } from './scorer.js';
import { startUdfServer } from './server.js';
import { createScoringClient, scoreBundle } from './service.js';
import { syntheticWindow } from './synthetic.js';
import type { KeyState, ScoreBundleRequest, WindowToScore } from './wire.js';

const { values } = parseArgs({
  options: {
    symbols: { type: 'string', default: '1000' },
    trades: { type: 'string', default: '200' },
    ticks: { type: 'string', default: '8' },
    bundles: { type: 'string', default: '100,500' },
    // Steady state: every detector warm (the slowest, MAD and activity, at 32 windows; hst's
    // reference at 24 + 16) and V8 done compiling the hot path. At 34 ticks the timed windows
    // still ran partly unoptimised code: CPU time well above wall time (compiler threads) and
    // ~55-60 µs/window against ~41 once compiled (decision 069).
    'warm-ticks': { type: 'string', default: '100' },
    models: { type: 'string' },
  },
});
const SYMBOLS = Number(values.symbols);
const TRADES = Number(values.trades);
const TICKS = Number(values.ticks);
const BUNDLES = String(values.bundles).split(',').map(Number);
const WARM_TICKS = Number(values['warm-ticks']);
const MODELS = modelsDir(values.models);

/** --models DIR, "none", or the default: var/models/default, else the first var/models/<name>/ holding a manifest. */
function modelsDir(flag: string | undefined): string | undefined {
  if (flag === 'none') return undefined;
  if (flag !== undefined) return flag;
  const root = fileURLToPath(new URL('../../../var/models/', import.meta.url));
  if (existsSync(join(root, 'default', 'manifest.json'))) return join(root, 'default');
  const found = existsSync(root) ? readdirSync(root).sort().find((d) => existsSync(join(root, d, 'manifest.json'))) : undefined;
  return found === undefined ? undefined : join(root, found);
}
/** Distinct windows per symbol, reused cyclically (keeps set-up time and memory small). */
const VARIANTS = 4;
const T0 = 1_700_000_000_000;
const WINDOW_MS = 10_000;

function buildWindows(): WindowToScore[][] {
  const rng = mulberry32(2024);
  const perSymbol: WindowToScore[][] = [];
  for (let s = 0; s < SYMBOLS; s++) {
    const symbol = `S${String(s).padStart(4, '0')}USDT`;
    let price = 10 + rng.next() * 1000;
    const ws: WindowToScore[] = [];
    for (let v = 0; v < VARIANTS; v++) {
      // Trade counts vary around the mean like real symbols' activity does.
      const trades = Math.max(1, Math.round(TRADES * (0.5 + rng.next())));
      const { window, close } = syntheticWindow(rng, { symbol, startMs: T0 + v * WINDOW_MS, openPrice: price, trades });
      ws.push(window);
      price = close;
    }
    perSymbol.push(ws);
  }
  return perSymbol;
}

/** One tick = every symbol's next window; split into bundles of `size`, states carried along. */
function tickRequests(perSymbol: WindowToScore[][], tick: number, size: number, states: Map<string, Uint8Array>): ScoreBundleRequest[] {
  const out: ScoreBundleRequest[] = [];
  for (let from = 0; from < perSymbol.length; from += size) {
    const windows = perSymbol.slice(from, from + size).map((ws) => ws[tick % VARIANTS]!);
    const st: KeyState[] = windows.map((w) => ({ key: w.key, state: states.get(w.key) ?? new Uint8Array(0) }));
    out.push({ bundleId: `t${tick}-${from}`, states: st, windows });
  }
  return out;
}

function keep(states: Map<string, Uint8Array>, returned: readonly KeyState[]): void {
  for (const s of returned) states.set(s.key, s.state);
}

interface Row {
  readonly mode: 'in-process' | 'grpc';
  readonly bundleSize: number;
  readonly windows: number;
  readonly usPerWindow: number;
  /**
   * This process's CPU time (user + system) per window, µs: close to usPerWindow on an idle
   * machine, and much less sensitive to other jobs on a shared one (in-process rows only; the
   * gRPC rows' CPU time includes the client).
   */
  readonly cpuUsPerWindow: number;
  readonly windowsPerSecond: number;
  readonly msPerBundleP50: number;
  readonly msPerBundleMax: number;
}

function row(mode: Row['mode'], bundleSize: number, windows: number, totalMs: number, bundleMs: number[], cpu: NodeJS.CpuUsage): Row {
  const sorted = [...bundleMs].sort((a, b) => a - b);
  return {
    mode,
    bundleSize,
    windows,
    usPerWindow: +((totalMs * 1000) / windows).toFixed(1),
    cpuUsPerWindow: +((cpu.user + cpu.system) / windows).toFixed(1),
    windowsPerSecond: Math.round((windows * 1000) / totalMs),
    msPerBundleP50: +sorted[Math.floor(sorted.length / 2)]!.toFixed(2),
    msPerBundleMax: +sorted[sorted.length - 1]!.toFixed(2),
  };
}

async function main(): Promise<void> {
  const config = parseUdfConfig({ server: { host: '127.0.0.1', port: 0 }, metrics: { port: -1 }, ...(MODELS !== undefined ? { scoring: { models: { dir: MODELS } } } : {}) });
  const t0 = performance.now();
  const perSymbol = buildWindows();
  const all = perSymbol.flat();
  const bytes = all.reduce((n, w) => n + w.tradesArrow.length, 0);
  console.log(`built ${all.length} windows (${SYMBOLS} symbols x ${VARIANTS}), ~${TRADES} trades each, ${(bytes / all.length / 1024).toFixed(1)} KiB Arrow per window, in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  // Warm every key's detectors (not timed).
  const raw = new Float64Array(RAW_SIZE);
  const scorer = new Scorer(config.scoring, config.limits);
  console.log(`detectors: ${Object.entries(scorer.roles).map(([n, r]) => `${n} (${r})`).join(', ')}; models ${scorer.modelVersion}${MODELS !== undefined ? ` from ${MODELS}` : ' (none: pass --models DIR, or train var/models/default with crypto-train)'}`);
  const warmStates = new Map<string, Uint8Array>();
  let t = performance.now();
  for (let tick = 0; tick < WARM_TICKS; tick++) for (const req of tickRequests(perSymbol, tick, 500, warmStates)) keep(warmStates, scorer.scoreBundle(req).response.states);
  console.log(`warmed ${SYMBOLS} keys over ${WARM_TICKS} windows each in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  // Parts: Arrow decode and the feature pass alone (after the warm-up, so the JIT is warm too).
  const partReps = 3;
  t = performance.now();
  for (let r = 0; r < partReps; r++) for (const w of all) decodeTrades(w.tradesArrow, 'bench');
  const decodeUs = ((performance.now() - t) * 1000) / (partReps * all.length);
  const decoded = all.map((w) => decodeTrades(w.tradesArrow, 'bench'));
  t = performance.now();
  for (let r = 0; r < partReps; r++) for (const c of decoded) computeFeatures(c, WINDOW_MS, 100, [0.001, -0.002, 0.0005, 0.0001], 5, raw);
  const featuresUs = ((performance.now() - t) * 1000) / (partReps * decoded.length);

  const stateBytes = [...warmStates.values()].reduce((n, s) => n + s.length, 0) / warmStates.size;

  const rows: Row[] = [];
  for (const size of BUNDLES) {
    const states = new Map(warmStates);
    const bundleMs: number[] = [];
    let windows = 0;
    let voted = 0;
    const start = performance.now();
    const cpu0 = process.cpuUsage();
    for (let tick = WARM_TICKS; tick < WARM_TICKS + TICKS; tick++) {
      for (const req of tickRequests(perSymbol, tick, size, states)) {
        const b0 = performance.now();
        const { response } = scorer.scoreBundle(req);
        bundleMs.push(performance.now() - b0);
        keep(states, response.states);
        windows += req.windows.length;
        // Windows with a vote take the explanation path (reasons), the expensive one.
        for (const r of response.results) if (r.votes > 0) voted++;
      }
    }
    rows.push(row('in-process', size, windows, performance.now() - start, bundleMs, process.cpuUsage(cpu0)));
    console.log(`bundle ${size}: ${((100 * voted) / windows).toFixed(1)} % of the windows had a vote (explained with reasons)`);
  }

  const server = await startUdfServer(config, { logger: silentLogger() });
  const client = createScoringClient(`127.0.0.1:${server.port}`, { 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 });
  try {
    for (const size of BUNDLES) {
      const states = new Map(warmStates);
      // One untimed call to open the channel.
      await scoreBundle(client, tickRequests(perSymbol, WARM_TICKS, size, new Map(warmStates))[0]!, 60_000);
      const bundleMs: number[] = [];
      let windows = 0;
      const start = performance.now();
      const cpu0 = process.cpuUsage();
      for (let tick = WARM_TICKS; tick < WARM_TICKS + TICKS; tick++) {
        // Sequential calls, as one Flink subtask sends one bundle at a time.
        for (const req of tickRequests(perSymbol, tick, size, states)) {
          const b0 = performance.now();
          keep(states, (await scoreBundle(client, req, 60_000)).states);
          bundleMs.push(performance.now() - b0);
          windows += req.windows.length;
        }
      }
      rows.push(row('grpc', size, windows, performance.now() - start, bundleMs, process.cpuUsage(cpu0)));
    }
  } finally {
    client.close();
    await server.shutdown(1_000);
  }

  console.log(`parts: Arrow decode ${decodeUs.toFixed(1)} µs/window, feature pass ${featuresUs.toFixed(1)} µs/window; state ${Math.round(stateBytes)} B/key`);
  console.log('mode        bundle  windows  µs/window  cpu µs/window  windows/s  ms/bundle p50  max');
  for (const r of rows) {
    console.log(`${r.mode.padEnd(11)} ${String(r.bundleSize).padStart(6)} ${String(r.windows).padStart(8)} ${r.usPerWindow.toFixed(1).padStart(10)} ${r.cpuUsPerWindow.toFixed(1).padStart(14)} ${String(r.windowsPerSecond).padStart(10)} ${r.msPerBundleP50.toFixed(2).padStart(14)} ${r.msPerBundleMax.toFixed(2).padStart(6)}`);
  }
  const out = {
    when: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version },
    params: { symbols: SYMBOLS, meanTradesPerWindow: TRADES, windowMs: WINDOW_MS, ticks: TICKS, warmTicks: WARM_TICKS, bundles: BUNDLES, modelVersion: scorer.modelVersion, detectors: scorer.roles },
    parts: { arrowDecodeUsPerWindow: +decodeUs.toFixed(2), featurePassUsPerWindow: +featuresUs.toFixed(2), stateBytesPerKey: Math.round(stateBytes) },
    results: rows,
  };
  const dir = new URL('../../../var/bench/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL('udf-server.json', dir), `${JSON.stringify(out, null, 2)}\n`);
  console.log(`wrote ${new URL('udf-server.json', dir).pathname}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
