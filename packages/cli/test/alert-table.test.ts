import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Alert } from '@crypto-anomaly/contract';
import { COLUMNS, formatAlertRow, formatHeader, formatPrice, formatReturn, formatWindow, reasonWidth, ScoredSummary } from '../src/alert-table.js';

const WINDOW_START = Date.UTC(2024, 7, 9, 0, 1, 10);
const alert: Alert = {
  symbol: 'BTCUSDT',
  interval: '10s',
  windowStartMs: WINDOW_START,
  windowEndMs: WINDOW_START + 10_000,
  close: 63112.5,
  returnPct: 3.0214,
  votes: 3,
  voters: 3,
  isAnomaly: true,
  confidence: 'HIGH',
  severity: 97,
  type: 'PRICE_SPIKE',
  reasons: [
    { feature: 'log_return', actual: 0.0297, typical: 0.0001, z: 41.2, detector: 'zscore', text: 'return +3.02% vs typical +0.01% (z=+41.2)' },
    { feature: 'realized_vol', actual: 0.03, typical: 0.0004, z: 30.1, detector: 'mad', text: 'volatility 3.0% vs typical 0.04% (z=+30.1)' },
  ],
  detectorScores: [],
  features: {},
  configVersion: 'cfg-1',
  modelVersion: 'none',
  tradeCount: 812,
};

const cells = (line: string): string[] => line.split(' | ').map((c) => c.trim());

test('a row has one cell per column in the header order, then the reasons', () => {
  const header = cells(formatHeader().split('\n')[0]!);
  assert.deepEqual(header, ['Symbol', 'Interval', 'Window (UTC)', 'Close', 'Return%', 'Votes', 'IS_ANOMALY', 'Confidence', 'Severity', 'Type', 'Reasons']);
  assert.deepEqual(cells(formatAlertRow(alert)), [
    'BTCUSDT', '10s', '00:01:10-00:01:20', '63112.50', '+3.02', '3/3', 'YES', 'HIGH', '97', 'PRICE_SPIKE',
    'return +3.02% vs typical +0.01% (z=+41.2); volatility 3.0% vs typical 0.04% (z=+30.1)',
  ]);
});

test('every row lines up with the header: fixed-width columns', () => {
  const headerLine = formatHeader().split('\n')[0]!;
  const row = formatAlertRow({ ...alert, symbol: 'X', close: 0.5, returnPct: -12.345, severity: 5 });
  const bars = (s: string): number[] => [...s.matchAll(/ \| /g)].map((m) => m.index!);
  assert.deepEqual(bars(row), bars(headerLine));
  assert.equal(bars(row).length, COLUMNS.length);
});

test('a window that is not anomalous and has no reasons shows "no" and a dash', () => {
  const row = cells(formatAlertRow({ ...alert, isAnomaly: false, votes: 0, confidence: 'NONE', type: 'UNSPECIFIED', reasons: [] }));
  assert.equal(row[6], 'no');
  assert.equal(row[5], '0/3');
  assert.equal(row[10], '-');
});

test('long reasons are cut to the width left on the terminal, with an ellipsis', () => {
  const row = formatAlertRow(alert, 30);
  const reasons = cells(row)[10]!;
  assert.equal(reasons.length, 30);
  assert.ok(reasons.endsWith('…'));
  assert.equal(reasonWidth(undefined), Infinity);
  assert.ok(reasonWidth(400) > 100);
  assert.equal(reasonWidth(80), 20, 'never less than 20 characters');
});

test('numbers are formatted for reading: signed returns, price decimals by magnitude, UTC windows', () => {
  assert.equal(formatReturn(3.0214), '+3.02');
  assert.equal(formatReturn(-0.151), '-0.15');
  assert.equal(formatReturn(-0.001), '0.00');
  assert.equal(formatReturn(0), '0.00');
  assert.equal(formatReturn(Number.NaN), '-');
  assert.equal(formatPrice(61234.5), '61234.50');
  assert.equal(formatPrice(2654.3123), '2654.31');
  assert.equal(formatPrice(1.23456), '1.2346');
  assert.equal(formatPrice(0.0123456), '0.012346');
  assert.equal(formatWindow(Date.UTC(2024, 7, 8, 23, 59, 0), Date.UTC(2024, 7, 9, 0, 0, 0)), '23:59:00-00:00:00');
});

test('the status line counts scored windows per interval and says when detectors are still warming up', () => {
  const s = new ScoredSummary();
  assert.match(s.format(), /waiting for scored windows/);
  s.add({ ...alert, isAnomaly: false, voters: 0 });
  s.add({ ...alert, interval: '1m', isAnomaly: false, voters: 0, windowEndMs: WINDOW_START + 60_000 });
  assert.equal(s.format(), '· scored 2 windows (10s 1, 1m 1), 0 anomalous, up to 00:02:10 UTC; detectors warming up');
  s.add(alert);
  assert.equal(s.format(), '· scored 3 windows (10s 2, 1m 1), 1 anomalous, up to 00:02:10 UTC');
});
