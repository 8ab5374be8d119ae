/**
 * The model trainer behind `crypto-train` (decision 069): replays a recording through the sidecar's
 * own windowing and feature code (the same Scorer the backtest uses, no injections), turns each
 * key's time-ordered feature vectors into the z-space the model detectors' normaliser sees
 * (`zSpace`, packages/detectors/src/train/zspace.ts: score first, then learn, rows before the
 * warm-up skipped), and fits the reference isolation forest, k-means and diagonal GMM on all keys'
 * rows together (one shared model set; decision 011). Writes the three models (decision 012
 * formats) and manifest.json (udf-server/src/models.ts): the model version, the z-space options,
 * each file's sha256 and every model's clean-score quantiles on its training windows, scored
 * through the detectors themselves.
 *
 * Deterministic: the same recording bytes, options and seed give byte-identical files (no
 * timestamps, no paths beyond file names, seeded PRNGs, keys in sorted order).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import {
  DEFAULT_SCALER,
  fitGaussianMixture,
  fitIsolationForest,
  fitKMeans,
  GaussianMixtureDetector,
  IsolationForestDetector,
  KMeansDetector,
  zSpace,
  type IsolationForestModel,
  type ModelDetector,
} from '@crypto-anomaly/detectors';
import { bundledRecordingPaths } from '@crypto-anomaly/replay';
import {
  DEFAULT_VOTE_FEATURES,
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  MODEL_FILES,
  MODEL_KINDS,
  modelSetVersion,
  parseScoringConfig,
  UDF_FEATURES,
  type CleanScoreQuantiles,
  type ModelKind,
  type ModelManifest,
  type ScoringConfig,
} from '@crypto-anomaly/scoring';
import { FeatureSchema } from '@crypto-anomaly/detectors';
import { bookSummaries, loadBook, loopBook } from './book.js';
import { runScorer } from './run.js';
import { loadTape, loopTape, type Tape } from './tape.js';
import { bundlesOf } from './windows.js';

export const TRAINER_VERSION = 'crypto-train 1 (@crypto-anomaly/backtest 0.1.0)';

/**
 * Default training input: the FIRST six minutes of the bundled tape (2024-08-08 23:54:13 ->
 * 23:59:59, `*_20240808.gz`), so the last five (`*_20240809.gz`) stay out of sample for the
 * backtest (decision 069).
 */
export const DEFAULT_TRAINING_FILES: readonly string[] = Object.freeze(bundledRecordingPaths().filter((p) => basename(p).includes('_20240808')));

export interface TrainOptions {
  /** Recording files; default DEFAULT_TRAINING_FILES. */
  readonly files?: readonly string[];
  readonly symbols?: readonly string[];
  /** Passes of the tape back to back (tape.ts loopTape), like the backtest; default 20. */
  readonly loop?: number;
  /** Window intervals whose windows are training rows; default 10s and 1m (what the Flink job scores). */
  readonly intervals?: readonly string[];
  /** Model inputs; default the generic detectors' vote features (config DEFAULT_VOTE_FEATURES). */
  readonly features?: readonly string[];
  readonly seed?: number;
  /** The normaliser the sidecar will use (scoring.models.halfLife, the model detectors' warmUp). */
  readonly halfLife?: number;
  readonly warmUp?: number;
  readonly trees?: number;
  readonly sampleSize?: number;
  readonly clusters?: number;
  readonly components?: number;
  /** The sidecar's scoring config (momentum windows shape the features); default the defaults. */
  readonly scoring?: ScoringConfig;
  /** Already loaded tape (tests); `files` still names it in the metadata. */
  readonly tape?: Tape;
  readonly onProgress?: (message: string) => void;
}

export interface TrainedModelSet {
  readonly manifest: ModelManifest;
  /** File name -> exact file text (the three models, then manifest.json). */
  readonly files: ReadonlyMap<string, string>;
  readonly stats: { readonly keys: Record<string, { windows: number; rows: number }>; readonly rows: number; readonly seconds: number };
}

