import { ConfigError, parseConfig, z } from '@crypto-anomaly/common';
import { readFileSync } from 'node:fs';
import { scoringSchema } from '@crypto-anomaly/scoring';

// The scoring section's API, where the sidecar's users have always found it.
export {
  canonicalJson,
  configVersion,
  DEFAULT_SEVERITY_POINTS,
  DEFAULT_VOTE_FEATURES,
  HST_DEFAULT_FEATURES,
  HST_DEFAULTS,
  HST_MAX_STATE_BYTES,
  hstStateBytes,
  MODEL_DEFAULTS,
  MODEL_ROLES,
  type ModelRole,
  type ScoringConfig,
} from '@crypto-anomaly/scoring';

/**
 * The sidecar's whole configuration: `server`/`limits`/`metrics`/`logLevel` shape the process;
 * `scoring` (packages/scoring config.ts, where its defaults live) shapes every result and is what
 * `configVersion` hashes. Parsed once at start-up (parseUdfConfig) and frozen; every error names
 * the field, e.g. "invalid udf-server config: scoring.detectors.zscore.threshold: Too small".
 */
export const udfConfigSchema = z.strictObject({
  server: z
    .strictObject({
      /** 0.0.0.0: the kubelet's gRPC probe reaches the sidecar on the pod IP, Flink on localhost. */
      host: z.string().min(1).default('0.0.0.0'),
      /** 0 picks a free port (tests). */
      port: z.number().int().min(0).max(65_535).default(50051),
      /** SIGTERM: wait this long for in-flight calls (tryShutdown), then forceShutdown. */
      shutdownGraceMs: z.number().int().min(0).max(600_000).default(10_000),
      /**
       * HTTP/2 receive window the sidecar advertises, per stream and per connection, bytes
       * (docs/decisions/027). A ScoreBundle request is MBs; with Node's default 65,535 B the
       * client stalls for a WINDOW_UPDATE round trip every ~32 KB. 65535 = Node's default.
       */
      flowControlWindowBytes: z.number().int().min(65_535).max(2 ** 31 - 1).default(64 * 1024 * 1024),
    })
    .prefault({}),
  limits: z
    .strictObject({
      maxWindowsPerBundle: z.number().int().min(1).max(1_000_000).default(10_000),
      maxTradesPerWindow: z.number().int().min(1).default(2_000_000),
      /** Per-key state blob limit, bytes (a key needs ~2.7 KB with the defaults, decision 067; ~3.0 KB with the model detectors, decision 069). */
      maxStateBytes: z.number().int().min(64).max(16 * 1024 * 1024).default(64 * 1024),
      /** gRPC max receive/send message size, bytes. */
      maxMessageBytes: z.number().int().min(1024).max(2 ** 31 - 1).default(256 * 1024 * 1024),
    })
    .prefault({}),
  metrics: z
    .strictObject({
      /** Prometheus /metrics port; 0 picks a free port; -1 disables it. */
      port: z.number().int().min(-1).max(65_535).default(9465),
      host: z.string().min(1).default('0.0.0.0'),
    })
    .prefault({}),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('warn'),
  scoring: scoringSchema,
});

export type UdfConfig = Readonly<z.output<typeof udfConfigSchema>>;
export type UdfConfigInput = z.input<typeof udfConfigSchema>;

export function parseUdfConfig(input: unknown = {}): UdfConfig {
  return parseConfig(udfConfigSchema, input, 'udf-server');
}

/** Environment variables the CLI reads, each mapped to a config path. */
export const ENV_VARS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  UDF_HOST: ['server', 'host'],
  UDF_PORT: ['server', 'port'],
  UDF_SHUTDOWN_GRACE_MS: ['server', 'shutdownGraceMs'],
  UDF_FLOW_CONTROL_WINDOW_BYTES: ['server', 'flowControlWindowBytes'],
  UDF_METRICS_PORT: ['metrics', 'port'],
  UDF_METRICS_HOST: ['metrics', 'host'],
  UDF_MAX_WINDOWS_PER_BUNDLE: ['limits', 'maxWindowsPerBundle'],
  UDF_MOMENTUM_WINDOWS: ['scoring', 'momentumWindows'],
  UDF_MIN_VOTES: ['scoring', 'consensus', 'minVotes'],
  UDF_MODEL_VERSION: ['scoring', 'modelVersion'],
  UDF_MODELS_DIR: ['scoring', 'models', 'dir'],
  LOG_LEVEL: ['logLevel'],
});

const NUMERIC = /^-?\d+(\.\d+)?$/;

/** Sets a nested path in a plain object, creating the objects on the way. */
export function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let cur = target;
  for (const key of path.slice(0, -1)) {
    const next = cur[key];
    if (next === null || typeof next !== 'object') cur[key] = {};
    cur = cur[key] as Record<string, unknown>;
  }
  cur[path[path.length - 1]!] = value;
}

/**
 * Config input from (lowest to highest precedence) a JSON file, the environment and flags
 * (already mapped to paths by the caller). Values from the environment that look numeric become
 * numbers; zod then checks every field, so "UDF_PORT=abc" fails naming server.port.
 */
export function loadUdfConfig(options: { file?: string; env?: NodeJS.ProcessEnv; overrides?: ReadonlyArray<readonly [readonly string[], unknown]> } = {}): UdfConfig {
  let input: Record<string, unknown> = {};
  if (options.file !== undefined) {
    let text: string;
    try {
      text = readFileSync(options.file, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read config file ${options.file}: ${(err as Error).message}`, { cause: err });
    }
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('top level must be a JSON object');
      input = parsed as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(`config file ${options.file} is not valid JSON: ${(err as Error).message}`, { cause: err });
    }
  }
  for (const [name, path] of Object.entries(ENV_VARS)) {
    const raw = options.env?.[name];
    if (raw === undefined || raw === '') continue;
    setPath(input, path, NUMERIC.test(raw) ? Number(raw) : raw);
  }
  for (const [path, value] of options.overrides ?? []) if (value !== undefined) setPath(input, path, value);
  return parseUdfConfig(input);
}
