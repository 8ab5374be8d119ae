/**
 * "Any metric". The default detector is metric/detector.ts; this file also keeps the legacy mode:
 * the sidecar's detectors on one numeric series from a CSV of `timestamp,value`.
 * Each row becomes a two-feature vector, `value` and `change` (value - previous value; missing on
 * the first row), scored first and then learned, in file order, by the same gated z-score, MAD
 * and volatility-regime detectors with the same thresholds, warm-ups and gates as the sidecar
 * config (the volatility detector reads `change` as its return and has no volatility input).
 * anomaly_score = s^2 / (1 + s^2) in [0, 1), where s is the minVotes-th largest score/threshold
 * ratio among warm detectors, i.e. the same consensus statistic as the sidecar: 0.5 exactly when
 * minVotes detectors sit at their thresholds, 0.8 at twice, 0.9 at three times; 0 while cold.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Ensemble, FeatureSchema, GatedDetector, MadDetector, VolatilityRegimeDetector, ZScoreDetector } from '@crypto-anomaly/detectors';
import { parseScoringConfig, type ScoringConfig } from '@crypto-anomaly/scoring';
import { probationFor, scoreMetricSeries } from './metric/detector.js';
import { parseSeriesCsv } from './metric/series.js';

export interface CsvRow {
  readonly timestamp: string;
  readonly value: number;
}

export function parseCsv(text: string): CsvRow[] {
  const rows: CsvRow[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) return;
    const parts = t.split(',');
    if (parts.length < 2) throw new Error(`line ${i + 1}: expected "timestamp,value", got ${JSON.stringify(t)}`);
    const value = Number(parts[1]!.trim());
    if (i === 0 && Number.isNaN(value)) return; // header
    rows.push({ timestamp: parts[0]!.trim(), value });
  });
  return rows;
}

export function scoreSeries(values: readonly number[], scoring: ScoringConfig = parseScoringConfig({})): number[] {
  const schema = new FeatureSchema([
    { name: 'value', transform: 'identity' },
    { name: 'change', transform: 'identity' },
  ]);
  const d = scoring.detectors;
  const detectors = [
    new GatedDetector(new ZScoreDetector(schema, { warmUp: d.zscore.warmUp, halfLife: d.zscore.halfLife }), { threshold: d.zscore.gate }),
    new GatedDetector(new MadDetector(schema, { warmUp: d.mad.warmUp, window: d.mad.window }), { threshold: d.mad.gate }),
    new GatedDetector(new VolatilityRegimeDetector(schema, { returnFeature: 'change', volFeature: '-', warmUp: d.volatility.warmUp, lambda: d.volatility.lambda }), { threshold: d.volatility.gate }),
  ];
  const thresholds = [d.zscore.threshold, d.mad.threshold, d.volatility.threshold];
  const minVotes = scoring.consensus.minVotes;
  const ensemble = new Ensemble(schema, detectors);
  const x = new Float64Array(2);
  const scores = new Float64Array(3);
  const out: number[] = [];
  let prev = NaN;
  for (const v of values) {
    x[0] = Number.isFinite(v) ? v : NaN;
    x[1] = Number.isFinite(v) && Number.isFinite(prev) ? v - prev : NaN;
    const warm = detectors.map((det) => det.isWarm());
    ensemble.scoreThenLearn(x, scores);
    const ratios = thresholds.map((t, i) => (warm[i] ? scores[i]! / t : -1)).filter((r) => r >= 0).sort((a, b) => b - a);
    const s = ratios.length >= minVotes ? ratios[minVotes - 1]! : 0;
    out.push(Number.isFinite(s) ? (s * s) / (1 + s * s) : 1);
    if (Number.isFinite(v)) prev = v;
  }
  return out;
}

export type CsvDetector = 'metric' | 'legacy';

/**
 * Score a `timestamp,value` CSV into `timestamp,value,anomaly_score`, repeating each row's
 * timestamp and value text byte for byte. `metric` (default): the any-metric detector
 * (metric/detector.ts), score = 1 - tail probability, 12 decimals so the far tail stays ordered;
 * `legacy`: the sidecar's detectors as above.
 */
export function scoreCsvFile(input: string, output: string, scoring?: ScoringConfig, detector: CsvDetector = 'metric'): { rows: number; flagged: number } {
  const rows = parseSeriesCsv(readFileSync(input, 'utf8'));
  const scores = detector === 'metric' ? scoreMetricSeries(rows, { probation: probationFor(rows.length) }) : scoreSeries(rows.map((r) => r.value), scoring);
  const digits = detector === 'metric' ? 12 : 6;
  const lines = ['timestamp,value,anomaly_score', ...rows.map((r, i) => `${r.timestampText},${r.valueText},${scores[i]!.toFixed(digits)}`)];
  writeFileSync(output, lines.join('\n') + '\n');
  return { rows: rows.length, flagged: scores.filter((s) => s >= (detector === 'metric' ? 0.9999 : 0.5)).length };
}