/** The trainer's inputs that decide its output: what a cache of trained models is keyed by. */
export function trainingInputs(o: TrainOptions = {}): Record<string, unknown> {
  const files = o.files ?? DEFAULT_TRAINING_FILES;
  return {
    trainer: TRAINER_VERSION,
    recordings: files.map((f) => ({ file: basename(f), sha256: sha256(readFileSync(f)) })),
    symbols: o.symbols ?? null,
    loop: o.loop ?? 20,
    intervals: o.intervals ?? ['10s', '1m'],
    features: o.features ?? DEFAULT_VOTE_FEATURES,
    seed: o.seed ?? 1,
    halfLife: o.halfLife ?? DEFAULT_SCALER.halfLife,
    warmUp: o.warmUp ?? 30,
    trees: o.trees ?? 50,
    sampleSize: o.sampleSize ?? 256,
    clusters: o.clusters ?? 4,
    components: o.components ?? 3,
    momentumWindows: (o.scoring ?? parseScoringConfig({})).momentumWindows,
  };
}

export async function trainModels(o: TrainOptions = {}): Promise<TrainedModelSet> {
  const started = Date.now();
  const progress = o.onProgress ?? ((): void => {});
  const inputs = trainingInputs(o);
  const files = o.files ?? DEFAULT_TRAINING_FILES;
  const features = [...(o.features ?? DEFAULT_VOTE_FEATURES)];
  const seed = o.seed ?? 1;
  const halfLife = o.halfLife ?? DEFAULT_SCALER.halfLife;
  const warmUp = o.warmUp ?? 30;
  const loop = o.loop ?? 20;
  const intervals = o.intervals ?? ['10s', '1m'];
  const schema = new FeatureSchema(UDF_FEATURES);
  for (const f of features) if (!schema.names.includes(f)) throw new RangeError(`features: '${f}' is not a sidecar feature (${schema.names.join(', ')})`);

  progress(`reading ${files.length} recording file(s)`);
  const loaded = o.tape ?? (await loadTape({ files, ...(o.symbols !== undefined ? { symbols: o.symbols } : {}) }));
  if (loaded.size === 0) throw new Error('the recording holds no trades');
  const { tape, spanMs } = loopTape(loaded, loop, 60_000);
  // Book summaries only change spread_bps; read the quotes only when a model uses it.
  let books: ((interval: string) => ReturnType<typeof bookSummaries>) | undefined;
  if (features.includes('spread_bps') && o.tape === undefined) {
    const book = loopBook(await loadBook({ files, ...(o.symbols !== undefined ? { symbols: o.symbols } : {}) }), loaded, loop, spanMs);
    books = (interval) => bookSummaries(book, interval === '1m' ? 60_000 : 10_000);
  }

  // The sidecar's own windows and features: a Scorer without models (its detectors do not matter here).
  const base = o.scoring ?? parseScoringConfig({});
  const { dir: _dir, ...models } = base.models;
  const scoring: ScoringConfig = { ...base, models };
  progress(`replaying ${loop} pass(es) through the sidecar's windowing and features`);
  const run = runScorer(bundlesOf(tape, intervals, books), scoring);
  const byKey = new Map<string, Float64Array[]>();
  for (const w of run.windows) {
    const key = `${w.symbol}/${w.interval}`;
    let rows = byKey.get(key);
    if (rows === undefined) byKey.set(key, (rows = []));
    rows.push(schema.vectorise(w.features));
  }
  const keys = [...byKey.keys()].sort();
  const rows: Float64Array[] = [];
  const keyStats: Record<string, { windows: number; rows: number }> = {};
  for (const key of keys) {
    const z = zSpace(schema, byKey.get(key)!, features, { halfLife, warmUp, clip: DEFAULT_SCALER.clip });
    keyStats[key] = { windows: byKey.get(key)!.length, rows: z.length };
    rows.push(...z);
  }
  if (rows.length < 2) throw new Error(`only ${rows.length} training row(s) after the warm-up of ${warmUp} windows per key; use a longer recording or --loop`);

  progress(`fitting isolation forest, k-means and GMM on ${rows.length} z-vectors (${features.length} features)`);
  const recordings = inputs['recordings'];
  const metadata = (trainer: string): Record<string, unknown> => ({
    trainer,
    createdBy: TRAINER_VERSION,
    seed,
    trainedFrom: recordings,
    loop,
    intervals,
    windows: { rows: rows.length, keys: keyStats },
    zSpace: { halfLife, clip: DEFAULT_SCALER.clip, warmUp },
  });
  const forest = fitIsolationForest(rows, features, { trees: o.trees ?? 50, sampleSize: o.sampleSize ?? 256, seed });
  const docs: Record<ModelKind, Record<string, unknown>> = {
    isolationForest: { ...compactForest(forest), metadata: metadata('@crypto-anomaly/detectors fitIsolationForest') },
    kmeans: { ...fitKMeans(rows, features, { k: o.clusters ?? 4, seed }).model, metadata: metadata('@crypto-anomaly/detectors fitKMeans') },
    gmm: { ...fitGaussianMixture(rows, features, { components: o.components ?? 3, seed }), metadata: metadata('@crypto-anomaly/detectors fitGaussianMixture') },
  };
  const texts = {} as Record<ModelKind, string>;
  for (const k of MODEL_KINDS) texts[k] = `${JSON.stringify(docs[k])}\n`;

  // Clean-score quantiles through the detectors themselves, from the files' exact text.
  progress('scoring the training windows with the trained models');
  const cleanScores = {} as Record<ModelKind, CleanScoreQuantiles>;
  for (const k of MODEL_KINDS) {
    const json: unknown = JSON.parse(texts[k]);
    const options = { warmUp, halfLife };
    const detector: ModelDetector =
      k === 'isolationForest' ? new IsolationForestDetector(schema, json, options) : k === 'kmeans' ? new KMeansDetector(schema, json, options) : new GaussianMixtureDetector(schema, json, options);
    const scores: number[] = [];
    for (const key of keys) {
      detector.reset();
      for (const x of byKey.get(key)!) {
        const warm = detector.isWarm();
        const s = detector.scoreThenLearn(x);
        if (warm) scores.push(s);
      }
    }
    cleanScores[k] = quantiles(scores);
  }
  const manifest: ModelManifest = {
    format: MANIFEST_FORMAT,
    formatVersion: 1,
    modelVersion: modelSetVersion(Object.fromEntries(MODEL_KINDS.map((k) => [k, JSON.parse(texts[k]) as unknown])) as Record<ModelKind, unknown>),
    features,
    zSpace: { halfLife, clip: DEFAULT_SCALER.clip, warmUp },
    files: Object.fromEntries(MODEL_KINDS.map((k) => [k, { file: MODEL_FILES[k], sha256: sha256(texts[k]) }])) as ModelManifest['files'],
    cleanScores,
    metadata: { createdBy: TRAINER_VERSION, seed, trainedFrom: recordings, loop, intervals, windows: { rows: rows.length, keys: keyStats }, inputs: sha256(JSON.stringify(inputs)).slice(0, 16) },
  };
  const out = new Map<string, string>();
  for (const k of MODEL_KINDS) out.set(MODEL_FILES[k], texts[k]);
  out.set(MANIFEST_FILE, `${JSON.stringify(manifest, null, 2)}\n`);
  return { manifest, files: out, stats: { keys: keyStats, rows: rows.length, seconds: (Date.now() - started) / 1000 } };
}

