#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, createLogger, describeError } from '@crypto-anomaly/common';
import { BinanceProducer, summarize } from './app.js';
import { parseProducerConfig, STREAM_KINDS, type ProducerConfigInput } from './config.js';
import { startLiveView } from './live-view.js';

/**
 * crypto-producer: Binance combined stream -> Kafka.
 * Exit codes: 0 after a clean SIGTERM/SIGINT shutdown, 1 on a fatal error, 2 on bad config.
 */
const list = (v: string): string[] => v.split(',').map((s) => s.trim()).filter(Boolean);
const int = (name: string) => (v: string): number => {
  if (!/^-?\d+$/.test(v)) throw new InvalidArgumentError(`${name} must be an integer`);
  return Number(v);
};

const program = new Command('crypto-producer')
  .description('Publish Binance market data (trades, aggTrades, klines, book tickers) to Kafka as protobuf records')
  .option('-c, --config <file>', 'JSON config file (flags override it)')
  .option('-s, --symbols <list>', 'comma-separated symbols, e.g. BTCUSDT,ETHUSDT', list)
  .option('--streams <list>', `comma-separated stream kinds: ${STREAM_KINDS.join(', ')}`, list)
  .option('-e, --endpoint <url>', 'Binance WebSocket base URL (default wss://stream.binance.com:9443)')
  .option('-b, --brokers <list>', 'Kafka bootstrap servers host:port,...', list)
  .option('--metrics-port <port>', 'Prometheus port (0 = any free port, -1 = off)', int('--metrics-port'))
  .option('--rotate-after-ms <ms>', 'rotate the connection after this long', int('--rotate-after-ms'))
  .option('--live-view', 'print a summary of what is flowing every 2 s')
  .option('--log-level <level>', 'fatal|error|warn|info|debug (default warn)')
  .showHelpAfterError()
  // A bad flag is a bad configuration: exit 2 like every other config error (commander exits 1).
  .exitOverride((err) => {
    process.exit(err.exitCode === 0 ? 0 : 2);
  });

async function main(): Promise<void> {
  program.parse();
  const o = program.opts<{
    config?: string; symbols?: string[]; streams?: string[]; endpoint?: string; brokers?: string[];
    metricsPort?: number; rotateAfterMs?: number; liveView?: boolean; logLevel?: string;
  }>();
  let input: Record<string, unknown> = {};
  if (o.config !== undefined) {
    try {
      input = JSON.parse(readFileSync(o.config, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(`cannot read config file ${o.config}: ${describeError(err)}`);
    }
    if (input === null || typeof input !== 'object' || Array.isArray(input)) throw new ConfigError(`config file ${o.config}: the top level must be a JSON object, got ${JSON.stringify(input)}`);
  }
  const merged = {
    ...input,
    ...(o.symbols ? { symbols: o.symbols } : {}),
    ...(o.streams ? { streams: o.streams } : {}),
    ...(o.endpoint ? { endpoint: o.endpoint } : {}),
    ...(o.logLevel ? { logLevel: o.logLevel } : {}),
    kafka: { ...(input['kafka'] as object), ...(o.brokers ? { brokers: o.brokers } : {}) },
    metrics: { ...(input['metrics'] as object), ...(o.metricsPort !== undefined ? { port: o.metricsPort } : {}) },
    connection: { ...(input['connection'] as object), ...(o.rotateAfterMs !== undefined ? { rotateAfterMs: o.rotateAfterMs } : {}) },
  } as ProducerConfigInput;
  const config = parseProducerConfig(merged);
  const log = createLogger('producer', config.logLevel);
  const producer = new BinanceProducer(config, { log });

  let stopView: (() => void) | undefined;
  let shuttingDown = false;
  const shutdown = (signal: string): void => {
    if (shuttingDown) return;
    shuttingDown = true;
    log.info({ signal }, 'stopping: closing intake, flushing to Kafka');
    stopView?.();
    producer.stop().then(
      () => {
        process.stderr.write(`${JSON.stringify({ event: 'stopped', ...summarize(producer.stats) })}\n`);
        process.exit(0);
      },
      (err: unknown) => {
        log.fatal({ err: describeError(err) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  await producer.start();
  if (o.liveView) stopView = startLiveView(producer, config);
}

main().catch((err: unknown) => {
  const code = err instanceof ConfigError ? 2 : 1;
  process.stderr.write(`${JSON.stringify({ level: 'fatal', component: 'producer', msg: describeError(err) })}\n`);
  if (err instanceof ConfigError) process.stderr.write(`crypto-producer: ${err.message}\n`);
  process.exit(code);
});
