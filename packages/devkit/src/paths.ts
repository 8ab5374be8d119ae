import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Kafka release the devkit runs unless told otherwise (Maven Central org.apache.kafka:kafka_2.13). */
export const DEFAULT_KAFKA_VERSION = '4.2.1';

// Compiled code lives in packages/devkit/dist/src; the package root is two levels up from there
// and the repository root two more. Computed from this module so it works from any cwd.
const here = dirname(fileURLToPath(import.meta.url));
export const PACKAGE_ROOT = resolve(here, '..', '..');
export const REPO_ROOT = resolve(PACKAGE_ROOT, '..', '..');

/** The pom that names the broker's jars; Maven resolves it, nothing is built from it. */
export const KAFKA_POM = join(PACKAGE_ROOT, 'kafka', 'pom.xml');

/** Where broker data goes when the caller names no directory: var/kafka (git-ignored). */
export const DEFAULT_DATA_DIR = join(REPO_ROOT, 'var', 'kafka');

/**
 * Per-version cache of the broker jars, outside the repository so no jar is ever committed:
 * ${XDG_CACHE_HOME:-$HOME/.cache}/crypto-anomaly/kafka-<version>/.
 */
export function kafkaCacheDir(version: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheBase(env), 'crypto-anomaly', `kafka-${version}`);
}

/** ${XDG_CACHE_HOME:-$HOME/.cache}. */
export function cacheBase(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env['XDG_CACHE_HOME'];
  return xdg !== undefined && xdg !== '' ? xdg : join(env['HOME'] ?? homedir(), '.cache');
}
