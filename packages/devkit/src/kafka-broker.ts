import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel as kafkaLogLevel, type logCreator } from 'kafkajs';
import { AppError, describeError, retry, silentLogger, type Logger } from '@crypto-anomaly/common';
import {
  KAFKA_MAIN_CLASS,
  STORAGE_TOOL_MAIN_CLASS,
  brokerLayout,
  findFreePort,
  generateClusterId,
  jvmArgs,
  renderLog4j2,
  renderServerProperties,
  type BrokerLayout,
  type BrokerLogLevel,
} from './broker-config.js';
import { resolveKafkaClasspath } from './classpath.js';
import { DEFAULT_DATA_DIR, DEFAULT_KAFKA_VERSION } from './paths.js';
import { isAlive, killWithParent, terminate } from './process.js';

const execFileAsync = promisify(execFile);

/** A topic to create: a bare name gets one partition. */
export type TopicInput = string | TopicSpec;

export interface TopicSpec {
  readonly name: string;
  /** Default 1. */
  readonly partitions?: number;
  /** Topic-level configs, e.g. { 'cleanup.policy': 'compact' }. */
  readonly configs?: Readonly<Record<string, string>>;
}

export interface KafkaBrokerOptions {
  /** Broker state (topic data, config, logs); default var/kafka in the repository. Kept on stop. */
  readonly dataDir?: string;
  /** Client port on 127.0.0.1; 0 or absent = a free port picked at start (kept across restart()). */
  readonly port?: number;
  /** KRaft controller port on 127.0.0.1; 0 or absent = a free port. */
  readonly controllerPort?: number;
  /** Topics to create once the broker accepts clients (existing ones are left alone). */
  readonly topics?: readonly TopicInput[];
  /** Level of the broker's own log file (<dataDir>/logs/server.log); default INFO. */
  readonly logLevel?: BrokerLogLevel;
  /** Kafka release from Maven Central; default DEFAULT_KAFKA_VERSION. */
  readonly kafkaVersion?: string;
  /** Max heap of the broker JVM in MiB; default 512. */
  readonly heapMb?: number;
  /** Broker settings added to / overriding the generated server.properties. */
  readonly brokerConfig?: Readonly<Record<string, string | number | boolean>>;
  /** How long to wait for the broker to accept clients; default 90 s. */
  readonly startTimeoutMs?: number;
  /** SIGTERM grace before SIGKILL on stop; default 20 s. */
  readonly stopTimeoutMs?: number;
  /**
   * Let the broker outlive this Node process (the CLI's `start`). Default false: the JVM is killed
   * when this process exits, however it exits, so tests never leak brokers.
   */
  readonly detached?: boolean;
  /** `java` executable; default $JAVA_HOME/bin/java when JAVA_HOME is set, else `java` on PATH. */
  readonly java?: string;
  readonly logger?: Logger;
  /** Human-readable progress lines ("formatting storage", "waiting for ... 4 s"), e.g. for a CLI. */
  readonly onProgress?: (message: string) => void;
}

export interface CreateTopicsOptions {
  readonly logger?: Logger;
  /** Overall time limit for connecting and creating; default 30 s. */
  readonly timeoutMs?: number;
}

/** The topics of the platform (README "Topics"); the CLI creates these. */
export const DEFAULT_TOPICS: readonly string[] = Object.freeze([
  'raw-trades',
  'raw-agg-trades',
  'raw-klines',
  'book-ticker',
  'trade-gaps',
  'kline-10s',
  'kline-1m',
  'alerts',
  'dead-letter',
]);

/** Fails the readiness wait at once (no retry) when the JVM has already died. */
class BrokerExitedError extends AppError {
  constructor(message: string) {
    super('KAFKA_EXITED', message, { retriable: false });
  }
}

/**
 * A real single-node Apache Kafka (KRaft, combined broker+controller) running as a child JVM on
 * 127.0.0.1. Jars come from Maven Central once and are cached (see classpath.ts).
 *
 *   const broker = await KafkaBroker.start({ dataDir, topics: [{ name: 'raw-trades', partitions: 3 }] });
 *   ... new Kafka({ brokers: [broker.bootstrap] }) ...
 *   await broker.restart();   // same ports, same data
 *   await broker.stop();
 */
export class KafkaBroker {
  readonly dataDir: string;
  readonly layout: BrokerLayout;
  readonly port: number;
  readonly controllerPort: number;
  /** host:port for clients, e.g. "127.0.0.1:40123". */
  readonly bootstrap: string;
  readonly kafkaVersion: string;
  /** How long the last start took, in ms (readiness included, topic creation excluded). */
  lastStartMs = 0;

