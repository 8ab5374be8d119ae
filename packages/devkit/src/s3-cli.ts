#!/usr/bin/env node
/**
 * A local S3-compatible server (Adobe S3Mock) for development, as a detached JVM that outlives this command.
 *   s3-cli start  [--data-dir var/s3] [--port 9000] [--buckets a,b]
 *   s3-cli status [--data-dir var/s3] [--json]
 *   s3-cli stop   [--data-dir var/s3]
 * `start` writes pid + endpoint to <data-dir>/s3.json and prints the endpoint; `stop` stops that pid.
 * Exit codes: 0 done, 1 failed (or `status`: not running), 2 bad arguments. Same shape as kafka-cli.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, createLogger, describeError } from '@crypto-anomaly/common';
import { isAlive, terminate } from './process.js';
import { DEFAULT_BUCKETS, DEFAULT_S3MOCK_VERSION, DEFAULT_S3_DATA_DIR, S3Server, answers, isS3MockProcess } from './s3-server.js';

export interface S3State {
  readonly pid: number;
  readonly endpoint: string;
  readonly port: number;
  readonly buckets: readonly string[];
  readonly dataDir: string;
  readonly version: string;
  readonly startedAt: string;
}

const USAGE = `usage: s3-cli <start|stop|status> [options]
  --data-dir <dir>     bucket storage and server log (default ${DEFAULT_S3_DATA_DIR})
start:
  --port <n>           HTTP port on 127.0.0.1 (default 9000; 0 = any free port)
  --buckets <a,b,...>  buckets to create (default ${DEFAULT_BUCKETS.join(',')})
  --timeout-ms <n>     start-up wait (default 60000)
status:
  --json               print s3.json as JSON`;

function intOption(value: string | undefined, name: string, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min) throw new ConfigError(`${name} must be an integer >= ${min} (got "${value}")`);
  return Number(value);
}

function readState(file: string): S3State | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as S3State;
  } catch {
    return undefined;
  }
}

/** Alive and really S3Mock (pids get recycled; never signal a stranger). */
function live(state: S3State | undefined): boolean {
  return state !== undefined && isAlive(state.pid) && isS3MockProcess(state.pid) !== false;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'data-dir': { type: 'string' },
      port: { type: 'string' },
      buckets: { type: 'string' },
      'timeout-ms': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals[0];
  if (values.help === true || command === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined && values.help !== true ? 2 : 0;
  }
  if (positionals.length > 1) throw new ConfigError(`unexpected argument "${positionals[1]}"`);
  const dataDir = resolve(values['data-dir'] ?? DEFAULT_S3_DATA_DIR);
  const stateFile = join(dataDir, 's3.json');
  const state = readState(stateFile);
  const err = (line: string): void => void process.stderr.write(`${line}\n`);

  switch (command) {
    case 'start': {
      const port = intOption(values.port, '--port', 9000);
      const buckets = values.buckets !== undefined ? values.buckets.split(',').map((s) => s.trim()).filter((s) => s !== '') : DEFAULT_BUCKETS;
      if (state !== undefined && live(state)) {
        err(`S3 server already running (pid ${state.pid})`);
        process.stdout.write(`${state.endpoint}\n`);
        return 0;
      }
      mkdirSync(dataDir, { recursive: true });
      const server = await S3Server.start({
        dataDir,
        port,
        buckets,
        startTimeoutMs: intOption(values['timeout-ms'], '--timeout-ms', 60_000, 1),
        detached: true,
        logger: createLogger('s3-cli'),
        onProgress: err,
      });
      const next: S3State = { pid: server.pid, endpoint: server.endpoint, port: server.port, buckets, dataDir, version: DEFAULT_S3MOCK_VERSION, startedAt: new Date().toISOString() };
      writeFileSync(stateFile, `${JSON.stringify(next, null, 2)}\n`);
      err(`S3 server ready in ${(server.lastStartMs / 1000).toFixed(1)} s; log: ${join(dataDir, 'server.log')}; stop with: s3-cli stop --data-dir ${dataDir}`);
      process.stdout.write(`${server.endpoint}\n`);
      return 0;
    }
    case 'stop': {
      if (state === undefined) {
        err(`no s3.json in ${dataDir}: not running`);
        return 0;
      }
      if (!live(state)) {
        err(`S3 server (pid ${state.pid}) is not running (or the pid is no longer S3Mock); not signalling it`);
        rmSync(stateFile, { force: true });
        return 0;
      }
      const { killed, ms } = await terminate(state.pid, { graceMs: 10_000 });
      rmSync(stateFile, { force: true });
      err(killed ? `S3 server (pid ${state.pid}) did not stop in time and was killed` : `S3 server (pid ${state.pid}) stopped in ${(ms / 1000).toFixed(1)} s`);
      return 0;
    }
    case 'status': {
      if (state === undefined || !live(state)) {
        process.stdout.write(values.json === true ? `${JSON.stringify({ running: false, dataDir })}\n` : `not running (data dir ${dataDir})\n`);
        return 1;
      }
      const ok = await answers(state.endpoint);
      if (values.json === true) process.stdout.write(`${JSON.stringify({ running: true, accepting: ok, ...state })}\n`);
      else process.stdout.write(`running: pid ${state.pid}, endpoint ${state.endpoint}, buckets ${state.buckets.join(',')}, ${ok ? 'answering' : 'NOT answering'}, since ${state.startedAt}\n`);
      return ok ? 0 : 1;
    }
    default:
      throw new ConfigError(`unknown command "${command}"\n${USAGE}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`s3-cli: ${describeError(error)}\n`);
    const usage = error instanceof ConfigError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true;
    process.exitCode = usage ? 2 : 1;
  },
);
