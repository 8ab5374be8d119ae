import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { evaluateClean, evaluateType } from '../src/evaluate.js';
import { inject, schedule } from '../src/inject.js';
import { parseCsv, scoreSeries } from '../src/csv.js';
import type { ScoredWindow } from '../src/run.js';
import { loopTape, parseTrade, type Tape, type Trade } from '../src/tape.js';
import { bundlesOf, windowsOf } from '../src/windows.js';

const T0 = 1_699_999_980_000; // a whole minute
const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));

function trades(n: number, startMs = T0, price = 100): Trade[] {
  return Array.from({ length: n }, (_, i) => ({ timeMs: startMs + i * 500, id: i + 1, price: price + (i % 3) * 0.01, quantity: 1, takerBuy: i % 2 === 0 }));
}

const win = (o: Partial<ScoredWindow>): ScoredWindow => ({
  symbol: 'BTCUSDT', interval: '10s', startMs: T0, close: 1, returnPct: 0, tradeCount: 1, isAnomaly: false, severity: 0, votes: 0, voters: 3, type: 'UNSPECIFIED', confidence: 'NONE', score: 0, statistic: 0, detectorScores: {}, reasons: [], features: {}, ...o,
});

describe('tape and windows', () => {
  it('parses trade and aggTrade envelopes with the taker side from m', () => {
    const t = parseTrade('{"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","t":7,"p":"61000.5","q":"0.01","T":5,"m":true,"M":true}}');
    assert.deepEqual(t, { symbol: 'BTCUSDT', trade: { timeMs: 5, id: 7, price: 61000.5, quantity: 0.01, takerBuy: false } });
    const a = parseTrade('{"stream":"nknusdt@aggTrade","data":{"e":"aggTrade","E":1,"s":"NKNUSDT","a":9,"p":"0.35","q":"10","f":1,"l":2,"T":6,"m":false}}');
    assert.equal(a?.trade.id, 9);
    assert.equal(a?.trade.takerBuy, true);
    assert.equal(parseTrade('{"stream":"x@trade","data":{"s":"X","p":"-1","q":"1","T":1,"t":1,"m":true}}'), undefined);
  });

  it('loops a tape with shifted times and ids and no price jump at the seam', () => {
    const tape: Tape = new Map([['BTCUSDT', [{ timeMs: T0 + 1_000, id: 1, price: 100, quantity: 1, takerBuy: true }, { timeMs: T0 + 50_000, id: 2, price: 110, quantity: 1, takerBuy: false }]]]);
    const { tape: looped, spanMs } = loopTape(tape, 3, 60_000);
    const rows = looped.get('BTCUSDT')!;
    assert.equal(spanMs, 60_000);
    assert.equal(rows.length, 6);
    assert.equal(rows[2]!.timeMs, T0 + 61_000);
    assert.equal(rows[2]!.id, 3);
    assert.ok(Math.abs(rows[2]!.price - 110) < 1e-9, 'pass 2 starts at pass 1 last price');
    assert.ok(rows.every((t, i) => i === 0 || t.timeMs > rows[i - 1]!.timeMs));
  });

  it('builds tumbling windows on trade time and bundles them by window end', () => {
    const ws = windowsOf('BTCUSDT', trades(50), '10s');
    assert.deepEqual(ws.map((w) => w.trades.length), [20, 20, 10]);
    assert.ok(ws.every((w) => w.trades.every((t) => t.timeMs >= w.startMs && t.timeMs < w.endMs)));
    const bundles = bundlesOf(new Map([['BTCUSDT', trades(50)], ['ETHUSDT', trades(50)]]), ['10s']);
    assert.deepEqual(bundles.map((b) => b.map((w) => w.symbol)), [['BTCUSDT', 'ETHUSDT'], ['BTCUSDT', 'ETHUSDT'], ['BTCUSDT', 'ETHUSDT']]);
  });
});

