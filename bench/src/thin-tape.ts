#!/usr/bin/env node
/**
 * The thin-market benchmark (issue 8, decision 070): the real 59-hour Binance XRPETH aggTrades
 * tape from ../shared/data/binance-thin/ (GPL-3.0: read from there, never copied into this
 * repository), scored by the scoring core in process.
 *
 * Split: hours 0..30 are history (and what the defaults were tuned on); figures count only windows
 * from hour 30 on. Prints and writes var/bench/thin-tape.json:
 * - clean: alerts at 10 s and 1 m, per wall-clock symbol-hour and per non-empty symbol-hour;
 * - injected (the backtest's default injections, spacing and magnitude, planted from hour 30):
 *   precision, recall, F1 and delay per type at 10 s;
 * - cost: µs per window and state bytes per key.
 *
 *   node bench/dist/src/thin-tape.js [--tape FILE] [--split-hours 30] [--config udf.json]
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bundlesOf, cleanReport, loadTape, runBacktest, runScorer } from '@crypto-anomaly/backtest';
import { loadScoringConfig, Scorer } from '@crypto-anomaly/scoring';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DEFAULT_TAPE = join(ROOT, '..', 'shared', 'data', 'binance-thin', 'XRPETH-aggTrades-2019-10-11_to_13.csv.gz');

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { tape: { type: 'string' }, 'split-hours': { type: 'string' }, config: { type: 'string' }, out: { type: 'string' } } });
  const file = values.tape ?? DEFAULT_TAPE;
  if (!existsSync(file)) {
    process.stdout.write(`thin-tape benchmark skipped: ${file} is not here (it lives in ../shared, beside the repository)\n`);
    return;
  }
  const splitHours = Number(values['split-hours'] ?? 30);
  const scoring = loadScoringConfig({ file: values.config });
  const tape = await loadTape({ files: [file] });
  const symbol = [...tape.keys()][0]!;
  const rows = tape.get(symbol)!;
  const t0 = rows[0]!.timeMs;
  const splitMs = t0 + splitHours * 3_600_000;
  process.stderr.write(`${symbol}: ${rows.length} trades over ${((rows[rows.length - 1]!.timeMs - t0) / 3_600_000).toFixed(1)} h; counting from hour ${splitHours}\n`);

  const clean: Record<string, unknown> = {};
  let cost = { microsPerWindow: 0, stateBytes: {} as Record<string, number> };
  for (const interval of ['10s', '1m']) {
    const res = runScorer(bundlesOf(tape, [interval]), scoring, new Scorer(scoring));
    const rep = cleanReport(tape, res.windows, [interval], splitMs).intervals[interval]!.all;
    clean[interval] = rep;
    if (interval === '10s') cost = { microsPerWindow: res.microsPerWindow, stateBytes: res.stateBytes };
    process.stdout.write(`clean ${interval.padEnd(3)}: ${rep.alerts} alerts = ${rep.perWallClockHour.toFixed(3)} per wall-clock symbol-hour (${rep.wallClockHours.toFixed(1)} h), ${rep.perNonEmptyHour.toFixed(3)} per non-empty symbol-hour (${rep.nonEmptyHours.toFixed(1)} h) ${JSON.stringify(rep.byType)}\n`);
  }
  const firstWindow = Math.floor(t0 / 10_000) * 10_000;
  const { report } = await runBacktest({ tape, loop: 1, scoring, warmUpWindows: Math.round((splitMs - firstWindow) / 10_000), intervals: ['10s'] });
  const injected = report.types.map((t) => ({ type: t.type, events: t.events, precision: t.precision, recall: t.recall, f1: t.f1, meanDelayWindows: t.meanDelayWindows }));
  for (const t of injected) process.stdout.write(`injected ${t.type.padEnd(24)} events ${String(t.events).padStart(4)}  P ${t.precision.toFixed(2)}  R ${t.recall.toFixed(2)}  F1 ${t.f1.toFixed(2)}\n`);
  process.stdout.write(`cost: ${cost.microsPerWindow.toFixed(1)} µs per window in process; state ${JSON.stringify(cost.stateBytes)}\n`);
  const out = values.out ?? join(ROOT, 'var', 'bench', 'thin-tape.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ tape: file, symbol, splitHours, configVersion: report.configVersion, clean, injected, cost }, null, 2) + '\n');
  process.stdout.write(`wrote ${out}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`thin-tape: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
