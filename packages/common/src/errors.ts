/**
 * One error taxonomy for the whole Node side. Every error we raise on purpose is an AppError:
 * `retriable` tells the one retry helper (retry.ts) whether trying again can help, and `cause`
 * keeps the underlying error for logs. Anything that is not an AppError is treated as fatal.
 */
export class AppError extends Error {
  readonly retriable: boolean;
  readonly code: string;

  constructor(code: string, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}

/** Invalid configuration: raised once at start-up, names the offending field. */
export class ConfigError extends AppError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('CONFIG', message, { retriable: false, ...options });
    this.name = 'ConfigError';
  }
}

export function isRetriable(err: unknown): boolean {
  if (err instanceof AppError) return err.retriable;
  // kafkajs marks its own transient errors with `retriable`.
  return typeof err === 'object' && err !== null && (err as { retriable?: unknown }).retriable === true;
}

/** A message for logs that includes the cause chain, e.g. "publish failed: broker down: ECONNREFUSED". */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  let cur: unknown = err;
  for (let depth = 0; cur !== undefined && cur !== null && depth < 5; depth++) {
    parts.push(cur instanceof Error ? cur.message : String(cur));
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  return parts.join(': ');
}
