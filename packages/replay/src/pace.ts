import { AppError, ConfigError } from '@crypto-anomaly/common';
import type { Timed } from './types.js';

/** Replay speed: a multiple of real time (1 = as recorded, 10 = ten times faster), or 'max'. */
export type Speed = number | 'max';

/** Time source and sleeper; injected so tests can run pacing on a fake clock. */
export interface PaceClock {
  /** Monotonic ms. */
  now(): number;
  /** Resolves after `ms` (ms <= 0: after yielding to the event loop once). Rejects when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: PaceClock = Object.freeze({
  now: () => performance.now(),
  sleep: (ms: number, signal?: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortError());
      const onAbort = (): void => {
        if (ms <= 0) clearImmediate(t as NodeJS.Immediate);
        else clearTimeout(t as NodeJS.Timeout);
        reject(abortError());
      };
      const done = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      // setImmediate lets sockets flush; setTimeout(0) would cost ~1 ms each time.
      const t: NodeJS.Immediate | NodeJS.Timeout = ms <= 0 ? setImmediate(done) : setTimeout(done, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
});

export interface PaceOptions {
  readonly speed: Speed;
  readonly clock?: PaceClock;
  /** Yield to the event loop at least every this many items when no sleep happened (default 256). */
  readonly yieldEvery?: number;
  /** Delays shorter than this are not slept; the schedule is absolute, so nothing drifts (default 1). */
  readonly minSleepMs?: number;
  /** Cap on the event-time gap between consecutive items (skips long quiet periods); default none. */
  readonly maxGapMs?: number;
  readonly signal?: AbortSignal;
}

export function validateSpeed(speed: unknown): Speed {
  if (speed === 'max') return 'max';
  if (typeof speed === 'number' && Number.isFinite(speed) && speed > 0) return speed;
  throw new ConfigError(`invalid replay speed: must be a positive number or "max" (got ${JSON.stringify(speed)})`);
}

/** Parses a CLI/env speed: "10", "0.5", "max". */
export function parseSpeed(text: string): Speed {
  return validateSpeed(text.trim().toLowerCase() === 'max' ? 'max' : Number(text));
}

/**
 * Schedules items on an absolute timeline: item i is due at
 * `anchorWall + (E_i - anchorEvent) / speed`. Absolute (not per-gap) scheduling means timer
 * lateness does not accumulate. `rebase()` re-anchors after the caller stalled (pause,
 * backpressure) so the tape resumes from "now" instead of bursting to catch up.
 */
export class Pacer {
  readonly speed: Speed;
  private readonly clock: PaceClock;
  private readonly yieldEvery: number;
  private readonly minSleepMs: number;
  private readonly maxGapMs: number;
  private readonly signal: AbortSignal | undefined;
  private anchorWall: number | undefined;
  private anchorEvent = 0;
  private lastEvent = -Infinity;
  private sinceYield = 0;

  constructor(options: PaceOptions) {
    this.speed = validateSpeed(options.speed);
    this.clock = options.clock ?? realClock;
    this.yieldEvery = Math.max(1, options.yieldEvery ?? 256);
    this.minSleepMs = options.minSleepMs ?? 1;
    this.maxGapMs = options.maxGapMs ?? Infinity;
    this.signal = options.signal;
  }

  /** Waits until the item with this event time is due. */
  async wait(eventTimeMs: number): Promise<void> {
    if (this.speed === 'max') return this.maybeYield();
    if (this.anchorWall === undefined) {
      this.anchor(eventTimeMs);
      return this.maybeYield();
    }
    const gap = eventTimeMs - this.lastEvent;
    if (gap > this.maxGapMs) this.anchorEvent += gap - this.maxGapMs;
    if (eventTimeMs > this.lastEvent) this.lastEvent = eventTimeMs;
    const due = this.anchorWall + (eventTimeMs - this.anchorEvent) / this.speed;
    const delay = due - this.clock.now();
    if (delay >= this.minSleepMs) {
      this.sinceYield = 0;
      await this.clock.sleep(delay, this.signal);
    } else {
      await this.maybeYield();
    }
  }

  /** Re-anchors: the item with `eventTimeMs` is due now; without it, the next waited-for item is. */
  rebase(eventTimeMs?: number): void {
    if (eventTimeMs === undefined) this.anchorWall = undefined;
    else this.anchor(eventTimeMs);
  }

  private anchor(eventTimeMs: number): void {
    this.anchorWall = this.clock.now();
    this.anchorEvent = eventTimeMs;
    this.lastEvent = eventTimeMs;
  }

  private async maybeYield(): Promise<void> {
    if (++this.sinceYield >= this.yieldEvery) {
      this.sinceYield = 0;
      await this.clock.sleep(0, this.signal);
    }
  }
}

/**
 * Yields items spaced by their event-time differences divided by `speed` (the first at once).
 * 'max' yields as fast as the consumer takes them, yielding to the event loop every
 * `yieldEvery` items so sockets and timers still run.
 */
export async function* pace<T extends Timed>(items: AsyncIterable<T> | Iterable<T>, options: PaceOptions): AsyncGenerator<T> {
  const pacer = new Pacer(options);
  for await (const item of items) {
    await pacer.wait(item.eventTimeMs);
    yield item;
  }
}

// Same error as common's sleep() raises on abort, so callers test one code.
function abortError(): Error {
  return new AppError('ABORTED', 'aborted');
}
