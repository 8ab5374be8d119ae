import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError, describeError } from '@crypto-anomaly/common';
import { findFreePort } from '@crypto-anomaly/devkit';
import { LoggedProcess, pollUntil } from './child.js';
import { DEFAULT_LOG_DIR, FLINK_RUN_LOCAL } from './paths.js';

/** Job options as flink-job/README.md names them, without the leading "--": { 'bootstrap-servers': '...' }. */
export type FlinkJobArgs = Readonly<Record<string, string | number | undefined>>;

export interface FlinkJobOptions {
  /** Job flags (flink-job/README.md); `web-ui-port` and `restore-from` are set from the fields below. */
  readonly args: FlinkJobArgs;
  /** Web UI / REST port; 0 or absent = a free port. */
  readonly webUiPort?: number;
  /** A retained checkpoint (or savepoint) to start from: `--restore-from`. */
  readonly restoreFrom?: string;
  /** Log file (the JVM's stdout+stderr); default var/log/flink-job.log. */
  readonly logFile?: string;
  /** Extra JVM options (JAVA_OPTS of run-local.sh), e.g. "-Xmx1g". */
  readonly javaOpts?: string;
  /** RUN_LOCAL_BUILD of run-local.sh: auto (default), always, never. */
  readonly build?: 'auto' | 'always' | 'never';
  /** How long to wait for the job to be RUNNING (a first start compiles with Maven); default 240 s. */
  readonly startTimeoutMs?: number;
  readonly detached?: boolean;
  readonly onProgress?: (message: string) => void;
}

export interface CompletedCheckpoint {
  readonly id: number;
  /** e.g. file:/.../var/flink-checkpoints/<job id>/chk-7: what --restore-from takes. */
  readonly externalPath: string;
}

export interface CheckpointStats {
  readonly completed: number;
  readonly failed: number;
  readonly latest: CompletedCheckpoint | undefined;
}

/** Flink's job states that end a job. */
const TERMINAL = new Set(['FINISHED', 'CANCELED', 'FAILED']);

/**
 * The Flink job on a local MiniCluster (flink-job/bin/run-local.sh: one JVM with the web UI), a
 * child process stopped by pid. Driven through the REST API on the web UI port: ready = the job
 * is RUNNING (GET /jobs/overview); checkpoints from GET /jobs/<id>/checkpoints; cancel with
 * PATCH /jobs/<id>?mode=cancel. Restart from a checkpoint = start() with `restoreFrom`.
 */
export class FlinkJob {
  readonly webUiPort: number;
  /** http://127.0.0.1:<port> */
  readonly webUiUrl: string;
  readonly logFile: string;
  private proc: LoggedProcess | undefined;
  private jid: string | undefined;

  private constructor(private readonly options: FlinkJobOptions, webUiPort: number) {
    this.webUiPort = webUiPort;
    this.webUiUrl = `http://127.0.0.1:${webUiPort}`;
    this.logFile = options.logFile ?? join(DEFAULT_LOG_DIR, 'flink-job.log');
  }

  static async start(options: FlinkJobOptions): Promise<FlinkJob> {
    const port = options.webUiPort !== undefined && options.webUiPort !== 0 ? options.webUiPort : await findFreePort();
    const job = new FlinkJob(options, port);
    await job.launch();
    return job;
  }

  get pid(): number | undefined {
    return this.proc?.running === true ? this.proc.pid : undefined;
  }

  get running(): boolean {
    return this.proc?.running === true;
  }

  /** The job's id once it is RUNNING. */
  get jobId(): string {
    if (this.jid === undefined) throw new AppError('FLINK_NOT_STARTED', 'the Flink job has not started');
    return this.jid;
  }

  private progress(message: string): void {
    this.options.onProgress?.(message);
  }

  private async launch(): Promise<void> {
    const args: string[] = ['--web-ui-port', String(this.webUiPort)];
    for (const [name, value] of Object.entries(this.options.args)) {
      if (value === undefined || name === 'web-ui-port' || name === 'restore-from') continue;
      args.push(`--${name}`, String(value));
    }
    if (this.options.restoreFrom !== undefined) args.push('--restore-from', this.options.restoreFrom);
    const env: NodeJS.ProcessEnv = { ...process.env, RUN_LOCAL_BUILD: this.options.build ?? process.env['RUN_LOCAL_BUILD'] ?? 'auto' };
    if (this.options.javaOpts !== undefined) env['JAVA_OPTS'] = this.options.javaOpts;
    const started = Date.now();
    const proc = LoggedProcess.spawn({ command: 'bash', args: [FLINK_RUN_LOCAL, ...args], logFile: this.logFile, env, detached: this.options.detached === true });
    this.proc = proc;
    this.progress(
      `Flink job starting (pid ${proc.pid})${this.options.restoreFrom !== undefined ? ` from checkpoint ${this.options.restoreFrom}` : ''}; web UI ${this.webUiUrl}; log ${this.logFile}`,
    );
    try {
      this.jid = await pollUntil(
        `the Flink job to be RUNNING on ${this.webUiUrl}`,
        async () => {
          const overview = (await this.rest('GET', '/jobs/overview')) as { jobs?: Array<{ jid: string; state: string }> };
          const job = overview.jobs?.find((j) => j.state === 'RUNNING');
          if (job !== undefined) return job.jid;
          const ended = overview.jobs?.find((j) => TERMINAL.has(j.state));
          if (ended !== undefined) throw new AppError('FLINK_JOB_ENDED', `job ${ended.jid} is ${ended.state}`, { retriable: false });
          return undefined;
        },
        {
          timeoutMs: this.options.startTimeoutMs ?? 240_000,
          intervalMs: 250,
          onWait: (ms) => this.progress(`waiting for the Flink job (${Math.round(ms / 1000)} s)`),
          abortIf: () => (proc.running ? undefined : `the Flink JVM exited (${proc.status}); log:\n${proc.logTail(30)}`),
        },
      );
    } catch (err) {
      await proc.stop(5_000);
      throw err;
    }
    this.progress(`Flink job ${this.jid} RUNNING after ${((Date.now() - started) / 1000).toFixed(1)} s (pid ${proc.pid})`);
  }

