/**
 * The offline-trained model set the sidecar's model detectors score with (decision 069): one
 * directory, as `crypto-train --out DIR` (packages/backtest) writes it,
 *
 *   manifest.json          which files, their version, the z-space they were trained in, clean-score quantiles
 *   isolation-forest.json  'crypto-anomaly.isolation-forest' (decision 012)
 *   kmeans.json            'crypto-anomaly.kmeans'
 *   gmm.json               'crypto-anomaly.gaussian-mixture'
 *
 * Read and validated only when the config is loaded (start-up, reload, a file in the directory
 * changed), never while scoring. Every failure is a ConfigError naming the file and the field.
 * The model version is a short sha256 over the three models' canonical JSON (keys sorted), so
 * the same models give the same version on every host whatever their whitespace; the manifest
 * states it and the loader recomputes it: a directory caught mid-write (or edited by hand) does
 * not load.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '@crypto-anomaly/common';
import { parseGaussianMixture, parseIsolationForest, parseKMeans, type GaussianMixtureModel, type IsolationForestModel, type KMeansModel } from '@crypto-anomaly/detectors';
import { canonicalJson, type ScoringConfig } from './config.js';
import { UDF_FEATURES } from './features.js';

export const MODEL_KINDS = ['isolationForest', 'kmeans', 'gmm'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];
export const MANIFEST_FILE = 'manifest.json';
export const MODEL_FILES: Readonly<Record<ModelKind, string>> = Object.freeze({ isolationForest: 'isolation-forest.json', kmeans: 'kmeans.json', gmm: 'gmm.json' });
/** Detector names in the ensemble blob and in detectorScores. */
export const MODEL_DETECTOR_NAMES: Readonly<Record<ModelKind, string>> = Object.freeze({ isolationForest: 'isolation-forest', kmeans: 'kmeans', gmm: 'gmm' });
export const MANIFEST_FORMAT = 'crypto-anomaly.model-set';

export interface CleanScoreQuantiles {
  /** Warm training windows scored. */
  readonly windows: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

export interface ModelManifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly formatVersion: 1;
  /** 'mdl-' + 12 hex of sha256 over the three models' canonical JSON (modelSetVersion). */
  readonly modelVersion: string;
  /** The models' inputs, in order (each model file has the same list). */
  readonly features: readonly string[];
  /** The per-symbol normaliser the training rows came from (train/zspace.ts). */
  readonly zSpace: { readonly halfLife: number; readonly clip: number; readonly warmUp: number };
  readonly files: Readonly<Record<ModelKind, { readonly file: string; readonly sha256: string }>>;
  /** Each model's scores on its own training windows (what a threshold is chosen against). */
  readonly cleanScores: Readonly<Record<ModelKind, CleanScoreQuantiles>>;
  readonly metadata?: Readonly<Record<string, unknown>>;
}

export interface ScoringModels {
  /** The directory as resolved when loaded. */
  readonly dir: string;
  readonly version: string;
  readonly manifest: ModelManifest;
  readonly isolationForest: IsolationForestModel;
  readonly kmeans: KMeansModel;
  readonly gmm: GaussianMixtureModel;
}

/** 'mdl-' + the first 12 hex digits of sha256 over the three models' canonical JSON, in MODEL_KINDS order. */
export function modelSetVersion(docs: Readonly<Record<ModelKind, unknown>>): string {
  const h = createHash('sha256');
  for (const k of MODEL_KINDS) h.update(canonicalJson(docs[k])).update('\n');
  return 'mdl-' + h.digest('hex').slice(0, 12);
}

/** The model files a config's model set consists of (what a watcher should poll); none without models.dir. */
export function modelFilesOf(scoring: ScoringConfig): string[] {
  const dir = scoring.models.dir;
  if (dir === undefined) return [];
  const abs = resolve(dir);
  return [MANIFEST_FILE, ...MODEL_KINDS.map((k) => MODEL_FILES[k])].map((f) => join(abs, f));
}

/** Loads `scoring.models.dir` (undefined when absent). Throws ConfigError naming the file and field. */
export function loadScoringModels(scoring: ScoringConfig): ScoringModels | undefined {
  const dir = scoring.models.dir;
  if (dir === undefined) return undefined;
  const models = readModelDir(dir);
  const where = `scoring.models.dir: ${join(models.dir, MANIFEST_FILE)}`;
  if (models.manifest.zSpace.halfLife !== scoring.models.halfLife) {
    throw new ConfigError(
      `scoring.models.halfLife: ${scoring.models.halfLife} differs from the half-life the models were trained with (${where}: zSpace.halfLife ${models.manifest.zSpace.halfLife}); set it to ${models.manifest.zSpace.halfLife} or retrain (crypto-train --half-life ${scoring.models.halfLife})`,
    );
  }
  if (scoring.modelVersion !== 'none' && scoring.modelVersion !== models.version) {
    throw new ConfigError(`scoring.modelVersion: pinned to ${scoring.modelVersion}, but ${where} holds models ${models.version}`);
  }
  return models;
}

