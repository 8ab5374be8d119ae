import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { AppError, describeError } from '@crypto-anomaly/common';
import { isAlive, killWithParent, terminate } from '@crypto-anomaly/devkit';

export interface SpawnLoggedOptions {
  readonly command: string;
  readonly args: readonly string[];
  /** stdout and stderr are appended here (the directory is created). */
  readonly logFile: string;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Own process group, so a terminal's Ctrl-C reaches only the orchestrator, which then stops
   * each child in order. Default false.
   */
  readonly detached?: boolean;
  /** Kill the child when this Node process exits, however it exits (default true). */
  readonly killWithParent?: boolean;
}

/**
 * One child process whose output goes to a log file (never through a pipe, so the child never
 * depends on this process reading it), stopped by its process id.
 */
export class LoggedProcess {
  readonly pid: number;
  readonly logFile: string;
  /** Resolves with the exit code (null after a signal) when the process has exited. */
  readonly exited: Promise<number | null>;
  private exitCode: number | null | undefined;
  private exitSignal: NodeJS.Signals | null = null;
  private readonly release: (() => void) | undefined;

  private constructor(child: ChildProcess, logFile: string, release: (() => void) | undefined) {
    this.pid = child.pid as number;
    this.logFile = logFile;
    this.release = release;
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        this.release?.();
        resolve(code);
      }),
    );
  }

  static spawn(options: SpawnLoggedOptions): LoggedProcess {
    mkdirSync(dirname(options.logFile), { recursive: true });
    const out = openSync(options.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(options.command, [...options.args], {
        stdio: ['ignore', out, out],
        cwd: options.cwd,
        env: options.env ?? process.env,
        detached: options.detached === true,
      });
    } finally {
      closeSync(out);
    }
    child.on('error', () => {}); // reported through pid === undefined below
    if (child.pid === undefined) throw new AppError('SPAWN', `could not start ${options.command}`);
    const release = options.killWithParent === false ? undefined : killWithParent(child.pid);
    return new LoggedProcess(child, options.logFile, release);
  }

  /** True until the process has exited. */
  get running(): boolean {
    return this.exitCode === undefined && isAlive(this.pid);
  }

  /** How it ended, for error messages: "exit code 1", "signal SIGKILL" or "running". */
  get status(): string {
    if (this.exitCode === undefined) return 'running';
    return this.exitSignal !== null ? `signal ${this.exitSignal}` : `exit code ${this.exitCode}`;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the pid is gone. Idempotent. */
  async stop(graceMs = 15_000): Promise<{ killed: boolean; ms: number }> {
    if (this.exitCode !== undefined) return { killed: false, ms: 0 };
    return terminate(this.pid, { graceMs, exited: this.exited });
  }

  /** Sends a signal without waiting (e.g. SIGKILL to simulate a crash). */
  signal(sig: NodeJS.Signals): void {
    try {
      process.kill(this.pid, sig);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw new AppError('SIGNAL', `kill ${sig} ${this.pid}: ${describeError(err)}`, { cause: err });
    }
  }

  /** The last `lines` lines of the log, for error messages. */
  logTail(lines = 20): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }
}

/** Polls `probe` until it returns a value (not undefined) or `timeoutMs` passes. */
export async function pollUntil<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: { timeoutMs: number; intervalMs?: number; onWait?: (elapsedMs: number) => void; abortIf?: () => string | undefined },
): Promise<T> {
  const started = Date.now();
  let lastReport = started;
  let lastError = '';
  for (;;) {
    const abort = options.abortIf?.();
    if (abort !== undefined) throw new AppError('ABORTED', `${what}: ${abort}`);
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = describeError(err);
    }
    const elapsed = Date.now() - started;
    if (elapsed > options.timeoutMs) throw new AppError('TIMEOUT', `timed out after ${options.timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${lastError})` : ''}`);
    if (options.onWait !== undefined && Date.now() - lastReport >= 5_000) {
      lastReport = Date.now();
      options.onWait(elapsed);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 200));
  }
}
