import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { AppError, silentLogger, sleep, type Logger } from '@crypto-anomaly/common';
import { findFreePort } from './broker-config.js';
import { PACKAGE_ROOT, REPO_ROOT, cacheBase } from './paths.js';
import { isAlive, killWithParent, terminate } from './process.js';

const execFileAsync = promisify(execFile);

/** Adobe S3Mock release on Maven Central (com.adobe.testing:s3mock, classifier exec). */
export const DEFAULT_S3MOCK_VERSION = '5.2.0';
export const S3MOCK_POM = join(PACKAGE_ROOT, 's3mock', 'pom.xml');
/** Where the server keeps buckets when the caller names no directory: var/s3 (git-ignored). */
export const DEFAULT_S3_DATA_DIR = join(REPO_ROOT, 'var', 's3');
/** Buckets the platform uses: Flink checkpoints and savepoints. */
export const DEFAULT_BUCKETS: readonly string[] = Object.freeze(['flink-checkpoints']);
/** S3Mock accepts any credentials; these are what clients and Flink are configured with. */
export const S3_LOCAL_CREDENTIALS = Object.freeze({ accessKeyId: 'devkit', secretAccessKey: 'devkit-secret' });

export function s3mockCacheDir(version: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheBase(env), 'crypto-anomaly', `s3mock-${version}`);
}

/**
 * The server's fat jar, downloaded by Maven once per version and cached outside the repository.
 * Copied to a private name and renamed into place so a concurrent resolver never sees half a jar.
 */