  private readonly options: KafkaBrokerOptions;
  private readonly log: Logger;
  private readonly classpath: string;
  private childPid: number | undefined;
  private exited: Promise<number | null> | undefined;
  private release: (() => void) | undefined;

  private constructor(options: KafkaBrokerOptions, ports: { port: number; controllerPort: number }, classpath: string, version: string) {
    this.options = options;
    this.log = options.logger ?? silentLogger();
    this.dataDir = resolve(options.dataDir ?? DEFAULT_DATA_DIR);
    this.layout = brokerLayout(this.dataDir);
    this.port = ports.port;
    this.controllerPort = ports.controllerPort;
    this.bootstrap = `127.0.0.1:${ports.port}`;
    this.classpath = classpath;
    this.kafkaVersion = version;
  }

  /** Resolves the jars (cached), formats storage if new, starts the JVM, waits, creates topics. */
  static async start(options: KafkaBrokerOptions = {}): Promise<KafkaBroker> {
    const progress = options.onProgress ?? (() => {});
    const version = options.kafkaVersion ?? DEFAULT_KAFKA_VERSION;
    const cp = await resolveKafkaClasspath({ version, onProgress: progress, ...(options.logger ? { logger: options.logger } : {}) });
    if (cp.resolved) progress(`Kafka ${version} jars cached (${cp.jars.length} jars in ${cp.libsDir})`);
    const port = await pickPort(options.port);
    if (options.controllerPort !== undefined && options.controllerPort !== 0 && options.controllerPort === port) {
      throw new AppError('CONFIG', `broker and controller cannot share port ${port}`);
    }
    let controllerPort = await pickPort(options.controllerPort);
    // Two free-port picks can in principle return the same port (the first was released again).
    while (controllerPort === port) controllerPort = await findFreePort();
    const broker = new KafkaBroker(options, { port, controllerPort }, cp.jars.join(':'), version);
    await broker.launch();
    if (options.topics !== undefined && options.topics.length > 0) {
      try {
        const created = await broker.createTopics(options.topics);
        if (created.length > 0) progress(`created topics: ${created.join(', ')}`);
      } catch (err) {
        await broker.stop();
        throw err;
      }
    }
    return broker;
  }

  /** Process id of the running JVM; undefined while stopped. */
  get pid(): number | undefined {
    return this.childPid;
  }

  get running(): boolean {
    return this.childPid !== undefined && isAlive(this.childPid);
  }

  /** Creates the topics that do not exist yet; returns the names it created. */
  createTopics(topics: readonly TopicInput[]): Promise<string[]> {
    return createTopics(this.bootstrap, topics, { logger: this.log });
  }

  /** SIGTERM (controlled shutdown), SIGKILL after the grace period. Idempotent. Data is kept. */
  async stop(): Promise<void> {
    const pid = this.childPid;
    if (pid === undefined) return;
    const started = Date.now();
    const { killed } = await terminate(pid, {
      graceMs: this.options.stopTimeoutMs ?? 20_000,
      ...(this.exited !== undefined ? { exited: this.exited } : {}),
    });
    this.release?.();
    this.release = undefined;
    this.childPid = undefined;
    this.exited = undefined;
    this.log.info({ pid, ms: Date.now() - started, killed }, killed ? 'Kafka broker killed after grace period' : 'Kafka broker stopped');
  }

  /** stop() then start again on the same ports and data directory (a new pid). */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  private progress(message: string): void {
    this.log.info(message);
    this.options.onProgress?.(message);
  }

  private java(): string {
    if (this.options.java !== undefined) return this.options.java;
    const home = process.env['JAVA_HOME'];
    return home !== undefined && home !== '' ? join(home, 'bin', 'java') : 'java';
  }

  private writeConfig(): void {
    mkdirSync(dirname(this.layout.serverLog), { recursive: true });
    mkdirSync(this.layout.logDir, { recursive: true });
    writeFileSync(
      this.layout.serverProperties,
      renderServerProperties({
        port: this.port,
        controllerPort: this.controllerPort,
        logDir: this.layout.logDir,
        ...(this.options.brokerConfig !== undefined ? { overrides: this.options.brokerConfig } : {}),
      }),
    );
    writeFileSync(this.layout.log4jConfig, renderLog4j2(this.layout.serverLog, this.options.logLevel ?? 'INFO'));
  }

