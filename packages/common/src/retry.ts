import { AppError, isRetriable } from './errors.js';

/**
 * Exponential backoff with "full jitter" (AWS architecture blog): the n-th delay is uniform in
 * [0, min(max, initial * factor^n)]. Full jitter spreads reconnect storms of many clients best.
 * One helper serves the WebSocket reconnect, the Kafka producer and the gRPC client.
 */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
  /** Fraction of the delay that is randomised: 1 = full jitter, 0 = deterministic. */
  readonly jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = Object.freeze({ initialMs: 250, maxMs: 30_000, factor: 2, jitter: 1 });

export function backoffDelay(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.initialMs * Math.pow(policy.factor, Math.max(0, attempt)));
  const fixed = ceiling * (1 - policy.jitter);
  return Math.round(fixed + random() * (ceiling - fixed));
}

export interface RetryOptions {
  readonly policy?: BackoffPolicy;
  /** Give up after this many attempts in total (including the first). */
  readonly maxAttempts?: number;
  /** Give up when the next delay would end after this much time since the first attempt. */
  readonly budgetMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  readonly random?: () => number;
  readonly onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  /** Decides whether an error is worth another attempt; defaults to isRetriable. */
  readonly shouldRetry?: (err: unknown) => boolean;
  readonly signal?: AbortSignal;
}

export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AppError('ABORTED', 'aborted'));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(new AppError('ABORTED', 'aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** Runs `fn` until it succeeds, a non-retriable error occurs, or attempts/budget run out. */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const policy = options.policy ?? DEFAULT_BACKOFF;
  const now = options.now ?? Date.now;
  const doSleep = options.sleep ?? ((ms: number) => sleep(ms, options.signal));
  const shouldRetry = options.shouldRetry ?? isRetriable;
  const started = now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      const delay = backoffDelay(attempt, policy, options.random);
      const attemptsLeft = options.maxAttempts === undefined || attempt + 1 < options.maxAttempts;
      const budgetLeft = options.budgetMs === undefined || now() - started + delay <= options.budgetMs;
      if (!shouldRetry(err) || !attemptsLeft || !budgetLeft || options.signal?.aborted) throw err;
      options.onRetry?.(err, attempt, delay);
      await doSleep(delay);
    }
  }
}
