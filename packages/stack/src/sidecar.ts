import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { AppError } from '@crypto-anomaly/common';
import { findFreePort, REPO_ROOT } from '@crypto-anomaly/devkit';
import { LoggedProcess, pollUntil } from './child.js';
import { DEFAULT_LOG_DIR } from './paths.js';

export const UDF_SERVER_MAIN = join(REPO_ROOT, 'udf-server', 'dist', 'src', 'main.js');

export interface SidecarOptions {
  /** The sidecar's entry point; default udf-server/dist/src/main.js of this repository. */
  readonly main?: string;
  /** gRPC port on 127.0.0.1; 0 or absent = a free port (kept across restart()). */
  readonly port?: number;
  /** Prometheus port; default -1 (off), so several sidecars never collide. */
  readonly metricsPort?: number;
  /**
   * udf-server config (same shape as its JSON config file; udf-server/README.md), written to
   * `<logDir>/udf-server-<port>.json` and passed with --config. Flags below win over it.
   */
  readonly config?: Readonly<Record<string, unknown>>;
  /**
   * Trained models for the sidecar (scoring.models.dir, e.g. from ensureModels in models.ts);
   * absent = no model detectors. Merged into `config`.
   */
  readonly modelsDir?: string;
  readonly logLevel?: string;
  /** Log file; default var/log/udf-server.log. */
  readonly logFile?: string;
  /** How long to wait for SERVING; default 30 s. */
  readonly startTimeoutMs?: number;
  readonly detached?: boolean;
  readonly onProgress?: (message: string) => void;
}

type HealthClient = grpc.Client & {
  check(req: { service: string }, options: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: { status: string }) => void): void;
};

/**
 * The udf-server scoring sidecar as a child process (`node udf-server/dist/src/main.js`) on
 * 127.0.0.1. Ready = the standard gRPC health service answers SERVING. Stopped by pid; can be
 * SIGKILLed and restarted on the same port (the Flink job's client reconnects to it).
 */
export class Sidecar {
  readonly port: number;
  /** host:port for the Flink job's --scoring-address. */
  readonly address: string;
  readonly logFile: string;
  private proc: LoggedProcess | undefined;

  private constructor(private readonly options: SidecarOptions, port: number) {
    this.port = port;
    this.address = `127.0.0.1:${port}`;
    this.logFile = options.logFile ?? join(DEFAULT_LOG_DIR, 'udf-server.log');
  }

  static async start(options: SidecarOptions = {}): Promise<Sidecar> {
    const port = options.port !== undefined && options.port !== 0 ? options.port : await findFreePort();
    const sidecar = new Sidecar(options, port);
    await sidecar.launch();
    return sidecar;
  }

  get pid(): number | undefined {
    return this.proc?.running === true ? this.proc.pid : undefined;
  }

  get running(): boolean {
    return this.proc?.running === true;
  }

  /** Starts a new process on the same port (after stop() or kill()). */
  async launch(): Promise<void> {
    if (this.proc?.running === true) throw new AppError('SIDECAR_RUNNING', `sidecar already running (pid ${this.proc.pid})`);
    const args = [this.options.main ?? UDF_SERVER_MAIN, '--host', '127.0.0.1', '--port', String(this.port), `--metrics-port=${this.options.metricsPort ?? -1}`];
    if (this.options.logLevel !== undefined) args.push('--log-level', this.options.logLevel);
    const config = withModels(this.options.config, this.options.modelsDir);
    if (config !== undefined) {
      mkdirSync(join(this.logFile, '..'), { recursive: true });
      const file = join(this.logFile, '..', `udf-server-${this.port}.json`);
      writeFileSync(file, JSON.stringify(config, null, 2));
      args.push('--config', file);
    }
    const started = Date.now();
    const proc = LoggedProcess.spawn({ command: process.execPath, args, logFile: this.logFile, detached: this.options.detached === true });
    this.proc = proc;
    this.options.onProgress?.(`scoring sidecar starting (pid ${proc.pid}) on ${this.address}; log ${this.logFile}`);
    try {
      await pollUntil('the sidecar health check to answer SERVING', () => checkHealth(this.address), {
        timeoutMs: this.options.startTimeoutMs ?? 30_000,
        intervalMs: 100,
        abortIf: () => (proc.running ? undefined : `the sidecar exited (${proc.status}); log:\n${proc.logTail()}`),
      });
    } catch (err) {
      await proc.stop(2_000);
      throw err;
    }
    this.options.onProgress?.(`scoring sidecar SERVING on ${this.address} after ${((Date.now() - started) / 1000).toFixed(1)} s (pid ${proc.pid})`);
  }

  /** SIGTERM (graceful: in-flight calls finish), SIGKILL after the grace. Idempotent. */
  async stop(graceMs = 15_000): Promise<void> {
    await this.proc?.stop(graceMs);
  }

  /** Crash simulation: SIGKILL, waits until the process is gone. */
  async kill(): Promise<void> {
    const proc = this.proc;
    if (proc === undefined || !proc.running) return;
    proc.signal('SIGKILL');
    await proc.exited;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }
}

/** `config` with scoring.models.dir set to `modelsDir` (unchanged when it is absent). */
export function withModels(config: Readonly<Record<string, unknown>> | undefined, modelsDir: string | undefined): Readonly<Record<string, unknown>> | undefined {
  if (modelsDir === undefined) return config;
  const scoring = (config?.['scoring'] ?? {}) as Record<string, unknown>;
  const models = (scoring['models'] ?? {}) as Record<string, unknown>;
  return { ...config, scoring: { ...scoring, models: { ...models, dir: modelsDir } } };
}

/** "SERVING" from grpc.health.v1.Health/Check, or undefined while it is not (yet). */
export async function checkHealth(address: string, service = ''): Promise<true | undefined> {
  const Ctor = grpc.makeClientConstructor(healthService as unknown as grpc.ServiceDefinition, 'Health');
  const client = new Ctor(address, grpc.credentials.createInsecure()) as unknown as HealthClient;
  try {
    const status = await new Promise<string>((resolve, reject) =>
      client.check({ service }, { deadline: Date.now() + 1_000 }, (err, res) => (err ? reject(err) : resolve(res?.status ?? 'UNKNOWN'))),
    );
    return status === 'SERVING' ? true : undefined;
  } finally {
    client.close();
  }
}