describe('injector', () => {
  it('plants a price spike only from mid-window to 3 s into the next window and leaves the input untouched', () => {
    const tape: Tape = new Map([['BTCUSDT', trades(100)]]);
    const events = [{ type: 'PRICE_SPIKE' as const, symbol: 'BTCUSDT', startMs: T0 + 10_000, windows: 1 }];
    const out = inject(tape, events).get('BTCUSDT')!;
    const orig = tape.get('BTCUSDT')!;
    out.forEach((t, i) => {
      const inside = t.timeMs >= T0 + 15_000 && t.timeMs < T0 + 23_000;
      assert.ok(Math.abs(t.price / orig[i]!.price - (inside ? 1.01 : 1)) < 1e-12, `trade ${i}`);
    });
  });

  it('plants a pump as a same-millisecond rush of taker buys', () => {
    const tape: Tape = new Map([['BTCUSDT', trades(100)]]);
    const out = inject(tape, [{ type: 'PUMP_PATTERN', symbol: 'BTCUSDT', startMs: T0 + 10_000, windows: 1 }]).get('BTCUSDT')!;
    const rush = out.filter((t) => t.timeMs === T0 + 16_000 && t.takerBuy);
    assert.ok(rush.length >= 150);
    assert.ok(out.every((t, i) => i === 0 || t.timeMs >= out[i - 1]!.timeMs));
  });

  it('schedules events after the warm-up, alternating symbols, market-wide in every symbol', () => {
    const base = { symbols: ['A', 'B'], firstWindowMs: T0, totalWindows: 100, warmUpWindows: 40, spacing: 20 };
    const ev = schedule({ ...base, type: 'VOLUME_BURST' });
    assert.deepEqual(ev.map((e) => [e.symbol, (e.startMs - T0) / 10_000]), [['A', 40], ['B', 60], ['A', 80]]);
    assert.equal(schedule({ ...base, type: 'MARKET_WIDE_MOVE' }).length, 6);
  });

  it('moves an event past windows where its symbol has no trades (the looped tape has a gap per pass)', () => {
    const base = { symbols: ['A', 'B'], firstWindowMs: T0, totalWindows: 100, warmUpWindows: 40, spacing: 20 };
    // A has no trades in windows 40..42; the spike's next window must have trades too.
    const hasTrades = (s: string, ms: number): boolean => !(s === 'A' && ms >= T0 + 40 * 10_000 && ms < T0 + 43 * 10_000);
    const ev = schedule({ ...base, type: 'PRICE_SPIKE', hasTrades });
    assert.deepEqual(ev.map((e) => [e.symbol, (e.startMs - T0) / 10_000]), [['A', 43], ['B', 63], ['A', 83]]);
  });
});

describe('evaluation', () => {
  it('counts typed detections, precision, recall, F1 and delay', () => {
    const events = [
      { type: 'PRICE_SPIKE' as const, symbol: 'BTCUSDT', startMs: T0, windows: 1 },
      { type: 'PRICE_SPIKE' as const, symbol: 'BTCUSDT', startMs: T0 + 100_000, windows: 1 },
    ];
    const windows = [
      win({ startMs: T0 + 10_000, isAnomaly: true, type: 'PRICE_SPIKE' }), // delay 1
      win({ startMs: T0 + 100_000, isAnomaly: true, type: 'FLASH_CRASH' }), // detected, wrong type
      win({ startMs: T0 + 300_000, isAnomaly: true, type: 'PRICE_SPIKE' }), // false alert
    ];
    const m = evaluateType('PRICE_SPIKE', events, windows, 0);
    assert.equal(m.detected, 2);
    assert.equal(m.typed, 1);
    assert.equal(m.precision, 0.5);
    assert.equal(m.recall, 0.5);
    assert.equal(m.meanDelayWindows, 1);
    const c = evaluateClean(windows, 0);
    assert.equal(c.alerts, 3);
    assert.ok(Math.abs(c.symbolHours - 30 / 3600) < 1e-12);
    assert.equal(c.distinct, undefined);
  });

  it('counts a looped tape\'s repeated natural alert once, over one pass, with a Poisson upper bound', () => {
    // Two passes of 3 windows (span 30 s); the same position alerts in both.
    const ws = [0, 1, 2, 3, 4, 5].map((i) => win({ startMs: T0 + i * 10_000, isAnomaly: i % 3 === 1 }));
    const c = evaluateClean(ws, 0, '10s', 30_000);
    assert.equal(c.alerts, 2);
    assert.equal(c.distinct?.alerts, 1);
    assert.ok(Math.abs(c.distinct!.symbolHours - 30 / 3600) < 1e-12);
    assert.ok(Math.abs(c.distinct!.upper95PerSymbolHour - 4.74 / (30 / 3600)) < 1e-9);
  });
});

describe('any metric (CSV)', () => {
  it('scores a series in [0, 1] and flags a level shift after warm-up', () => {
    const values = Array.from({ length: 200 }, (_, i) => 10 + Math.sin(i * 1.3) * 0.5 + (i === 150 ? 8 : 0));
    const s = scoreSeries(values);
    assert.equal(s.length, 200);
    assert.ok(s.every((v) => v >= 0 && v <= 1));
    assert.ok(s[150]! >= 0.5, `score ${s[150]}`);
    assert.ok(s.slice(60, 150).every((v) => v < 0.5));
  });

  it('reads a header, skips blank lines and rejects a line without a value', () => {
    assert.deepEqual(parseCsv('timestamp,value\n1,2\n\n3,4.5\n'), [{ timestamp: '1', value: 2 }, { timestamp: '3', value: 4.5 }]);
    assert.throws(() => parseCsv('1\n'), /line 1/);
  });

  it('the CLI csv mode writes timestamp,value,anomaly_score', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bt-csv-'));
    const input = join(dir, 'in.csv');
    writeFileSync(input, ['timestamp,value', ...Array.from({ length: 80 }, (_, i) => `${i},${i === 70 ? 50 : 10 + (i % 4)}`)].join('\n'));
    execFileSync(process.execPath, [CLI, 'csv', input, join(dir, 'out.csv')]);
    const out = readFileSync(join(dir, 'out.csv'), 'utf8').trim().split('\n');
    assert.equal(out[0], 'timestamp,value,anomaly_score');
    assert.equal(out.length, 81);
    assert.ok(Number(out[71]!.split(',')[2]) >= 0.5);
  });
});