export async function resolveS3MockJar(options: { version?: string; mvn?: string; onProgress?: (m: string) => void } = {}): Promise<string> {
  const version = options.version ?? DEFAULT_S3MOCK_VERSION;
  if (!/^[0-9A-Za-z.\-]+$/.test(version)) throw new AppError('CONFIG', `invalid S3Mock version "${version}"`);
  const dir = s3mockCacheDir(version);
  const jar = join(dir, `s3mock-${version}-exec.jar`);
  if (existsSync(jar)) return jar;
  options.onProgress?.(`downloading S3Mock ${version} with Maven into ${dir} (first run only)`);
  mkdirSync(dir, { recursive: true });
  const staging = join(dir, `tmp-${process.pid}-${Date.now()}`);
  try {
    await execFileAsync(
      options.mvn ?? 'mvn',
      ['-q', '-B', '-ntp', '-Dstyle.color=never', '-f', S3MOCK_POM, `-Ds3mock.version=${version}`, 'dependency:copy-dependencies', `-DoutputDirectory=${staging}`],
      { maxBuffer: 16 * 1024 * 1024, timeout: 15 * 60_000 },
    );
    const got = readdirSync(staging).find((f) => f === `s3mock-${version}-exec.jar`);
    if (got === undefined) throw new AppError('MAVEN_FAILED', `Maven finished but ${staging} holds no s3mock-${version}-exec.jar`);
    renameSync(join(staging, got), jar);
  } catch (err) {
    if (existsSync(jar)) return jar; // another resolver won the race
    const e = err as { code?: unknown; stderr?: string };
    if (e.code === 'ENOENT') throw new AppError('MAVEN_MISSING', 'Maven (mvn) is not on PATH; it is needed once to download S3Mock', { cause: err });
    if (err instanceof AppError) throw err;
    throw new AppError('MAVEN_FAILED', `Maven could not resolve com.adobe.testing:s3mock:${version}:exec:\n${(e.stderr ?? '').slice(-2000)}`, { cause: err });
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return jar;
}

export interface S3ServerOptions {
  /** Bucket storage; default var/s3. Kept on stop, so objects survive a restart. */
  readonly dataDir?: string;
  /** HTTP port on 127.0.0.1; 0 or absent = a free port. */
  readonly port?: number;
  /** HTTPS port (S3Mock always opens one); 0 or absent = a free port. */
  readonly httpsPort?: number;
  /** Buckets created at start (existing ones are kept); default DEFAULT_BUCKETS. */
  readonly buckets?: readonly string[];
  readonly version?: string;
  /** Max heap in MiB; default 256. */
  readonly heapMb?: number;
  /** Readiness wait; default 60 s (a cold start takes ~3 s alone, ~13 s on a loaded 2-core box). */
  readonly startTimeoutMs?: number;
  /** Outlive this Node process (the CLI's `start`); default false: killed when this process exits. */
  readonly detached?: boolean;
  readonly java?: string;
  readonly logger?: Logger;
  readonly onProgress?: (message: string) => void;
}

/**
 * A real S3-compatible server (Adobe S3Mock) as a child JVM on 127.0.0.1, for Flink checkpoints
 * and savepoints in dev and tests without cloud credentials or Docker.
 *
 *   const s3 = await S3Server.start({ dataDir, buckets: ['flink-checkpoints'] });
 *   ... new S3Client({ endpoint: s3.endpoint, forcePathStyle: true, ... }) ...
 *   await s3.stop();
 */
export class S3Server {
  /** e.g. "http://127.0.0.1:40123" — use with path-style access. */
  readonly endpoint: string;
  lastStartMs = 0;

  private constructor(
    readonly pid: number,
    readonly port: number,
    readonly httpsPort: number,
    readonly dataDir: string,
    readonly jar: string,
    private readonly exited: Promise<unknown>,
    private readonly release: () => void,
  ) {
    this.endpoint = `http://127.0.0.1:${port}`;
  }

  static async start(options: S3ServerOptions = {}): Promise<S3Server> {
    const log = options.logger ?? silentLogger();
    const jar = await resolveS3MockJar({ ...(options.version !== undefined ? { version: options.version } : {}), ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
    const port = options.port !== undefined && options.port > 0 ? options.port : await findFreePort();
    const httpsPort = options.httpsPort !== undefined && options.httpsPort > 0 ? options.httpsPort : await findFreePort();
    const dataDir = resolve(options.dataDir ?? DEFAULT_S3_DATA_DIR);
    const storeDir = join(dataDir, 'store');
    mkdirSync(storeDir, { recursive: true });
    const buckets = options.buckets ?? DEFAULT_BUCKETS;
    const java = options.java ?? (process.env['JAVA_HOME'] ? join(process.env['JAVA_HOME'], 'bin', 'java') : 'java');
    const out = openSync(join(dataDir, 'server.log'), 'a');
    const started = Date.now();
    let child: ChildProcess;
    try {
      child = spawn(
        java,
        [`-Xmx${options.heapMb ?? 256}m`, '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-jar', jar, `--http.port=${port}`, `--server.port=${httpsPort}`, '--server.address=127.0.0.1'],
        {
          env: {
            ...process.env,
            COM_ADOBE_TESTING_S3MOCK_STORE_ROOT: storeDir,
            COM_ADOBE_TESTING_S3MOCK_STORE_INITIAL_BUCKETS: buckets.join(','),
            // Keep the data dir on stop: checkpoints must survive a server restart like real S3.
            COM_ADOBE_TESTING_S3MOCK_STORE_RETAIN_FILES_ON_EXIT: 'true',
          },
          stdio: ['ignore', out, out],
          detached: options.detached === true,
        },
      );
    } finally {
      closeSync(out);
    }
    const pid = child.pid;
    if (pid === undefined) throw new AppError('S3_START_FAILED', `could not spawn ${java}`);
    let exitCode: number | null | undefined;
    const exited = new Promise<unknown>((res) => child.once('exit', (code) => { exitCode = code; res(code); }));
    const release = options.detached === true ? () => {} : killWithParent(pid);
    if (options.detached === true) child.unref();
    const server = new S3Server(pid, port, httpsPort, dataDir, jar, exited, release);
    const deadline = started + (options.startTimeoutMs ?? 60_000);
    for (;;) {
      if (exitCode !== undefined) {
        release();
        throw new AppError('S3_EXITED', `S3Mock exited with ${String(exitCode)} before answering; see ${join(dataDir, 'server.log')}:\n${tail(join(dataDir, 'server.log'))}`);
      }
      if (await answers(server.endpoint)) break;
      if (Date.now() > deadline) {
        await server.stop();
        throw new AppError('S3_START_TIMEOUT', `S3Mock did not answer on ${server.endpoint} within ${options.startTimeoutMs ?? 60_000} ms`);
      }
      await sleep(250);
    }
    server.lastStartMs = Date.now() - started;
    log.info({ endpoint: server.endpoint, pid, ms: server.lastStartMs }, 'S3 server ready');
    return server;
  }

  /** SIGTERM, SIGKILL after 10 s. Data stays in dataDir. */
  async stop(): Promise<void> {
    if (isAlive(this.pid)) await terminate(this.pid, { graceMs: 10_000, exited: this.exited });
    this.release();
  }
}

/** Readiness: ListBuckets answers 200 (S3Mock exposes no health endpoint). */
export async function answers(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

/** Whether `pid` runs this S3Mock jar (guards stop-by-pid against recycled pids). */
export function isS3MockProcess(pid: number): boolean | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').some((a) => /s3mock-.*-exec\.jar$/.test(a));
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' && isAlive(pid) ? undefined : false;
  }
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '';
  }
}
