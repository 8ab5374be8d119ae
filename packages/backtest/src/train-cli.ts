#!/usr/bin/env node
/**
 * crypto-train: trains the sidecar's shared models (isolation forest, k-means, diagonal GMM) on a
 * recording replayed through the sidecar's own windowing and features (train.ts, decision 069).
 *
 *   crypto-train [recording files...] [--out var/models/default] [--loop 20] [--intervals 10s,1m]
 *                [--symbols A,B] [--features a,b] [--seed 1] [--half-life 120] [--warm-up 30]
 *                [--trees 100] [--sample-size 256] [--clusters 4] [--components 3] [--config udf.json]
 *
 * Default recording: the first six minutes of the bundled tape (data/recordings/*_20240808.gz);
 * pass files to train on others (e.g. all four bundled files). Writes <out>/isolation-forest.json,
 * kmeans.json, gmm.json and manifest.json, and prints one summary line to stdout. Progress goes to
 * stderr, only when the run takes more than about a second. Exit codes: 0 done, 1 failure, 2 bad
 * arguments.
 */
import { resolve } from 'node:path';
import { ConfigError, describeError } from '@crypto-anomaly/common';
import { loadScoringConfig } from '@crypto-anomaly/scoring';
import { parseFlags } from './flags.js';
import { trainModels, writeModelSet } from './train.js';

const USAGE = `usage: crypto-train [recording files...] [options]
  replays a recording (default: the bundled tape's first day, data/recordings/*_20240808.gz) through the
  sidecar's windowing and features, and trains the shared models the sidecar's scoring.models.dir points at
    --out DIR           output directory (default var/models/default)
    --loop N            passes of the tape back to back, like crypto-backtest (default 20)
    --intervals 10s,1m  windows used as training rows (default 10s,1m)
    --symbols A,B       only these symbols
    --features a,b      model inputs (default the generic detectors' vote features)
    --seed N            seed of every fit (default 1)
    --half-life N       normaliser half-life, windows = the sidecar's scoring.models.halfLife (default 120)
    --warm-up N         normaliser warm-up, windows = the model detectors' warmUp (default 30)
    --trees N --sample-size N   isolation forest (default 50, 256: 50 trees cost ~4 µs per window, 100 ~9)
    --clusters N        k-means k (default 4)
    --components N      GMM components (default 3)
    --config FILE       udf-server config (its scoring.momentumWindows and models.halfLife are used)`;

async function main(): Promise<void> {
  const f = parseFlags(
    Object.fromEntries(['out', 'loop', 'intervals', 'symbols', 'features', 'seed', 'half-life', 'warm-up', 'trees', 'sample-size', 'clusters', 'components', 'config'].map((n) => [n, { type: 'string' as const }])),
    USAGE,
  );
  if (f === undefined) return;
  const configFile = f.string('config');
  const config = { scoring: loadScoringConfig({ file: configFile }) };
  const intervals = f.list('intervals');
  for (const i of intervals ?? []) if (i !== '10s' && i !== '1m') throw new ConfigError(`--intervals: ${i} is not 10s or 1m`);
  const halfLifeFlag = f.string('half-life');
  const halfLife = halfLifeFlag === undefined ? config.scoring.models.halfLife : Number(halfLifeFlag);
  if (!(halfLife >= 1 && halfLife <= 1e6)) throw new ConfigError(`--half-life must be a number in [1, 1e6]`);
  const out = resolve(f.string('out') ?? 'var/models/default');

  // Progress only when it takes a while: messages are held for the first second.
  const started = Date.now();
  let last = '';
  let shown = false;
  const show = (m: string): void => {
    shown = true;
    process.stderr.write(`crypto-train: ${m} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  };
  const timer = setTimeout(() => show(last), 1_000);
  const onProgress = (m: string): void => {
    last = m;
    // Synchronous phases block the timer: past the first second, say each phase as it starts.
    if (shown || Date.now() - started > 1_000) show(m);
  };
  const seed = f.int('seed', 0);
  const loop = f.int('loop', 1);
  const warmUp = f.int('warm-up', 2);
  const trees = f.int('trees', 1);
  const sampleSize = f.int('sample-size', 2);
  const clusters = f.int('clusters', 1);
  const components = f.int('components', 1);
  const features = f.list('features');
  const symbols = f.list('symbols');
  let set;
  try {
    set = await trainModels({
      ...(f.positionals.length > 0 ? { files: f.positionals } : {}),
      ...(symbols !== undefined ? { symbols: symbols.map((s) => s.toUpperCase()) } : {}),
      ...(loop !== undefined ? { loop } : {}),
      ...(intervals !== undefined ? { intervals } : {}),
      ...(features !== undefined ? { features } : {}),
      ...(seed !== undefined ? { seed } : {}),
      halfLife,
      ...(warmUp !== undefined ? { warmUp } : {}),
      ...(trees !== undefined ? { trees } : {}),
      ...(sampleSize !== undefined ? { sampleSize } : {}),
      ...(clusters !== undefined ? { clusters } : {}),
      ...(components !== undefined ? { components } : {}),
      scoring: config.scoring,
      onProgress,
    });
  } finally {
    clearTimeout(timer);
  }
  writeModelSet(out, set);
  const m = set.manifest;
  const q = (k: 'isolationForest' | 'kmeans' | 'gmm'): string => `${k} p99 ${m.cleanScores[k].p99} max ${m.cleanScores[k].max}`;
  process.stdout.write(`${m.modelVersion}: ${set.stats.rows} z-vectors (${Object.keys(set.stats.keys).join(', ')}) in ${set.stats.seconds.toFixed(1)} s -> ${out}; clean scores ${q('isolationForest')}, ${q('kmeans')}, ${q('gmm')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`crypto-train: ${describeError(err)}\n`);
  process.exit(err instanceof ConfigError || err instanceof RangeError ? 2 : 1);
});
