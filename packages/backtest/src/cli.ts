#!/usr/bin/env node
/**
 * crypto-backtest: the labelled backtest of the scoring sidecar, and the any-metric CSV mode.
 *
 *   crypto-backtest [run] [files...] [--no-inject] [--loop 20] [--types A,B] [--magnitude 1] [--spacing 15]
 *                   [--warm-up N] [--intervals 10s,1m] [--symbols BTCUSDT] [--config udf.json] [--models DIR]
 *                   [--out var/backtest/report.json] [--html var/backtest/report.html]
 *   crypto-backtest csv in.csv out.csv [--detector metric|legacy] [--config udf.json]
 *
 * Exit codes: 0 done, 1 failure, 2 bad arguments.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError, describeError } from '@crypto-anomaly/common';
import { loadScoringConfig } from '@crypto-anomaly/scoring';
import { formatTable, runBacktest } from './backtest.js';
import { scoreCsvFile } from './csv.js';
import { parseFlags } from './flags.js';
import { renderHtml } from './html.js';
import { INJECTABLE_TYPES, type InjectedType } from './inject.js';

const USAGE = `usage:
  crypto-backtest [run] [files...] [options]   replay (default: the bundled real tape), inject, score, report
    files               recordings (hftbacktest / cryptofeed, .gz or plain) or Binance's public trades /
                        aggTrades CSV dumps (data.binance.vision; .csv, .csv.gz or .zip, header optional;
                        the symbol from the file name, e.g. XRPETH-aggTrades-2019-10-11.csv.gz, or --symbols X)
    --no-inject         score the clean tape only: list and count every alert (per wall-clock and per
                        non-empty symbol-hour, per interval, type and liquidity tier)
    --loop N            passes of the tape back to back for history (default 20; 1 for Binance dumps)
    --types A,B         injected types (default all: ${INJECTABLE_TYPES.join(', ')})
    --magnitude X       scale of every injection (default 1)
    --spacing N         10 s windows between events (default 15)
    --warm-up N         windows before the first event / before counting (default 2 x largest detector warm-up)
    --intervals 10s,1m  windows to score (default 10s; metrics are on 10s)
    --symbols A,B       only these symbols
    --config FILE       udf-server config file (same as the sidecar's)
    --models DIR        score with the trained models in DIR (crypto-train --out DIR); sets scoring.models.dir
    --out FILE          JSON report (default var/backtest/report.json)
    --html FILE         picture (default var/backtest/report.html)
  crypto-backtest csv IN.csv OUT.csv [--detector metric|legacy] [--config FILE]
                        score a timestamp,value series -> timestamp,value,anomaly_score
                        (metric, default: 1 - tail probability; legacy: the sidecar's detectors, --config applies)`;

async function main(): Promise<void> {
  const f = parseFlags(
    { ...Object.fromEntries(['loop', 'types', 'magnitude', 'spacing', 'warm-up', 'intervals', 'symbols', 'config', 'models', 'out', 'html', 'detector'].map((n) => [n, { type: 'string' as const }])), 'no-inject': { type: 'boolean' as const } },
    USAGE,
  );
  if (f === undefined) return;
  const positionals = f.positionals;
  const command = positionals[0] === 'csv' || positionals[0] === 'run' ? positionals.shift()! : 'run';
  const configFile = f.string('config');
  const modelsDir = f.string('models');
  const config = { scoring: loadScoringConfig({ file: configFile, modelsDir }) };

  if (command === 'csv') {
    if (positionals.length !== 2) throw new ConfigError(`csv needs IN.csv and OUT.csv\n${USAGE}`);
    const detector = f.string('detector') ?? 'metric';
    if (detector !== 'metric' && detector !== 'legacy') throw new ConfigError(`--detector: ${detector} is not metric or legacy`);
    const { rows, flagged } = scoreCsvFile(positionals[0]!, positionals[1]!, config.scoring, detector);
    process.stdout.write(`scored ${rows} rows -> ${positionals[1]} (${flagged} with anomaly_score >= ${detector === 'metric' ? 0.9999 : 0.5})\n`);
    return;
  }

  const types = f.list('types')?.map((t) => t.toUpperCase());
  for (const t of types ?? []) if (!(INJECTABLE_TYPES as readonly string[]).includes(t)) throw new ConfigError(`--types: unknown type ${t} (use ${INJECTABLE_TYPES.join(', ')})`);
  const magnitudeFlag = f.string('magnitude');
  const magnitude = magnitudeFlag === undefined ? undefined : Number(magnitudeFlag);
  if (magnitude !== undefined && !(magnitude > 0)) throw new ConfigError(`--magnitude must be > 0`);
  const intervals = f.list('intervals');
  for (const i of intervals ?? []) if (i !== '10s' && i !== '1m') throw new ConfigError(`--intervals: ${i} is not 10s or 1m`);
  const outFile = f.string('out') ?? 'var/backtest/report.json';
  const htmlFile = f.string('html') ?? 'var/backtest/report.html';
  const loop = f.int('loop', 1);
  const spacing = f.int('spacing', 2);
  const warmUp = f.int('warm-up', 0);
  const symbols = f.list('symbols');

  const started = Date.now();
  const { report, runs } = await runBacktest({
    ...(positionals.length > 0 ? { files: positionals } : {}),
    ...(symbols !== undefined ? { symbols } : {}),
    ...(loop !== undefined ? { loop } : {}),
    ...(spacing !== undefined ? { spacing } : {}),
    ...(warmUp !== undefined ? { warmUpWindows: warmUp } : {}),
    ...(types !== undefined ? { types: types as InjectedType[] } : {}),
    ...(magnitude !== undefined ? { magnitude } : {}),
    ...(intervals !== undefined ? { intervals } : {}),
    scoring: config.scoring,
    ...(f.bool('no-inject') ? { inject: false } : {}),
    onDump: (d) => {
      if (d.skipped > 0) process.stderr.write(`crypto-backtest: ${d.file}: ${d.skipped} malformed row(s) skipped (first at line ${d.firstSkippedLine})\n`);
      process.stderr.write(`read ${d.trades} ${d.kind} of ${d.symbol} from ${d.file}\n`);
    },
  });
  const table = formatTable(report);
  process.stdout.write(`${table}\n`);
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, JSON.stringify({ command: `crypto-backtest ${process.argv.slice(2).join(' ')}`.trim(), seconds: (Date.now() - started) / 1000, ...report }, null, 2) + '\n');
  mkdirSync(dirname(htmlFile), { recursive: true });
  writeFileSync(htmlFile, renderHtml('crypto-anomaly backtest', table, runs));
  process.stdout.write(`wrote ${outFile} and ${htmlFile}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`crypto-backtest: ${describeError(err)}\n`);
  process.exit(err instanceof ConfigError ? 2 : 1);
});
