import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { sleep } from '@crypto-anomaly/common';

/** True while a process with this id exists (signal 0 only checks; EPERM means it exists). */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether `pid` is a JVM running the given main class. Guards stop-by-pid against a recycled pid
 * (a stale broker.json after a reboot must not make us kill some unrelated process). Linux reads
 * /proc; where there is no /proc we cannot tell and answer `undefined`.
 */
export function isJavaMain(pid: number, mainClass: string): boolean | undefined {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv.includes(mainClass);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && isAlive(pid)) return undefined; // no procfs on this OS
    return false;
  }
}

export interface TerminateOptions {
  /** How long to wait after SIGTERM before SIGKILL (Kafka's controlled shutdown takes ~1-3 s). */
  readonly graceMs?: number;
  /** Resolves when the process has exited; faster and zombie-proof for our own children. */
  readonly exited?: Promise<unknown>;
}

export interface TerminateResult {
  readonly killed: boolean;
  readonly ms: number;
}

/** SIGTERM, wait up to graceMs, then SIGKILL and wait until the pid is gone. */
export async function terminate(pid: number, options: TerminateOptions = {}): Promise<TerminateResult> {
  const started = Date.now();
  const graceMs = options.graceMs ?? 20_000;
  if (!signal(pid, 'SIGTERM')) return { killed: false, ms: 0 };
  if (await waitForExit(pid, graceMs, options.exited)) return { killed: false, ms: Date.now() - started };
  signal(pid, 'SIGKILL');
  if (!(await waitForExit(pid, 10_000, options.exited))) throw new Error(`process ${pid} survived SIGKILL for 10 s`);
  return { killed: true, ms: Date.now() - started };
}

function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

async function waitForExit(pid: number, ms: number, exited?: Promise<unknown>): Promise<boolean> {
  const deadline = Date.now() + ms;
  if (exited !== undefined) {
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([
      exited.then(() => true),
      new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), ms); }),
    ]);
    clearTimeout(timer);
    return done;
  }
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await sleep(100);
  }
  return !isAlive(pid);
}

// ---------------------------------------------------------------------------------------------
// Never leak a JVM: brokers started by this Node process die with it.
// ---------------------------------------------------------------------------------------------

const owned = new Set<number>();
let hooksInstalled = false;

/**
 * Registers a child that must not outlive this process. Three layers, because each misses cases:
 * 'exit' covers normal ends and process.exit(); the signal handlers cover SIGINT/SIGTERM/SIGHUP
 * (Node does not emit 'exit' when killed by a signal it has no handler for); and a tiny detached
 * shell watchdog covers the one case no in-process hook can see, SIGKILL of Node itself (e.g. a
 * test runner killing a hung test file).
 */
export function killWithParent(pid: number): () => void {
  owned.add(pid);
  installHooks();
  const watchdog = startWatchdog(process.pid, pid);
  return () => {
    owned.delete(pid);
    if (watchdog !== undefined) signal(watchdog, 'SIGKILL');
  };
}

// SIGTERM, not SIGKILL: 'exit' handlers cannot wait, but the JVM shuts down cleanly on its own
// (so the next start on the same data dir skips log recovery) and the watchdog, which outlives
// us, sends SIGKILL if it does not.
function termOwnedNow(): void {
  for (const pid of owned) signal(pid, 'SIGTERM');
  owned.clear();
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', termOwnedNow);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = (): void => {
      // SIGTERM rather than SIGKILL here: there is a moment for the broker to flush, and the
      // watchdog escalates if it does not go.
      for (const pid of owned) signal(pid, 'SIGTERM');
      // Only take over the signal's default (terminate) if nobody else handles it; otherwise the
      // application's own shutdown logic stays in charge and 'exit' finishes the job.
      if (process.listenerCount(sig) === 1) {
        process.removeListener(sig, handler);
        process.kill(process.pid, sig);
      }
    };
    process.on(sig, handler);
  }
}

const WATCHDOG_SCRIPT = `
parent=$1; child=$2
while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 1; done
kill -0 "$child" 2>/dev/null || exit 0
kill -TERM "$child" 2>/dev/null
i=0; while kill -0 "$child" 2>/dev/null && [ $i -lt 30 ]; do sleep 0.5; i=$((i+1)); done
kill -KILL "$child" 2>/dev/null
exit 0
`;

function startWatchdog(parentPid: number, childPid: number): number | undefined {
  try {
    // Detached and in its own session so it survives its parent (that is its whole point), and
    // unref'd so it never keeps Node alive. It exits by itself within a second once the broker is gone.
    const proc = spawn('/bin/sh', ['-c', WATCHDOG_SCRIPT, 'kafka-watchdog', String(parentPid), String(childPid)], {
      detached: true,
      stdio: 'ignore',
    });
    proc.on('error', () => {});
    proc.unref();
    return proc.pid;
  } catch {
    return undefined;
  }
}