  /** One REST call on the web UI port; JSON in and out. */
  async rest(method: 'GET' | 'PATCH' | 'POST', path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${this.webUiUrl}${path}`, {
      method,
      signal: AbortSignal.timeout(5_000),
      ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
    });
    const text = await res.text();
    if (!res.ok) throw new AppError('FLINK_REST', `${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`, { retriable: res.status >= 500 });
    return text === '' ? {} : (JSON.parse(text) as unknown);
  }

  /** The job's state: RUNNING, RESTARTING, CANCELED, ... */
  async state(): Promise<string> {
    const details = (await this.rest('GET', `/jobs/${this.jobId}`)) as { state: string };
    return details.state;
  }

  async checkpoints(): Promise<CheckpointStats> {
    const stats = (await this.rest('GET', `/jobs/${this.jobId}/checkpoints`)) as {
      counts?: { completed?: number; failed?: number };
      latest?: { completed?: { id: number; external_path: string } | null };
    };
    const latest = stats.latest?.completed ?? undefined;
    return {
      completed: stats.counts?.completed ?? 0,
      failed: stats.counts?.failed ?? 0,
      latest: latest === null || latest === undefined ? undefined : { id: latest.id, externalPath: latest.external_path },
    };
  }

  /** Waits for a completed checkpoint with an id above `afterId` (default: any). */
  async waitForCheckpoint(afterId = 0, timeoutMs = 60_000): Promise<CompletedCheckpoint> {
    const proc = this.proc;
    return pollUntil(
      `a completed checkpoint after #${afterId}`,
      async () => {
        const { latest } = await this.checkpoints();
        return latest !== undefined && latest.id > afterId ? latest : undefined;
      },
      { timeoutMs, intervalMs: 100, abortIf: () => (proc?.running === true ? undefined : 'the Flink JVM is not running') },
    );
  }

  /**
   * Cancels the job through REST (the MiniCluster then ends and the JVM exits; checkpoints are
   * retained on cancellation) and waits for the process to go; SIGTERM/SIGKILL if it lingers.
   */
  async cancel(timeoutMs = 30_000): Promise<void> {
    const proc = this.proc;
    if (proc === undefined || !proc.running) return;
    await this.rest('PATCH', `/jobs/${this.jobId}?mode=cancel`);
    await pollUntil('the job to be CANCELED', async () => (TERMINAL.has(await this.state()) ? true : undefined), {
      timeoutMs,
      intervalMs: 100,
      abortIf: () => (proc.running ? undefined : ''),
    }).catch((err: unknown) => {
      // The JVM exiting right after the cancel is the expected end, not an error.
      if (proc.running) throw err;
    });
    const exited = await Promise.race([proc.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 10_000))]);
    if (!exited) await proc.stop(10_000);
    this.progress(`Flink job ${this.jid} cancelled (pid ${proc.pid} ${proc.status})`);
  }

  /** SIGTERM (the MiniCluster shuts down), SIGKILL after the grace. Idempotent. */
  async stop(graceMs = 20_000): Promise<void> {
    const proc = this.proc;
    if (proc === undefined || !proc.running) return;
    const { killed } = await proc.stop(graceMs);
    this.progress(`Flink job stopped (pid ${proc.pid}${killed ? ', killed after the grace period' : ''})`);
  }

  logTail(lines = 30): string {
    return this.proc?.logTail(lines) ?? '';
  }
}

/**
 * The newest retained checkpoint under a checkpoint directory (<dir>/<job id>/chk-<n>/_metadata):
 * what `--restore-from` takes when no REST API is at hand (after a cancel or a crash). With
 * `jobId`, the highest chk-<n> of that job; otherwise of the job directory written last.
 */
export function latestCheckpointIn(checkpointDir: string, jobId?: string): string | undefined {
  const dir = checkpointDir.startsWith('file:') ? fileURLToPath(checkpointDir) : checkpointDir;
  if (!existsSync(dir)) return undefined;
  let best: { path: string; n: number; mtime: number } | undefined;
  for (const job of jobId !== undefined ? [jobId] : safeReaddir(dir)) {
    for (const chk of safeReaddir(join(dir, job))) {
      const m = /^chk-(\d+)$/.exec(chk);
      if (m === null) continue;
      const n = Number(m[1]);
      try {
        const mtime = statSync(join(dir, job, chk, '_metadata')).mtimeMs;
        const better = best === undefined || (jobId !== undefined ? n > best.n : mtime > best.mtime);
        if (better) best = { path: join(dir, job, chk), n, mtime };
      } catch {
        // in progress or incomplete: no _metadata yet
      }
    }
  }
  return best?.path;
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR' || code === 'ENOENT') return [];
    throw new AppError('FS', `cannot list ${dir}: ${describeError(err)}`, { cause: err });
  }
}
