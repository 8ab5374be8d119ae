import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AppError, silentLogger, type Logger } from '@crypto-anomaly/common';
import { DEFAULT_KAFKA_VERSION, KAFKA_POM, kafkaCacheDir } from './paths.js';

const execFileAsync = promisify(execFile);

export interface KafkaClasspathOptions {
  /** Kafka release on Maven Central (org.apache.kafka:kafka_2.13), default DEFAULT_KAFKA_VERSION. */
  readonly version?: string;
  /** Overrides the cache directory (default kafkaCacheDir(version)). */
  readonly cacheDir?: string;
  /** Maven executable, default `mvn` on PATH. */
  readonly mvn?: string;
  readonly logger?: Logger;
  /** Told before Maven runs, so a CLI does not look hung during the one-off download. */
  readonly onProgress?: (message: string) => void;
}

export interface KafkaClasspath {
  readonly version: string;
  /** Directory holding every runtime jar of the broker. */
  readonly libsDir: string;
  /** Absolute jar paths, in a stable order, ready to join with ':' for `java -cp`. */
  readonly jars: readonly string[];
  /** True when this call ran Maven (a cold cache). */
  readonly resolved: boolean;
}

// Written last, after the jars are in place: its presence is what makes a cache entry valid, so an
// interrupted download never passes for a complete one.
const MARKER = 'classpath.json';

/**
 * Returns the broker's runtime jars, running Maven only when the cache has no complete copy for
 * this version. `dependency:copy-dependencies` copies the jars into the cache (about 45 MB) rather
 * than pointing into ~/.m2, so cleaning the Maven repository does not break a cached broker.
 */
export async function resolveKafkaClasspath(options: KafkaClasspathOptions = {}): Promise<KafkaClasspath> {
  const version = options.version ?? DEFAULT_KAFKA_VERSION;
  if (!/^[0-9A-Za-z.\-]+$/.test(version)) throw new AppError('CONFIG', `invalid Kafka version "${version}"`);
  const log = options.logger ?? silentLogger();
  const cacheDir = options.cacheDir ?? kafkaCacheDir(version);
  const libsDir = join(cacheDir, 'libs');

  const cached = readCached(cacheDir, libsDir);
  if (cached !== undefined) return { version, libsDir, jars: cached, resolved: false };

  log.info({ version, cacheDir }, 'resolving Kafka broker jars with Maven (first run only)');
  options.onProgress?.(`downloading Kafka ${version} broker jars with Maven into ${cacheDir} (first run only)`);
  mkdirSync(cacheDir, { recursive: true });
  // Download into a private directory and rename it into place, so a concurrent resolver (two test
  // files starting at once) never sees a half-filled libs dir.
  const staging = join(cacheDir, `libs.tmp-${process.pid}-${Date.now()}`);
  try {
    await execFileAsync(
      options.mvn ?? 'mvn',
      [
        '-q', '-B', '-Dstyle.color=never',
        '-f', KAFKA_POM,
        `-Dkafka.version=${version}`,
        'dependency:copy-dependencies',
        '-DincludeScope=runtime',
        `-DoutputDirectory=${staging}`,
      ],
      { maxBuffer: 16 * 1024 * 1024, timeout: 15 * 60_000 },
    );
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    const e = err as { stdout?: string; stderr?: string; code?: unknown };
    const output = `${e.stdout ?? ''}${e.stderr ?? ''}`.trim().split('\n').slice(-20).join('\n');
    if (e.code === 'ENOENT') {
      throw new AppError('MAVEN_MISSING', 'Maven (mvn) is not on PATH; it is needed once to download the Kafka broker jars', { cause: err });
    }
    throw new AppError('MAVEN_FAILED', `Maven could not resolve org.apache.kafka:kafka_2.13:${version}:\n${output}`, { cause: err });
  }
  const jars = listJars(staging);
  if (!jars.some((j) => j.startsWith('kafka_2.13-'))) {
    rmSync(staging, { recursive: true, force: true });
    throw new AppError('MAVEN_FAILED', `Maven finished but ${staging} holds no kafka_2.13 jar`);
  }
  rmSync(libsDir, { recursive: true, force: true });
  try {
    renameSync(staging, libsDir);
  } catch (err) {
    // Another process won the race and renamed its (complete, same-version) copy into place
    // between our rm and rename: use that one.
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(libsDir) || !listJars(libsDir).some((j) => j.startsWith('kafka_2.13-'))) throw err;
  }
  const placed = listJars(libsDir);
  writeFileSync(join(cacheDir, MARKER), `${JSON.stringify({ version, jars: placed, resolvedAt: new Date().toISOString() }, null, 2)}\n`);
  log.info({ version, jars: placed.length }, 'Kafka broker jars cached');
  return { version, libsDir, jars: placed.map((j) => join(libsDir, j)), resolved: true };
}

function listJars(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.jar')).sort();
}

function readCached(cacheDir: string, libsDir: string): string[] | undefined {
  const marker = join(cacheDir, MARKER);
  if (!existsSync(marker)) return undefined;
  try {
    const { jars } = JSON.parse(readFileSync(marker, 'utf8')) as { jars?: unknown };
    if (!Array.isArray(jars) || jars.length === 0) return undefined;
    const paths = jars.map((j) => join(libsDir, String(j)));
    // A partially deleted cache counts as no cache: resolve again rather than fail at class loading.
    return paths.every((p) => existsSync(p)) ? paths : undefined;
  } catch {
    return undefined;
  }
}
