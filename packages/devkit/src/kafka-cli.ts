#!/usr/bin/env node
/**
 * A local Kafka 4.x broker for development, as a detached JVM that outlives this command.
 *   kafka-cli start  [--data-dir var/kafka] [--port 9092] [--partitions 3] [--topics a,b] [--log-level INFO]
 *   kafka-cli status [--data-dir var/kafka]
 *   kafka-cli stop   [--data-dir var/kafka]
 * `start` creates the platform's topics and writes pid + bootstrap to <data-dir>/broker.json; `stop`
 * stops that pid. Results go to stdout, progress to stderr.
 * Exit codes: 0 done, 1 failed (or `status`: not running), 2 bad arguments.
 *
 * Arguments are parsed with node:util parseArgs: three subcommands do not justify another
 * dependency in this package.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, logLevel as kafkaLogLevel } from 'kafkajs';
import { ConfigError, createLogger, describeError } from '@crypto-anomaly/common';
import { KAFKA_MAIN_CLASS, brokerLayout, type BrokerLogLevel } from './broker-config.js';
import { DEFAULT_TOPICS, KafkaBroker, createTopics } from './kafka-broker.js';
import { DEFAULT_DATA_DIR, DEFAULT_KAFKA_VERSION } from './paths.js';
import { isAlive, isJavaMain, terminate } from './process.js';

/** What `start` leaves behind for `stop` and `status` (and for scripts: `jq -r .bootstrap`). */
export interface BrokerState {
  readonly pid: number;
  readonly bootstrap: string;
  readonly port: number;
  readonly controllerPort: number;
  readonly dataDir: string;
  readonly kafkaVersion: string;
  readonly startedAt: string;
}

const USAGE = `usage: kafka-cli <start|stop|status> [options]
  --data-dir <dir>         broker data, config and logs (default ${DEFAULT_DATA_DIR})
start:
  --port <n>               client port on 127.0.0.1 (default 9092; 0 = any free port)
  --controller-port <n>    KRaft controller port (default 0 = any free port)
  --partitions <n>         partitions of each default topic (default 3)
  --topics <a,b,...>       topics to create instead of the platform's defaults
  --log-level <level>      broker log file level: TRACE|DEBUG|INFO|WARN|ERROR (default INFO)
  --kafka-version <v>      Kafka release from Maven Central (default ${DEFAULT_KAFKA_VERSION})
  --heap-mb <n>            broker max heap (default 512)
  --timeout-ms <n>         start-up wait (default 90000)
stop:
  --timeout-ms <n>         SIGTERM grace before SIGKILL (default 20000)
status:
  --json                   print broker.json as JSON`;

function intOption(value: string | undefined, name: string, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min) throw new ConfigError(`${name} must be an integer >= ${min} (got "${value}")`);
  return Number(value);
}

function readState(file: string): BrokerState | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as BrokerState;
  } catch {
    return undefined;
  }
}

/** Alive and really our broker (pids get recycled; never signal a stranger). */
function liveBroker(state: BrokerState | undefined): boolean {
  if (state === undefined || !isAlive(state.pid)) return false;
  return isJavaMain(state.pid, KAFKA_MAIN_CLASS) !== false;
}

