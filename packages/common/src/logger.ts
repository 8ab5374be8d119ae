import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs on stderr (stdout stays free for a CLI's own output). Quiet by default:
 * `warn` unless LOG_LEVEL says otherwise, so a normal run prints only what needs attention.
 * The level comes from the caller's config; this function reads no environment itself except
 * as the documented default.
 */
export function createLogger(name: string, level: string = process.env['LOG_LEVEL'] ?? 'warn'): Logger {
  return pino({ name, level, base: { component: name } }, pino.destination({ dest: 2, sync: false }));
}

/** A logger that writes nothing: for unit tests and library callers that bring none. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
