#!/usr/bin/env node
/**
 * crypto-stack: the local pipeline around a running Kafka broker, each piece a real process
 * stopped by its pid (scripts/run.sh starts the broker first, then `crypto-stack up`).
 *
 *   crypto-stack up [--brokers 127.0.0.1:9092] [--live] [--speed N|max] [--loop] [--symbols ..] [--streams ..]
 *                   [--checkpoint-dir var/flink-checkpoints] [--restore-from latest|<path>] [--web-ui-port 8081]
 *   crypto-stack checkpoint [--checkpoint-dir var/flink-checkpoints]     # prints the newest retained checkpoint
 *
 * `up` starts: the udf-server sidecar (with the shared models, trained once from the bundled tape
 * into var/models/default-<hash of the trainer's inputs>/ when missing; --no-models skips them), the Flink job on a MiniCluster (web UI), a local Binance
 * replaying the bundled recording (in this process; not with --live), the producer, and the
 * alert table in the foreground. Progress goes to stderr, every piece logs to var/log/. Ctrl-C
 * (SIGINT) or SIGTERM stops them in reverse order; a piece that dies stops the rest (exit 1).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { describeError } from '@crypto-anomaly/common';
import { DEFAULT_TOPICS as CONTRACT_TOPICS } from '@crypto-anomaly/contract';
import { createTopics, killWithParent, REPO_ROOT } from '@crypto-anomaly/devkit';
import { openBundledRecording, parseSpeed, startLocalBinance, type LocalBinance, type Speed } from '@crypto-anomaly/replay';
import { LoggedProcess } from './child.js';
import { FlinkJob, latestCheckpointIn } from './flink.js';
import { DEFAULT_CHECKPOINT_DIR, DEFAULT_LOG_DIR } from './paths.js';
import { ensureModels } from './models.js';
import { Sidecar } from './sidecar.js';
import { shiftingLoop } from './tape.js';

const PRODUCER_CLI = join(REPO_ROOT, 'producer', 'dist', 'src', 'cli.js');
const ALERTS_CLI = join(REPO_ROOT, 'packages', 'cli', 'dist', 'src', 'alerts.js');

const step = (m: string): void => {
  process.stderr.write(`\x1b[1m==>\x1b[0m ${m}\n`);
};
const info = (m: string): void => {
  process.stderr.write(`    ${m}\n`);
};

const port = (name: string) => (v: string): number => {
  if (!/^\d+$/.test(v) || Number(v) > 65_535) throw new InvalidArgumentError(`${name} must be a port number`);
  return Number(v);
};

interface UpOptions {
  brokers: string;
  live?: boolean;
  speed: Speed;
  loop?: boolean;
  symbols: string;
  streams: string;
  checkpointDir: string;
  checkpointInterval: string;
  restoreFrom?: string;
  webUiPort: number;
  scoringPort: number;
  binancePort: number;
  logDir: string;
  alerts: boolean;
  models: boolean;
}

const program = new Command('crypto-stack').description('Run the local pipeline as real processes');

program
  .command('up')
  .description('start sidecar, Flink job, local Binance, producer and the alert table against a running broker')
  .option('-b, --brokers <list>', 'Kafka bootstrap servers', '127.0.0.1:9092')
  .option('--live', 'connect the producer to real Binance instead of the local replay')
  .option('--speed <x>', 'replay speed: multiple of real time, or "max"', (v: string) => {
    try {
      return parseSpeed(v);
    } catch (err) {
      throw new InvalidArgumentError(describeError(err));
    }
  }, 1 as Speed)
  .option('--loop', 'replay the recording forever, each pass moved later in time with new trade ids')
  .option('--symbols <list>', 'symbols', 'BTCUSDT,ETHUSDT')
  .option('--streams <list>', 'stream kinds for the producer', 'trade,bookTicker')
  .option('--checkpoint-dir <uri>', 'Flink checkpoints: a path or file:// / s3:// URI', DEFAULT_CHECKPOINT_DIR)
  .option('--checkpoint-interval <duration>', 'Flink checkpoint interval (results appear when one completes)', '5s')
  .option('--restore-from <path>', 'start the job from a retained checkpoint; "latest" = the newest under --checkpoint-dir')
  .option('--web-ui-port <port>', 'Flink web UI / REST port', port('--web-ui-port'), 8081)
  .option('--scoring-port <port>', 'sidecar gRPC port', port('--scoring-port'), 50051)
  .option('--binance-port <port>', 'local Binance port', port('--binance-port'), 9443)
  .option('--log-dir <dir>', 'log directory', DEFAULT_LOG_DIR)
  .option('--no-alerts', 'do not show the alert table (run headless)')
  .option('--no-models', 'start the sidecar without the trained model detectors (default: train them once into var/models/, then use them)')
  .action((o: UpOptions) => up(o));

program
  .command('checkpoint')
  .description('print the newest retained checkpoint under a checkpoint directory (for --restore-from)')
  .option('--checkpoint-dir <dir>', 'checkpoint directory', DEFAULT_CHECKPOINT_DIR)
  .action((o: { checkpointDir: string }) => {
    const latest = latestCheckpointIn(o.checkpointDir);
    if (latest === undefined) {
      process.stderr.write(`no retained checkpoint under ${o.checkpointDir}\n`);
      process.exit(1);
    }
    process.stdout.write(`${latest}\n`);
  });

async function up(o: UpOptions): Promise<void> {
  const logDir = resolve(o.logDir);
  const checkpointDir = /^[a-z][a-z0-9+.-]+:/i.test(o.checkpointDir) ? o.checkpointDir : resolve(o.checkpointDir);
  const stops: Array<{ name: string; stop: () => Promise<unknown> }> = [];
  let stopping = false;
  const stopAll = async (code: number): Promise<never> => {
    if (!stopping) {
      stopping = true;
      step('stopping');
      for (const s of [...stops].reverse()) {
        try {
          await s.stop();
          info(`stopped ${s.name}`);
        } catch (err) {
          info(`stopping ${s.name} failed: ${describeError(err)}`);
        }
      }
    }
    process.exit(code);
  };
  // SIGHUP too: a closed terminal must not leave the pieces running. `on`, not `once`: devkit's
  // kill-with-parent hook re-raises the signal (killing us mid-shutdown) when it is the only
  // listener left. A second Ctrl-C exits at once (the hook has already sent SIGTERM to every piece).
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => void stopAll(0));
  // A piece that dies takes the demo down with a pointer to its log, rather than a silent table.
  const watch = (name: string, exited: Promise<unknown>, logFile: string): void => {
    void exited.then(() => {
      if (stopping) return;
      step(`${name} exited unexpectedly; see ${logFile}`);
      void stopAll(1);
    });
  };

  try {
    await createTopics(o.brokers, [...Object.values(CONTRACT_TOPICS), 'late-trades']);

    // The shared models (decision 069): trained once from the bundled tape, then cached.
    const models = o.models ? await ensureModels({ onProgress: info }) : undefined;
    step(`starting the scoring sidecar (udf-server) on 127.0.0.1:${o.scoringPort}${models !== undefined ? ` with models ${models.version}` : ', without models'}`);
    const sidecar = await Sidecar.start({ port: o.scoringPort, metricsPort: 9465, logFile: join(logDir, 'udf-server.log'), detached: true, onProgress: info, ...(models !== undefined ? { modelsDir: models.dir } : {}) });
    stops.push({ name: 'sidecar', stop: () => sidecar.stop() });

    let restoreFrom: string | undefined = o.restoreFrom;
    if (restoreFrom === 'latest') {
      restoreFrom = latestCheckpointIn(checkpointDir);
      if (restoreFrom === undefined) info(`no retained checkpoint under ${checkpointDir}: starting fresh`);
    }
    step(`starting the Flink job on a local MiniCluster (web UI http://localhost:${o.webUiPort}, checkpoints ${checkpointDir})`);
    const job = await FlinkJob.start({
      args: {
        'bootstrap-servers': o.brokers,
        'scoring-address': sidecar.address,
        'checkpoint-dir': checkpointDir,
        'checkpoint-interval': o.checkpointInterval,
        // Book tickers join the trades' windows (spread features, decision 066) when the producer
        // publishes them; without them the job runs trade-only (an empty topic would only go idle).
        'book-ticker-topic': CONTRACT_TOPICS.bookTicker,
        'book-ticker': o.streams.split(',').map((s: string) => s.trim()).includes('bookTicker') ? 'on' : 'off',
      },
      webUiPort: o.webUiPort,
      ...(restoreFrom !== undefined ? { restoreFrom } : {}),
      logFile: join(logDir, 'flink-job.log'),
      detached: true,
      onProgress: info,
    });
    stops.push({ name: 'Flink job', stop: () => job.stop() });
    watch('the Flink job', waitUntilDead(() => job.running), job.logFile);
    watch('the sidecar', waitUntilDead(() => sidecar.running), sidecar.logFile);

    let endpoint = 'wss://stream.binance.com:9443';
    let binance: LocalBinance | undefined;
    if (o.live !== true) {
      step(`starting local Binance on ws://127.0.0.1:${o.binancePort}: the bundled real recording at ${o.speed}x${o.loop === true ? ', looping with shifted times and ids' : ''}`);
      binance = await startLocalBinance({
        port: o.binancePort,
        speed: o.speed,
        ...(o.loop === true ? { source: shiftingLoop(() => openBundledRecording()), loop: true } : {}),
      });
      const b = binance;
      stops.push({ name: 'local Binance', stop: () => b.close() });
      endpoint = b.url;
      void b.tapeFinished.then((s) => {
        if (!stopping && s.reason === 'end') info(`the replay finished (${s.messages} messages); the job keeps the last windows open until newer trades arrive (--loop replays forever)`);
      });
    } else step(`connecting to live Binance (${endpoint})`);

    step(`starting the producer (${o.symbols}: ${o.streams}); live view and logs in ${join(logDir, 'producer.log')}`);
    const producer = LoggedProcess.spawn({
      command: process.execPath,
      args: [PRODUCER_CLI, '--symbols', o.symbols, '--streams', o.streams, '--endpoint', endpoint, '--brokers', o.brokers, '--live-view'],
      logFile: join(logDir, 'producer.log'),
      detached: true,
    });
    stops.push({ name: 'producer', stop: () => producer.stop() });
    watch('the producer', producer.exited, producer.logFile);

    step('running');
    info(`Flink web UI:   http://localhost:${o.webUiPort}`);
    info(`producer:       tail -f ${join(logDir, 'producer.log')}   metrics http://127.0.0.1:9464/metrics`);
    info(`sidecar:        ${sidecar.logFile}   metrics http://127.0.0.1:9465/metrics`);
    info(`every window:   node packages/cli/dist/src/alerts.js --all --from-beginning --brokers ${o.brokers}`);
    info(`checkpoints:    ${checkpointDir}  (restart from the newest: scripts/run.sh --restore-from latest)`);
    info('Ctrl-C stops everything.');
    if (!o.alerts) return;
    const table: ChildProcess = spawn(process.execPath, [ALERTS_CLI, '--brokers', o.brokers], { stdio: ['ignore', 'inherit', 'inherit'], detached: true });
    const releaseTable = table.pid !== undefined ? killWithParent(table.pid) : () => {};
    const tableExited = new Promise<void>((r) => table.once('exit', () => {
      releaseTable();
      r();
    }));
    stops.push({
      name: 'alert table',
      stop: async () => {
        if (table.exitCode === null && table.signalCode === null) table.kill('SIGTERM');
        await tableExited;
      },
    });
    watch('the alert table', tableExited, 'its output above');
  } catch (err) {
    step(`start-up failed: ${describeError(err)}`);
    await stopAll(1);
  }
}

/** Resolves when `alive()` turns false (polled: the pieces are detached children). */
function waitUntilDead(alive: () => boolean): Promise<void> {
  return new Promise((r) => {
    const timer = setInterval(() => {
      if (!alive()) {
        clearInterval(timer);
        r();
      }
    }, 500);
  });
}

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`crypto-stack: ${describeError(err)}\n`);
  process.exit(1);
});