/** Reads and validates a model directory (manifest, three models, their version and features). */
export function readModelDir(dirIn: string): ScoringModels {
  const dir = resolve(dirIn);
  const fail = (file: string, detail: string): never => {
    throw new ConfigError(`scoring.models.dir: ${join(dir, file)}: ${detail}`);
  };
  const readJson = (file: string): unknown => {
    let text: string;
    try {
      text = readFileSync(join(dir, file), 'utf8');
    } catch (err) {
      return fail(file, `cannot read: ${(err as Error).message} (train models with: crypto-train --out ${dirIn})`);
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      return fail(file, `not valid JSON: ${(err as Error).message}`);
    }
  };
  const manifest = parseManifest(readJson(MANIFEST_FILE), (detail) => fail(MANIFEST_FILE, detail));
  const docs = {} as Record<ModelKind, unknown>;
  for (const k of MODEL_KINDS) docs[k] = readJson(MODEL_FILES[k]);
  const parse = <T>(kind: ModelKind, fn: (json: unknown) => T): T => {
    try {
      return fn(docs[kind]);
    } catch (err) {
      return fail(MODEL_FILES[kind], (err as Error).message);
    }
  };
  const isolationForest = parse('isolationForest', parseIsolationForest);
  const kmeans = parse('kmeans', parseKMeans);
  const gmm = parse('gmm', parseGaussianMixture);
  const schema = UDF_FEATURES.map((f) => f.name);
  for (const [kind, m] of [['isolationForest', isolationForest], ['kmeans', kmeans], ['gmm', gmm]] as const) {
    const unknown = m.features.find((f) => !schema.includes(f));
    if (unknown !== undefined) fail(MODEL_FILES[kind], `'features' names '${unknown}', which is not a sidecar feature (${schema.join(', ')})`);
    if (m.features.join(',') !== manifest.features.join(',')) fail(MODEL_FILES[kind], `'features' (${m.features.join(', ')}) differ from ${MANIFEST_FILE} 'features' (${manifest.features.join(', ')})`);
  }
  const version = modelSetVersion(docs);
  if (version !== manifest.modelVersion) {
    fail(MANIFEST_FILE, `'modelVersion' is ${manifest.modelVersion} but the model files hash to ${version}: a model file changed after training, or the directory is being written`);
  }
  return { dir, version, manifest, isolationForest, kmeans, gmm };
}

function parseManifest(json: unknown, fail: (detail: string) => never): ModelManifest {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return fail('not a JSON object');
  const m = json as Record<string, unknown>;
  if (m['format'] !== MANIFEST_FORMAT) fail(`'format' is ${JSON.stringify(m['format'])}, expected '${MANIFEST_FORMAT}'`);
  if (m['formatVersion'] !== 1) fail(`'formatVersion' ${JSON.stringify(m['formatVersion'])} is not supported (this build reads 1)`);
  const version = m['modelVersion'];
  if (typeof version !== 'string' || !/^mdl-[0-9a-f]{12}$/.test(version)) fail(`'modelVersion' must be 'mdl-' and 12 hex digits, got ${JSON.stringify(version)}`);
  const features = m['features'];
  if (!Array.isArray(features) || features.length === 0 || !features.every((f) => typeof f === 'string')) fail("'features' must be a non-empty array of feature names");
  const zs = m['zSpace'] as Record<string, unknown> | undefined;
  for (const f of ['halfLife', 'clip', 'warmUp']) {
    const v = zs?.[f];
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) fail(`'zSpace.${f}' must be a positive number, got ${JSON.stringify(v)}`);
  }
  const files = m['files'] as Record<string, { file?: unknown; sha256?: unknown }> | undefined;
  const clean = m['cleanScores'] as Record<string, Record<string, unknown>> | undefined;
  for (const k of MODEL_KINDS) {
    if (files?.[k]?.file !== MODEL_FILES[k]) fail(`'files.${k}.file' must be '${MODEL_FILES[k]}', got ${JSON.stringify(files?.[k]?.file)}`);
    if (typeof files[k]!.sha256 !== 'string') fail(`'files.${k}.sha256' must be a string`);
    for (const q of ['windows', 'p50', 'p99', 'p999', 'max']) {
      const v = clean?.[k]?.[q];
      if (typeof v !== 'number' || !Number.isFinite(v)) fail(`'cleanScores.${k}.${q}' must be a finite number, got ${JSON.stringify(v)}`);
    }
  }
  return m as unknown as ModelManifest;
}