  /** `kafka-storage format` once per data dir; meta.properties marks a formatted dir. */
  private async formatIfNeeded(): Promise<void> {
    if (existsSync(join(this.layout.logDir, 'meta.properties'))) return;
    const clusterId = generateClusterId();
    this.progress(`formatting KRaft storage in ${this.layout.logDir} (cluster id ${clusterId})`);
    const args = [
      ...jvmArgs(this.layout.log4jConfig, dirname(this.layout.serverLog), 256),
      '-cp', this.classpath,
      STORAGE_TOOL_MAIN_CLASS, 'format',
      '--cluster-id', clusterId,
      '--config', this.layout.serverProperties,
      '--ignore-formatted',
    ];
    try {
      await execFileAsync(this.java(), args, { maxBuffer: 4 * 1024 * 1024, timeout: 120_000 });
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      throw new AppError('KAFKA_FORMAT', `formatting Kafka storage failed: ${`${e.stdout ?? ''}${e.stderr ?? ''}`.trim() || describeError(err)}`, { cause: err });
    }
  }

  private async launch(): Promise<void> {
    if (this.childPid !== undefined && isAlive(this.childPid)) throw new AppError('KAFKA_RUNNING', `broker already running (pid ${this.childPid})`);
    const started = Date.now();
    this.writeConfig();
    await this.formatIfNeeded();

    // The JVM's stdout/stderr go to a file, never to our console (and never through a pipe that
    // would tie the broker's life to ours in detached mode).
    const out = openSync(this.layout.stdoutLog, 'a');
    let child: ChildProcess;
    try {
      child = spawn(
        this.java(),
        [...jvmArgs(this.layout.log4jConfig, dirname(this.layout.serverLog), this.options.heapMb ?? 512), '-cp', this.classpath, KAFKA_MAIN_CLASS, this.layout.serverProperties],
        { stdio: ['ignore', out, out], detached: this.options.detached === true, cwd: this.dataDir },
      );
    } finally {
      closeSync(out);
    }
    const spawnError = new Promise<Error>((resolveError) => child.once('error', resolveError));
    if (child.pid === undefined) throw new AppError('KAFKA_SPAWN', `could not start ${this.java()}: ${describeError(await spawnError)}`);
    const pid = child.pid;
    this.childPid = pid;
    this.exited = new Promise((resolveExit) => child.once('exit', (code) => resolveExit(code)));
    if (this.options.detached === true) child.unref();
    else this.release = killWithParent(pid);
    this.progress(`Kafka ${this.kafkaVersion} starting (pid ${pid}) on ${this.bootstrap}, controller 127.0.0.1:${this.controllerPort}, data ${this.dataDir}`);

    try {
      await this.waitUntilReady(child);
    } catch (err) {
      await this.stop().catch(() => {});
      throw err;
    }
    this.lastStartMs = Date.now() - started;
    this.progress(`Kafka ready on ${this.bootstrap} after ${(this.lastStartMs / 1000).toFixed(1)} s (pid ${pid})`);
  }

  /**
   * Polls with a real client (admin connect + describeCluster) until the broker answers metadata
   * requests listing itself; an open port alone is not enough (the acceptors open before the
   * broker has caught up with the metadata log and been unfenced).
   */
  private async waitUntilReady(child: ChildProcess): Promise<void> {
    const timeoutMs = this.options.startTimeoutMs ?? 90_000;
    const started = Date.now();
    let lastReport = started;
    let exitCode: number | null | undefined;
    child.once('exit', (code) => { exitCode = code; });
    await retry(
      async () => {
        if (exitCode !== undefined) {
          throw new BrokerExitedError(`Kafka broker exited with code ${exitCode} during start-up; last log lines:\n${this.logTail()}`);
        }
        if (Date.now() - lastReport >= 3_000) {
          lastReport = Date.now();
          this.progress(`waiting for Kafka on ${this.bootstrap} (${Math.round((Date.now() - started) / 1000)} s)`);
        }
        const kafka = new Kafka({
          clientId: 'devkit-readiness',
          brokers: [this.bootstrap],
          logLevel: kafkaLogLevel.NOTHING,
          connectionTimeout: 1_000,
          requestTimeout: 2_000,
          retry: { retries: 0 },
        });
        const admin = kafka.admin();
        try {
          await admin.connect();
          const cluster = await admin.describeCluster();
          if (cluster.brokers.length === 0) throw new AppError('KAFKA_NOT_READY', 'no broker registered yet', { retriable: true });
        } catch (err) {
          if (err instanceof AppError) throw err;
          throw new AppError('KAFKA_NOT_READY', describeError(err), { retriable: true, cause: err });
        } finally {
          await admin.disconnect().catch(() => {});
        }
      },
      {
        policy: { initialMs: 200, maxMs: 1_000, factor: 1.5, jitter: 0 },
        budgetMs: timeoutMs,
      },
    ).catch((err: unknown) => {
      if (err instanceof BrokerExitedError) throw err;
      throw new AppError('KAFKA_START_TIMEOUT', `Kafka on ${this.bootstrap} did not accept clients within ${timeoutMs} ms (${describeError(err)}); last log lines:\n${this.logTail()}`, { cause: err });
    });
  }

