import { z } from 'zod';
import { ConfigError } from './errors.js';

/**
 * Parses configuration once with a zod schema and freezes the result. Any problem becomes a
 * ConfigError whose message names every offending field by its path, e.g.
 * "invalid producer config: symbols.0: symbol must match ^[A-Z0-9]{5,20}$ (got \"btc-usdt\")".
 */
export function parseConfig<S extends z.ZodType>(schema: S, input: unknown, what: string): Readonly<z.output<S>> {
  const result = schema.safeParse(input);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const path = issue.path.length > 0 ? issue.path.join('.') : '(root)';
      return `${path}: ${issue.message}`;
    });
    throw new ConfigError(`invalid ${what} config: ${lines.join('; ')}`);
  }
  return deepFreeze(result.data);
}

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}

/** Reads an integer environment variable, failing with the variable's name when malformed. */
export function envInt(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!/^-?\d+$/.test(raw)) throw new ConfigError(`invalid environment: ${name} must be an integer (got "${raw}")`);
  return Number(raw);
}

/** Splits "a,b , c" into ["a","b","c"]; undefined when the variable is unset. */
export function envList(env: NodeJS.ProcessEnv, name: string): string[] | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  return raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

export { z };