async function answers(bootstrap: string): Promise<boolean> {
  const admin = new Kafka({ clientId: 'devkit-status', brokers: [bootstrap], logLevel: kafkaLogLevel.NOTHING, connectionTimeout: 2_000, requestTimeout: 3_000, retry: { retries: 0 } }).admin();
  try {
    await admin.connect();
    return (await admin.describeCluster()).brokers.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'data-dir': { type: 'string' },
      port: { type: 'string' },
      'controller-port': { type: 'string' },
      partitions: { type: 'string' },
      topics: { type: 'string' },
      'log-level': { type: 'string' },
      'kafka-version': { type: 'string' },
      'heap-mb': { type: 'string' },
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
  const dataDir = resolve(values['data-dir'] ?? DEFAULT_DATA_DIR);
  const layout = brokerLayout(dataDir);
  const state = readState(layout.stateFile);
  const err = (line: string): void => void process.stderr.write(`${line}\n`);

  switch (command) {
    case 'start': {
      const partitions = intOption(values.partitions, '--partitions', 3, 1);
      const topicNames = values.topics !== undefined ? values.topics.split(',').map((s) => s.trim()).filter((s) => s !== '') : DEFAULT_TOPICS;
      const topics = topicNames.map((name) => ({ name, partitions }));
      const level = (values['log-level'] ?? 'INFO').toUpperCase();
      if (!['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'OFF'].includes(level)) throw new ConfigError(`--log-level must be TRACE, DEBUG, INFO, WARN, ERROR or OFF (got "${values['log-level']}")`);
      const port = intOption(values.port, '--port', 9092);
      if (state !== undefined && liveBroker(state)) {
        // Idempotent: a second `start` makes sure the topics exist and reports the running broker.
        if (values.port !== undefined && port !== 0 && port !== state.port) err(`warning: broker already running on port ${state.port}, not ${port}`);
        const created = await createTopics(state.bootstrap, topics);
        err(`Kafka already running (pid ${state.pid})${created.length > 0 ? `; created topics: ${created.join(', ')}` : ''}`);
        process.stdout.write(`${state.bootstrap}\n`);
        return 0;
      }
      const broker = await KafkaBroker.start({
        dataDir,
        port,
        controllerPort: intOption(values['controller-port'], '--controller-port', 0),
        topics,
        logLevel: level as BrokerLogLevel,
        kafkaVersion: values['kafka-version'] ?? DEFAULT_KAFKA_VERSION,
        heapMb: intOption(values['heap-mb'], '--heap-mb', 512, 64),
        startTimeoutMs: intOption(values['timeout-ms'], '--timeout-ms', 90_000, 1),
        detached: true,
        logger: createLogger('kafka-cli'),
        onProgress: err,
      });
      const next: BrokerState = {
        pid: broker.pid!,
        bootstrap: broker.bootstrap,
        port: broker.port,
        controllerPort: broker.controllerPort,
        dataDir,
        kafkaVersion: broker.kafkaVersion,
        startedAt: new Date().toISOString(),
      };
      writeFileSync(layout.stateFile, `${JSON.stringify(next, null, 2)}\n`);
      err(`broker log: ${layout.serverLog}; stop with: kafka-cli stop --data-dir ${dataDir}`);
      process.stdout.write(`${broker.bootstrap}\n`);
      return 0;
    }
    case 'stop': {
      if (state === undefined) {
        err(`no broker.json in ${dataDir}: not running`);
        return 0;
      }
      if (!isAlive(state.pid)) {
        err(`Kafka (pid ${state.pid}) is not running`);
        rmSync(layout.stateFile, { force: true });
        return 0;
      }
      if (isJavaMain(state.pid, KAFKA_MAIN_CLASS) === false) {
        err(`pid ${state.pid} from ${layout.stateFile} is not a Kafka broker (stale file); not signalling it`);
        rmSync(layout.stateFile, { force: true });
        return 0;
      }
      const { killed, ms } = await terminate(state.pid, { graceMs: intOption(values['timeout-ms'], '--timeout-ms', 20_000, 1) });
      rmSync(layout.stateFile, { force: true });
      err(killed ? `Kafka (pid ${state.pid}) did not stop in time and was killed` : `Kafka (pid ${state.pid}) stopped in ${(ms / 1000).toFixed(1)} s`);
      return 0;
    }
    case 'status': {
      if (!liveBroker(state)) {
        if (values.json === true) process.stdout.write(`${JSON.stringify({ running: false, dataDir })}\n`);
        else process.stdout.write(`not running (data dir ${dataDir})\n`);
        return 1;
      }
      const s = state!;
      const ok = await answers(s.bootstrap);
      if (values.json === true) process.stdout.write(`${JSON.stringify({ running: true, accepting: ok, ...s })}\n`);
      else process.stdout.write(`running: pid ${s.pid}, bootstrap ${s.bootstrap}, Kafka ${s.kafkaVersion}, ${ok ? 'accepting clients' : 'NOT answering clients'}, since ${s.startedAt}\n`);
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
    process.stderr.write(`kafka-cli: ${describeError(error)}\n`);
    const usage = error instanceof ConfigError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true;
    process.exitCode = usage ? 2 : 1;
  },
);
