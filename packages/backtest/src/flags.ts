/**
 * Flag parsing shared by crypto-backtest and crypto-train: node:util parseArgs (string and boolean
 * options, positionals), `--help` printing the usage, and typed readers whose errors name the flag
 * (a ConfigError: the CLIs exit 2 on it).
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '@crypto-anomaly/common';

export type FlagSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

export interface Flags {
  readonly positionals: string[];
  /** A string flag's value, undefined when absent. */
  string(name: string): string | undefined;
  /** An integer flag >= min, undefined when absent. */
  int(name: string, min: number): number | undefined;
  /** A comma-separated list flag (blank items dropped), undefined when absent. */
  list(name: string): string[] | undefined;
  /** A boolean flag: true when given. */
  bool(name: string): boolean;
}

/** Parses `argv` (default: the process's); undefined when --help was given (the usage is printed). */
export function parseFlags(spec: FlagSpec, usage: string, argv: string[] = process.argv.slice(2)): Flags | undefined {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { ...spec, help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}\n${usage}`);
  }
  const v = parsed.values as Record<string, string | boolean | undefined>;
  if (v['help'] === true) {
    process.stdout.write(`${usage}\n`);
    return undefined;
  }
  const string = (name: string): string | undefined => (typeof v[name] === 'string' ? v[name] : undefined);
  return {
    positionals: [...parsed.positionals],
    string,
    int(name, min) {
      const raw = string(name);
      if (raw === undefined) return undefined;
      const n = Number(raw);
      if (!Number.isInteger(n) || n < min) throw new ConfigError(`--${name} must be an integer >= ${min}, got ${raw}`);
      return n;
    },
    list(name) {
      return string(name)?.split(',').map((s) => s.trim()).filter((s) => s !== '');
    },
    bool(name) {
      return v[name] === true;
    },
  };
}
