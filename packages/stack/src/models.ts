/**
 * The local stack's default models (decision 069): trained once with crypto-train's defaults into a
 * cache directory keyed by a hash of everything the training depends on (the trainer version, the
 * recording files' sha256, every option), so a changed recording or trainer retrains and an
 * unchanged one is reused. Lives under var/models/ (git-ignored, never committed).
 */
import { createHash } from 'node:crypto';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { trainingInputs, trainModels, writeModelSet, type TrainOptions } from '@crypto-anomaly/backtest';
import { REPO_ROOT } from '@crypto-anomaly/devkit';
import { readModelDir } from '@crypto-anomaly/scoring';

export const MODELS_CACHE_DIR = join(REPO_ROOT, 'var', 'models');

export interface DefaultModels {
  readonly dir: string;
  readonly version: string;
  /** False when the cache already held them. */
  readonly trained: boolean;
}

/** The cached model set for `options` (crypto-train defaults when empty), training it first if missing or unreadable. */
export async function ensureModels(options: { cacheDir?: string; train?: TrainOptions; onProgress?: (message: string) => void } = {}): Promise<DefaultModels> {
  const inputs = trainingInputs(options.train);
  const key = createHash('sha256').update(JSON.stringify(inputs)).digest('hex').slice(0, 12);
  const dir = join(options.cacheDir ?? MODELS_CACHE_DIR, `default-${key}`);
  if (existsSync(join(dir, 'manifest.json'))) {
    try {
      return { dir, version: readModelDir(dir).version, trained: false };
    } catch (err) {
      options.onProgress?.(`cached models in ${dir} are unreadable (${(err as Error).message}); training them again`);
    }
  }
  options.onProgress?.(`training the default models once into ${dir} (a few seconds; cached for the next start)`);
  const set = await trainModels(options.train ?? {});
  // Written beside the target and renamed: a crash mid-way never leaves a half-written cache entry.
  const tmp = `${dir}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  writeModelSet(tmp, set);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return { dir, version: set.manifest.modelVersion, trained: true };
}
