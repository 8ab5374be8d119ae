#!/usr/bin/env node
/**
 * The any-metric benchmark: the synthetic labelled series (metric/synth.ts) scored by the metric
 * detector, by the old CSV mode (the sidecar's detectors) and by a seeded random detector, each
 * judged by our NAB standard-profile scorer (metric/nab.ts) with one threshold per detector and
 * half. The detector's settings were tuned on the odd seeds; the even seeds are the report.
 *
 *   node packages/backtest/dist/src/metric-bench.js [--series 32] [--out var/bench/metric-bench.json] [--write-csv DIR]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { scoreSeries } from './csv.js';
import { probationFor, scoreMetricSeries } from './metric/detector.js';
import { nabScore, type LabelledScores, type NabResult } from './metric/nab.js';
import { nabTimestamp, rng, syntheticSeries, type SyntheticSeries } from './metric/synth.js';

const { values: flags } = parseArgs({
  options: { series: { type: 'string', default: '32' }, out: { type: 'string', default: 'var/bench/metric-bench.json' }, 'write-csv': { type: 'string' } },
});
const count = Number(flags.series);
if (!Number.isInteger(count) || count < 2) throw new Error(`--series must be an integer >= 2, got ${flags.series}`);

const series: SyntheticSeries[] = Array.from({ length: count }, (_, i) => syntheticSeries(i + 1));
const detectors: Record<string, (s: SyntheticSeries) => number[]> = {
  metric: (s) => scoreMetricSeries(s.times.map((time, i) => ({ time, value: s.values[i]! })), { probation: probationFor(s.values.length) }),
  'old-csv': (s) => scoreSeries(s.values),
  random: (s) => {
    const r = rng(s.seed);
    return s.values.map(() => r());
  },
};

const started = Date.now();
const results: Record<string, Record<string, NabResult>> = {};
for (const [name, detect] of Object.entries(detectors)) {
  const scored: (LabelledScores & { seed: number })[] = series.map((s) => ({ name: s.name, seed: s.seed, scores: detect(s), anomalies: s.anomalies }));
  results[name] = {
    tune: nabScore(scored.filter((s) => s.seed % 2 === 1)),
    report: nabScore(scored.filter((s) => s.seed % 2 === 0)),
    all: nabScore(scored),
  };
}

const pad = (s: string, n: number): string => s.padEnd(n);
process.stdout.write(`NAB standard profile on ${count} synthetic series (${series.reduce((a, s) => a + s.values.length, 0)} rows); tuned on odd seeds, reported on even seeds\n`);
process.stdout.write(`${pad('detector', 10)}${pad('report (even)', 16)}${pad('tune (odd)', 14)}${pad('all', 8)}detected/windows  false alarms  threshold (report)\n`);
for (const [name, r] of Object.entries(results)) {
  const rep = r.report!;
  process.stdout.write(
    `${pad(name, 10)}${pad(rep.score.toFixed(1), 16)}${pad(r.tune!.score.toFixed(1), 14)}${pad(r.all!.score.toFixed(1), 8)}${pad(`${rep.detected}/${rep.windows}`, 18)}${pad(String(rep.falsePositives), 14)}${rep.threshold}\n`,
  );
}
mkdirSync(dirname(flags.out!), { recursive: true });
writeFileSync(
  flags.out!,
  JSON.stringify(
    {
      command: `node packages/backtest/dist/src/metric-bench.js ${process.argv.slice(2).join(' ')}`.trim(),
      seconds: (Date.now() - started) / 1000,
      series: series.map((s) => ({ name: s.name, seed: s.seed, half: s.seed % 2 === 1 ? 'tune' : 'report', rows: s.values.length, anomalies: s.anomalies })),
      results,
    },
    null,
    2,
  ) + '\n',
);
process.stdout.write(`wrote ${flags.out}\n`);
if (flags['write-csv'] !== undefined) {
  mkdirSync(flags['write-csv'], { recursive: true });
  for (const s of series) {
    writeFileSync(join(flags['write-csv'], `${s.name}.csv`), ['timestamp,value', ...s.times.map((t, i) => `${nabTimestamp(t)},${s.values[i]}`)].join('\n') + '\n');
  }
  process.stdout.write(`wrote ${series.length} CSVs (labels in the JSON) to ${flags['write-csv']}\n`);
}
