#!/usr/bin/env node
/**
 * crypto-replay: serve a recording as a local Binance, or summarise recordings.
 *   crypto-replay serve --port 9443 --speed 10 --files data/recordings/btcusdt_20240809.gz
 *   crypto-replay stats data/recordings/*.gz
 * Results go to stdout; progress and logs to stderr (so stdout stays parseable).
 */
import { Command, InvalidArgumentError } from 'commander';
import { createLogger, describeError } from '@crypto-anomaly/common';
import { startLocalBinance } from './local-binance.js';
import { bundledRecordingPaths } from './merge.js';
import { parseSpeed } from './pace.js';
import { readRecording, type ReaderStats } from './reader.js';

const intArg = (name: string) => (value: string): number => {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${name} must be a non-negative integer`);
  return Number(value);
};

const program = new Command()
  .name('crypto-replay')
  .description('Replay recorded Binance market data: a local Binance WebSocket server, and recording statistics');

program
  .command('serve')
  .description('start a local Binance WebSocket server playing recordings (default: the bundled 11-minute BTCUSDT+ETHUSDT recording)')
  .option('--port <n>', 'port (0 = any free port)', intArg('--port'), 9443)
  .option('--host <host>', 'interface to listen on', '127.0.0.1')
  .option('--speed <x>', 'replay speed: multiple of real time, or "max"', (v: string) => {
    try {
      return parseSpeed(v);
    } catch (err) {
      throw new InvalidArgumentError(describeError(err));
    }
  }, 1 as number | 'max')
  .option('--files <paths...>', 'recording files, merged by event time')
  .option('--loop', 'start over when the tape ends', false)
  .option('--no-wait', 'start the tape at once instead of on the first connection')
  .option('--ping-interval-ms <n>', 'server ping interval', intArg('--ping-interval-ms'), 20_000)
  .option('--pong-timeout-ms <n>', 'disconnect clients that send no pong for this long', intArg('--pong-timeout-ms'), 60_000)
  .action(async (opts: { port: number; host: string; speed: number | 'max'; files?: string[]; loop: boolean; wait: boolean; pingIntervalMs: number; pongTimeoutMs: number }) => {
    const logger = createLogger('replay');
    const files = opts.files ?? bundledRecordingPaths();
    const server = await startLocalBinance({
      port: opts.port,
      host: opts.host,
      speed: opts.speed,
      source: files,
      loop: opts.loop,
      startOnFirstConnection: opts.wait,
      pingIntervalMs: opts.pingIntervalMs,
      pongTimeoutMs: opts.pongTimeoutMs,
      logger,
    });
    process.stdout.write(`${server.url}\n`);
    process.stderr.write(`serving ${files.length} file(s) at speed ${opts.speed}; e.g. ${server.combinedUrl(['btcusdt@trade', 'ethusdt@trade'])}\n`);
    server.on('connection', (c) => process.stderr.write(`connection #${c.id} ${c.path}\n`));
    server.on('disconnect', (c, d) => process.stderr.write(`disconnect #${c.id} (${d.cause}, code ${d.code}) after ${c.messagesSent} messages\n`));
    void server.tapeFinished.then((s) => process.stderr.write(`tape finished (${s.reason}): ${s.messages} messages in ${s.passes} pass(es)${s.error === undefined ? '' : `: ${describeError(s.error)}`}\n`));
    const stop = (): void => {
      void server.close().then(() => process.exit(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

program
  .command('stats')
  .description('print message counts per stream and the time range of recording files')
  .argument('<files...>', 'recording files (gz or plain, either format)')
  .option('--json', 'print JSON instead of text', false)
  .action(async (files: string[], opts: { json: boolean }) => {
    const results: Array<{ stats: ReaderStats; firstEventMs?: number; lastEventMs?: number; firstReceivedMs?: number; lastReceivedMs?: number }> = [];
    for (const file of files) {
      const reader = readRecording(file);
      let firstEventMs: number | undefined;
      let lastEventMs: number | undefined;
      let firstReceivedMs: number | undefined;
      let lastReceivedMs: number | undefined;
      for await (const m of reader) {
        // Event time is not monotone across streams; take true min/max.
        if (firstEventMs === undefined || m.eventTimeMs < firstEventMs) firstEventMs = m.eventTimeMs;
        if (lastEventMs === undefined || m.eventTimeMs > lastEventMs) lastEventMs = m.eventTimeMs;
        firstReceivedMs ??= m.receivedAtMs;
        lastReceivedMs = m.receivedAtMs;
        if (reader.stats.messages % 50_000 === 0) process.stderr.write(`${file}: ${reader.stats.messages} messages...\n`);
      }
      results.push({ stats: reader.stats, firstEventMs, lastEventMs, firstReceivedMs, lastReceivedMs });
    }
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
      return;
    }
    const iso = (ms: number | undefined): string => (ms === undefined ? '-' : new Date(ms).toISOString());
    const totals: Record<string, number> = {};
    for (const r of results) {
      const s = r.stats;
      const out = [
        `${s.path}`,
        `  format:     ${s.format ?? 'unknown'}${s.compressed ? ' (gzip)' : ''}`,
        `  lines:      ${s.lines} (messages ${s.messages}, skipped ${s.skipped}, header ${s.headerLines}, empty ${s.emptyLines})`,
        ...Object.entries(s.skippedByReason)
          .filter(([, n]) => n > 0)
          .map(([k, n]) => `    skipped ${k}: ${n}`),
        `  event time: ${iso(r.firstEventMs)} -> ${iso(r.lastEventMs)}`,
        `  received:   ${iso(r.firstReceivedMs)} -> ${iso(r.lastReceivedMs)}`,
        `  E - received (latest): ${s.clockOffsetMs === undefined ? '-' : `${s.clockOffsetMs.toFixed(1)} ms`}; estimated event times: ${s.estimated}`,
        '  streams:',
        ...Object.entries(s.byStream)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, n]) => `    ${k.padEnd(28)} ${String(n).padStart(8)}`),
      ];
      for (const [k, n] of Object.entries(s.byStream)) totals[k] = (totals[k] ?? 0) + n;
      process.stdout.write(`${out.join('\n')}\n`);
    }
    if (results.length > 1) {
      const lines = Object.entries(totals)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, n]) => `  ${k.padEnd(30)} ${String(n).padStart(8)}`);
      const all = Object.values(totals).reduce((a, b) => a + b, 0);
      process.stdout.write(`total (${results.length} files, ${all} messages):\n${lines.join('\n')}\n`);
    }
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`crypto-replay: ${describeError(err)}\n`);
  process.exit(1);
});
