#!/usr/bin/env node
/**
 * crypto-udf-server: the stateless gRPC scoring sidecar.
 *
 *   node udf-server/dist/src/main.js [--config file.json] [--port 50051] [--host 0.0.0.0]
 *        [--metrics-port 9465] [--metrics-host 0.0.0.0] [--log-level info] ...
 *
 * Precedence: defaults < config file (--config or UDF_CONFIG) < environment (UDF_*) < flags.
 * On start it prints one JSON line to stdout: {"event":"listening","port":...,"metricsPort":...}.
 * Exit codes: 0 after a clean SIGTERM/SIGINT shutdown, 1 on a fatal error, 2 on bad config.
 */
import { parseArgs } from 'node:util';
import { ConfigError, createLogger, describeError } from '@crypto-anomaly/common';
import { loadUdfConfig } from './config.js';
import { startUdfServer } from './server.js';

const FLAGS = {
  config: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  'metrics-port': { type: 'string' },
  'metrics-host': { type: 'string' },
  'log-level': { type: 'string' },
  'shutdown-grace-ms': { type: 'string' },
  'flow-control-window-bytes': { type: 'string' },
  'max-windows-per-bundle': { type: 'string' },
  'momentum-windows': { type: 'string' },
  'min-votes': { type: 'string' },
  'model-version': { type: 'string' },
  'models-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Flag -> config path; numeric-looking values become numbers, zod checks the rest. */
const PATHS: Record<string, readonly string[]> = {
  host: ['server', 'host'],
  port: ['server', 'port'],
  'metrics-port': ['metrics', 'port'],
  'metrics-host': ['metrics', 'host'],
  'log-level': ['logLevel'],
  'shutdown-grace-ms': ['server', 'shutdownGraceMs'],
  'flow-control-window-bytes': ['server', 'flowControlWindowBytes'],
  'max-windows-per-bundle': ['limits', 'maxWindowsPerBundle'],
  'momentum-windows': ['scoring', 'momentumWindows'],
  'min-votes': ['scoring', 'consensus', 'minVotes'],
  'model-version': ['scoring', 'modelVersion'],
  'models-dir': ['scoring', 'models', 'dir'],
};

const USAGE = `usage: crypto-udf-server [--config file.json] ${Object.keys(PATHS).map((f) => `[--${f} v]`).join(' ')}
Environment: UDF_CONFIG, UDF_HOST, UDF_PORT, UDF_METRICS_PORT, UDF_METRICS_HOST, UDF_SHUTDOWN_GRACE_MS, UDF_FLOW_CONTROL_WINDOW_BYTES,
UDF_MAX_WINDOWS_PER_BUNDLE, UDF_MOMENTUM_WINDOWS, UDF_MIN_VOTES, UDF_MODEL_VERSION, UDF_MODELS_DIR, LOG_LEVEL.
--models-dir / UDF_MODELS_DIR: trained models (crypto-train --out DIR); a change to its files is reloaded.
Config fields and defaults: udf-server/README.md.`;

async function main(): Promise<void> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ options: FLAGS, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}\n${USAGE}`);
  }
  if (values['help'] === true) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const overrides = Object.entries(PATHS).map(([flag, path]) => {
    const v = values[flag];
    return [path, typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v] as const;
  });
  const file = (values['config'] as string | undefined) ?? (process.env['UDF_CONFIG'] || undefined);
  const config = loadUdfConfig({ file, env: process.env, overrides });
  const logger = createLogger('udf-server', config.logLevel);
  const server = await startUdfServer(config, { logger, ...(file !== undefined ? { reload: { file, env: process.env, overrides } } : {}) });
  process.stdout.write(`${JSON.stringify({ event: 'listening', host: config.server.host, port: server.port, metricsPort: server.metricsPort ?? null, configVersion: server.scorer.configVersion, modelVersion: server.scorer.modelVersion })}\n`);

  let signalled = false;
  const stop = (signal: string): void => {
    if (signalled) return;
    signalled = true;
    logger.info({ signal }, 'shutting down');
    server.shutdown().then(
      () => {
        process.stdout.write(`${JSON.stringify({ event: 'stopped', signal })}\n`);
        process.exitCode = 0;
      },
      (err: unknown) => fatal(err),
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

function fatal(err: unknown): void {
  // stderr directly as well: the async logger may not flush before exit.
  process.stderr.write(`udf-server: ${err instanceof ConfigError ? '' : 'fatal: '}${describeError(err)}\n`);
  process.exit(err instanceof ConfigError ? 2 : 1);
}

process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);
main().catch(fatal);
