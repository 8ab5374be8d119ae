#!/usr/bin/env node
/**
 * crypto-backtest: the labelled backtest of the scoring sidecar, and the any-metric CSV mode.
 *
 *   crypto-backtest [run] [files...] [--loop 20] [--types A,B] [--magnitude 1] [--spacing 15]
 *                   [--warm-up N] [--intervals 10s,1m] [--symbols BTCUSDT] [--config udf.json] [--models DIR]
 *                   [--out var/backtest/report.json] [--html var/backtest/report.html]
 *   crypto-backtest csv in.csv out.csv [--config udf.json]
 *
 * Exit codes: 0 done, 1 failure, 2 bad arguments.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, describeError } from '@crypto-anomaly/common';
import { loadUdfConfig } from '@crypto-anomaly/udf-server';
import { formatTable, runBacktest } from './backtest.js';
import { scoreCsvFile } from './csv.js';
import { renderHtml } from './html.js';
import { INJECTABLE_TYPES, type InjectedType } from './inject.js';

const USAGE = `usage:
  crypto-backtest [run] [recording files...] [options]   replay (default: the bundled real tape), inject, score, report
    --loop N            passes of the tape back to back for history (default 20)
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
  crypto-backtest csv IN.csv OUT.csv [--config FILE]     score a timestamp,value series -> timestamp,value,anomaly_score`;

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        loop: { type: 'string' },
        types: { type: 'string' },
        magnitude: { type: 'string' },
        spacing: { type: 'string' },
        'warm-up': { type: 'string' },
        intervals: { type: 'string' },
        symbols: { type: 'string' },
        config: { type: 'string' },
        models: { type: 'string' },
        out: { type: 'string' },
        html: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}\n${USAGE}`);
  }
  const v = parsed.values as Record<string, string | boolean | undefined>;
  if (v['help'] === true) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const positionals = [...parsed.positionals];
  const command = positionals[0] === 'csv' || positionals[0] === 'run' ? positionals.shift()! : 'run';
  const config = loadUdfConfig({
    ...(typeof v['config'] === 'string' ? { file: v['config'] } : {}),
    ...(typeof v['models'] === 'string' ? { overrides: [[['scoring', 'models', 'dir'], v['models']]] as const } : {}),
  });
  const int = (name: string, min: number): number | undefined => {
    const raw = v[name];
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new ConfigError(`--${name} must be an integer >= ${min}, got ${String(raw)}`);
    return n;
  };

  if (command === 'csv') {
    if (positionals.length !== 2) throw new ConfigError(`csv needs IN.csv and OUT.csv\n${USAGE}`);
    const { rows, flagged } = scoreCsvFile(positionals[0]!, positionals[1]!, config.scoring);
    process.stdout.write(`scored ${rows} rows -> ${positionals[1]} (${flagged} with anomaly_score >= 0.5)\n`);
    return;
  }

  const types = typeof v['types'] === 'string' ? v['types'].split(',').map((t) => t.trim().toUpperCase()) : undefined;
  for (const t of types ?? []) if (!(INJECTABLE_TYPES as readonly string[]).includes(t)) throw new ConfigError(`--types: unknown type ${t} (use ${INJECTABLE_TYPES.join(', ')})`);
  const magnitude = v['magnitude'] === undefined ? undefined : Number(v['magnitude']);
  if (magnitude !== undefined && !(magnitude > 0)) throw new ConfigError(`--magnitude must be > 0`);
  const intervals = typeof v['intervals'] === 'string' ? v['intervals'].split(',') : undefined;
  for (const i of intervals ?? []) if (i !== '10s' && i !== '1m') throw new ConfigError(`--intervals: ${i} is not 10s or 1m`);
  const outFile = typeof v['out'] === 'string' ? v['out'] : 'var/backtest/report.json';
  const htmlFile = typeof v['html'] === 'string' ? v['html'] : 'var/backtest/report.html';
  const loop = int('loop', 1);
  const spacing = int('spacing', 2);
  const warmUp = int('warm-up', 0);

  const started = Date.now();
  const { report, runs } = await runBacktest({
    ...(positionals.length > 0 ? { files: positionals } : {}),
    ...(typeof v['symbols'] === 'string' ? { symbols: v['symbols'].split(',') } : {}),
    ...(loop !== undefined ? { loop } : {}),
    ...(spacing !== undefined ? { spacing } : {}),
    ...(warmUp !== undefined ? { warmUpWindows: warmUp } : {}),
    ...(types !== undefined ? { types: types as InjectedType[] } : {}),
    ...(magnitude !== undefined ? { magnitude } : {}),
    ...(intervals !== undefined ? { intervals } : {}),
    scoring: config.scoring,
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