/**
 * Writes the set into `dir`: each file to a temporary name, then renamed, manifest.json last, so
 * a sidecar watching the directory never loads a half-written file (and a model set caught
 * between two renames fails its version check and is retried on the next change).
 */
export function writeModelSet(dir: string, set: TrainedModelSet): void {
  mkdirSync(dir, { recursive: true });
  const names = [...set.files.keys()].filter((n) => n !== MANIFEST_FILE);
  for (const name of [...names, MANIFEST_FILE]) {
    const tmp = join(dir, `.${name}.${process.pid}.tmp`);
    writeFileSync(tmp, set.files.get(name)!);
    renameSync(tmp, join(dir, name));
  }
}

/** Split thresholds to 7 significant digits: half the file, and scores come from the file's values anyway. */
function compactForest(m: IsolationForestModel): IsolationForestModel {
  return { ...m, trees: m.trees.map((t) => ({ ...t, threshold: t.threshold.map((v) => Number(v.toPrecision(7))) })) };
}

function quantiles(scores: number[]): CleanScoreQuantiles {
  const s = [...scores].sort((a, b) => a - b);
  const at = (p: number): number => (s.length === 0 ? 0 : round(s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!));
  return { windows: s.length, p50: at(0.5), p99: at(0.99), p999: at(0.999), max: s.length === 0 ? 0 : round(s[s.length - 1]!) };
}

const round = (v: number): number => Number(v.toPrecision(6));

function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
