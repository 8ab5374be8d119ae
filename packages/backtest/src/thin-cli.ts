#!/usr/bin/env node
/**
 * crypto-thin: thins a recording (default: the bundled BTCUSDT+ETHUSDT tape) to a lower liquidity
 * tier and writes one Binance aggTrades dump per symbol, for tests and the thin-market backtest.
 *
 *   crypto-thin [files...] --keep 0.01 [--seed 1] [--out var/thin]
 *
 * Exit codes: 0 done, 1 failure, 2 bad arguments.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ConfigError, describeError } from '@crypto-anomaly/common';
import { parseFlags } from './flags.js';
import { loadTape } from './tape.js';
import { thinTape, toAggTradesCsv } from './thin.js';

const USAGE = `usage: crypto-thin [recording files...] --keep P [--seed N] [--out DIR]
    --keep P    share of taker orders kept, in (0, 1] (e.g. 0.01: a liquid pair becomes a thin one)
    --seed N    which orders are kept (default 1)
    --out DIR   where SYMBOL-aggTrades-thin-P.csv.gz files go (default var/thin)`;

async function main(): Promise<void> {
  const f = parseFlags({ keep: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' } }, USAGE);
  if (f === undefined) return;
  const keepRaw = f.string('keep');
  const keep = Number(keepRaw);
  if (keepRaw === undefined || !(keep > 0 && keep <= 1)) throw new ConfigError(`--keep must be a number in (0, 1]\n${USAGE}`);
  const seed = f.int('seed', 0) ?? 1;
  const out = f.string('out') ?? 'var/thin';
  const tape = await loadTape(f.positionals.length > 0 ? { files: f.positionals } : {});
  mkdirSync(out, { recursive: true });
  for (const [symbol, rows] of thinTape(tape, keep, seed)) {
    const file = join(out, `${symbol}-aggTrades-thin-${keep}.csv.gz`);
    writeFileSync(file, gzipSync(toAggTradesCsv(rows)));
    const span = rows.length > 1 ? (rows[rows.length - 1]!.timeMs - rows[0]!.timeMs) / 3_600_000 : 0;
    process.stdout.write(`${file}: ${rows.length} of ${tape.get(symbol)!.length} trades${span > 0 ? ` (${(rows.length / span).toFixed(0)} per hour)` : ''}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`crypto-thin: ${describeError(err)}\n`);
  process.exit(err instanceof ConfigError ? 2 : 1);
});