  /**
   * What went wrong, for error messages: the JVM's own output (bad flags, OOM) and the broker's
   * ERROR lines (e.g. "Address already in use"), which a plain tail would bury under shutdown chatter.
   */
  logTail(lines = 12): string {
    const read = (file: string): string[] => {
      try {
        return readFileSync(file, 'utf8').trimEnd().split('\n');
      } catch {
        return [];
      }
    };
    const jvm = read(this.layout.stdoutLog).slice(-lines);
    const server = read(this.layout.serverLog);
    const errors = server.filter((l) => /^\[[^\]]+\] (ERROR|FATAL) /.test(l) || /^Caused by: /.test(l)).slice(-lines);
    const parts = [
      jvm.length > 0 ? `${this.layout.stdoutLog}:\n${jvm.join('\n')}` : '',
      errors.length > 0 ? `errors in ${this.layout.serverLog}:\n${errors.join('\n')}` : `${this.layout.serverLog} (tail):\n${server.slice(-lines).join('\n')}`,
    ];
    return parts.filter((p) => p !== '').join('\n');
  }
}

async function pickPort(requested: number | undefined): Promise<number> {
  if (requested === undefined || requested === 0) return findFreePort();
  if (!Number.isInteger(requested) || requested < 1 || requested > 65_535) throw new AppError('CONFIG', `invalid port ${requested}`);
  return requested;
}

/** Routes kafkajs's own log lines into our pino logger instead of its console default. */
export function kafkajsLogCreator(log: Logger): logCreator {
  return () => ({ namespace, level, log: entry }) => {
    const { message, ...rest } = entry;
    const fields = { namespace, ...rest };
    if (level === kafkaLogLevel.ERROR) log.error(fields, message);
    else if (level === kafkaLogLevel.WARN) log.warn(fields, message);
    else if (level === kafkaLogLevel.INFO) log.info(fields, message);
    else log.debug(fields, message);
  };
}

function normalizeTopic(t: TopicInput): Required<TopicSpec> {
  const spec = typeof t === 'string' ? { name: t } : t;
  const partitions = spec.partitions ?? 1;
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(spec.name)) throw new AppError('CONFIG', `invalid topic name "${spec.name}"`);
  if (!Number.isInteger(partitions) || partitions < 1) throw new AppError('CONFIG', `topic ${spec.name}: partitions must be a positive integer (got ${partitions})`);
  return { name: spec.name, partitions, configs: spec.configs ?? {} };
}

/**
 * Creates the topics missing on the broker at `bootstrap` (replication factor 1), waiting for their
 * leaders, and returns the names it created. Existing topics are left as they are, so callers can
 * run this on every start.
 */
export async function createTopics(bootstrap: string, topics: readonly TopicInput[], options: CreateTopicsOptions = {}): Promise<string[]> {
  const specs = topics.map(normalizeTopic);
  if (specs.length === 0) return [];
  const log = options.logger ?? silentLogger();
  const timeoutMs = options.timeoutMs ?? 30_000;
  const kafka = new Kafka({
    clientId: 'devkit-admin',
    brokers: [bootstrap],
    logLevel: kafkaLogLevel.WARN,
    logCreator: kafkajsLogCreator(log),
    connectionTimeout: 3_000,
    requestTimeout: timeoutMs,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.name));
    if (missing.length === 0) return [];
    await admin.createTopics({
      waitForLeaders: true,
      timeout: timeoutMs,
      topics: missing.map((s) => ({
        topic: s.name,
        numPartitions: s.partitions,
        replicationFactor: 1,
        configEntries: Object.entries(s.configs).map(([name, value]) => ({ name, value })),
      })),
    });
    log.info({ topics: missing.map((s) => `${s.name}(${s.partitions})`) }, 'created topics');
    return missing.map((s) => s.name);
  } finally {
    await admin.disconnect();
  }
}
