import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MetricDetector, scoreMetricSeries } from '../src/metric/detector.js';
import { nabScore, nabWindows, scaledSigmoid } from '../src/metric/nab.js';
import { parseSeriesCsv, parseTimestamp } from '../src/metric/series.js';
import { nabTimestamp, rng, syntheticSeries } from '../src/metric/synth.js';

const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));
const STEP = 5 * 60_000;
const DAY = 288;
const START = Date.UTC(2014, 3, 1);

function noisy(n: number, f: (i: number) => number, seed = 1): { time: number; value: number }[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => ({ time: START + i * STEP, value: f(i) + (r() + r() + r() - 1.5) }));
}

const max = (xs: number[], from: number, to: number): number => Math.max(...xs.slice(from, to));

describe('the any-metric detector', () => {
  it('gives the same scores for the same series, all in [0, 1]', () => {
    const s = syntheticSeries(4);
    const rows = s.times.map((time, i) => ({ time, value: s.values[i]! }));
    const a = scoreMetricSeries(rows, { probation: 600 });
    assert.deepEqual(a, scoreMetricSeries(rows, { probation: 600 }));
    assert.ok(a.every((x) => x >= 0 && x <= 1));
    assert.ok(a.slice(0, 600).every((x) => x === 0), 'no alarm in the probationary period');
  });

  it('detects a spike', () => {
    const rows = noisy(3000, (i) => (i === 2000 ? 100 + 15 : 100));
    const scores = scoreMetricSeries(rows, { probation: 450 });
    assert.ok(scores[2000]! > 0.9999, `spike scored ${scores[2000]}`);
    assert.ok(max(scores, 450, 1990) < scores[2000]!);
  });

  it('alarms once at a level shift, then absorbs it', () => {
    const rows = noisy(4000, (i) => (i >= 2000 ? 110 : 100));
    const scores = scoreMetricSeries(rows, { probation: 600 });
    const quiet = max(scores, 600, 1990);
    assert.ok(max(scores, 2000, 2010) > 0.9999, 'the shift alarms');
    assert.ok(max(scores, 2600, 4000) <= Math.max(quiet, 0.999), `still alarmed after the shift: ${max(scores, 2600, 4000)} vs quiet ${quiet}`);
  });

  it('learns a daily cycle and does not alarm on it, but alarms on a missing peak', () => {
    const peak = (i: number): number => 40 * Math.exp(-(((i % DAY) / 12 - 14) ** 2) / 18);
    const missingDay = 12;
    const rows = noisy(16 * DAY, (i) => 100 + (Math.floor(i / DAY) === missingDay ? 0 : peak(i)));
    const det = new MetricDetector({ probation: 750 });
    const scores = rows.map((r) => det.scoreThenLearn(r.time, r.value));
    // From the second week on: the first days are still learning the profile (two visits per slot).
    const normalDays = max(scores, 7 * DAY, missingDay * DAY);
    assert.ok(normalDays < 0.9999, `alarmed on an ordinary day: ${normalDays}`);
    assert.ok(max(scores, missingDay * DAY + 8 * 12, missingDay * DAY + 16 * 12) > 0.9999, 'the missing peak alarms');
  });
});

describe('series CSV parsing', () => {
  it('reads ISO with a space or T/Z, and epoch seconds or milliseconds, as the same instant', () => {
    const ms = Date.UTC(2014, 3, 1, 12, 30, 0);
    for (const t of ['2014-04-01 12:30:00', '2014-04-01T12:30:00Z', '2014-04-01T14:30:00+02:00', String(ms / 1000), String(ms)]) assert.equal(parseTimestamp(t), ms, t);
  });

  it('names the line of a bad row', () => {
    assert.throws(() => parseSeriesCsv('timestamp,value\n2014-04-01 00:00:00,1\n2014-04-01 00:05:00,abc\n'), /line 3: value "abc"/);
    assert.throws(() => parseSeriesCsv('timestamp,value\nyesterday,1\n'), /line 2: timestamp "yesterday"/);
  });

  it('writes timestamps and values back byte for byte through crypto-backtest csv', () => {
    const dir = mkdtempSync(join(tmpdir(), 'metric-'));
    const rows = noisy(400, () => 100);
    const text = ['timestamp,value', ...rows.map((r, i) => `${i % 2 === 0 ? nabTimestamp(r.time) : new Date(r.time).toISOString()},${r.value.toFixed(3)}`)].join('\n') + '\n';
    writeFileSync(join(dir, 'in.csv'), text);
    execFileSync(process.execPath, [CLI, 'csv', join(dir, 'in.csv'), join(dir, 'out.csv')]);
    const out = readFileSync(join(dir, 'out.csv'), 'utf8').trim().split('\n');
    assert.equal(out[0], 'timestamp,value,anomaly_score');
    const inLines = text.trim().split('\n');
    for (let i = 1; i < inLines.length; i++) {
      assert.ok(out[i]!.startsWith(`${inLines[i]!},`), `row ${i}: ${out[i]}`);
      const s = Number(out[i]!.split(',')[2]);
      assert.ok(s >= 0 && s <= 1);
    }
  });
});

describe('the NAB-style scorer', () => {
  it('uses windows of 10 % of the rows over the anomalies, centred, and the scaled sigmoid', () => {
    assert.deepEqual(nabWindows(1000, [500]), [{ start: 450, end: 550 }]);
    assert.ok(Math.abs(scaledSigmoid(-1) - 0.98661) < 1e-5);
    assert.equal(scaledSigmoid(0), 0);
    assert.equal(scaledSigmoid(3), -1);
  });

  it('gives 100 to a detector that alarms at each window start only, 0 to one that never alarms, less for a late one', () => {
    const n = 2000;
    const anomalies = [1000];
    const [w] = nabWindows(n, anomalies);
    const at = (k: number): number[] => Array.from({ length: n }, (_, i) => (i === k ? 1 : 0));
    assert.equal(nabScore([{ name: 'a', scores: at(w!.start), anomalies }]).score, 100);
    assert.equal(nabScore([{ name: 'a', scores: new Array<number>(n).fill(0), anomalies }]).score, 0);
    const late = nabScore([{ name: 'a', scores: at(w!.end - 5), anomalies }]).score;
    assert.ok(late > 50 && late < 60, `a late detection is worth little more than a miss: ${late}`);
    // One early detection plus a false alarm far away: 100 minus the cost of a false positive.
    const withFp = at(w!.start);
    withFp[1800] = 1;
    assert.ok(Math.abs(nabScore([{ name: 'a', scores: withFp, anomalies }]).score - 100 * (1 + 1 - 0.11) / 2) < 1e-9);
  });
});
