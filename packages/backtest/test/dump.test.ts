import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { strToU8, zipSync } from 'fflate';
import { cleanReport, liquidityTier, loadTape, readDump, runBacktest } from '../src/index.js';

const AGG_HEADER = 'agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker,is_best_match';
const AGG_ROWS = ['13519807,0.00141342,23.00000000,15373518,15373518,1570752011620,True,True', '13519808,0.00141266,54.00000000,15373519,15373519,1570752011620,False,True'];
const TRADE_ROWS = ['100,42000.5,0.01,420.005,1704067200000,true,true', '101,42001.0,0.02,840.02,1704067200123,false,true'];

function dir(): string {
  return mkdtempSync(join(tmpdir(), 'dump-'));
}

describe("Binance's public dumps (data.binance.vision) in the backtest", () => {
  it('reads aggTrades with a header, gzip, symbol from the file name, taker side from is_buyer_maker', async () => {
    const f = join(dir(), 'XRPETH-aggTrades-2019-10-11.csv.gz');
    writeFileSync(f, gzipSync([AGG_HEADER, ...AGG_ROWS].join('\n') + '\n'));
    const d = await readDump(f);
    assert.equal(d.symbol, 'XRPETH');
    assert.equal(d.kind, 'aggTrades');
    assert.deepEqual(d.trades[0], { timeMs: 1570752011620, id: 13519807, price: 0.00141342, quantity: 23, takerBuy: false });
    assert.equal(d.trades[1]!.takerBuy, true);
  });

  it('reads trades without a header from a zip, lower-case booleans, and microsecond timestamps', async () => {
    const f = join(dir(), 'BTCUSDT-trades-2025-01-01.zip');
    const micros = ['100,42000.5,0.01,420.005,1704067200000000,true,true'];
    writeFileSync(f, zipSync({ 'BTCUSDT-trades-2025-01-01.csv': strToU8([...micros, TRADE_ROWS[1]].join('\n')) }));
    const d = await readDump(f);
    assert.equal(d.kind, 'trades');
    assert.deepEqual(d.trades.map((t) => t.timeMs), [1704067200000, 1704067200123]);
    assert.deepEqual(d.trades.map((t) => t.takerBuy), [false, true]);
  });

  it('skips and counts malformed rows, never throws on data; a name without a symbol needs --symbols', async () => {
    const root = dir();
    const f = join(root, 'XRPETH-aggTrades-x.csv');
    writeFileSync(f, [AGG_HEADER, AGG_ROWS[0], '13519809,-1,5,1,1,1570752011700,True,True', 'garbage', AGG_ROWS[1]].join('\n'));
    const d = await readDump(f);
    assert.equal(d.trades.length, 2);
    assert.equal(d.skipped, 2);
    assert.equal(d.firstSkippedLine, 3);
    const anonymous = join(root, 'export.csv');
    writeFileSync(anonymous, TRADE_ROWS.join('\n'));
    await assert.rejects(readDump(anonymous), /does not name the symbol/);
    const tape = await loadTape({ files: [anonymous], symbols: ['ETHBTC'] });
    assert.equal(tape.get('ETHBTC')!.length, 2);
  });

  it('--no-inject: scores the clean dump once and counts alerts per wall-clock and per non-empty hour', async () => {
    const f = join(dir(), 'XRPETH-aggTrades-2019-10-11.csv');
    const rows = [AGG_HEADER];
    // Two hours, one trade a minute: thin.
    for (let i = 0; i < 120; i++) rows.push(`${1000 + i},${(0.0014 * (1 + 0.0001 * Math.sin(i))).toFixed(8)},${10 + (i % 7)},${i},${i},${1570752000000 + i * 60_000},${i % 2 === 0 ? 'True' : 'False'},True`);
    writeFileSync(f, rows.join('\n'));
    const { report, runs } = await runBacktest({ files: [f], inject: false, intervals: ['10s', '1m'] });
    assert.equal(runs.length, 1, 'no injected runs');
    assert.equal(report.tape.passes, 1, 'a dump is its own history');
    const c = report.cleanTape;
    assert.equal(c.symbols[0]!.tier, 'thin');
    const r10 = c.intervals['10s']!.all;
    assert.ok(Math.abs(r10.wallClockHours - 119 / 60) < 1e-9);
    assert.ok(Math.abs(r10.nonEmptyHours - (120 * 10) / 3600) < 1e-9);
    assert.equal(r10.alerts, c.alerts.filter((a) => a.interval === '10s').length);
  });

  it('names liquidity tiers by trades per hour', () => {
    assert.deepEqual([5000, 3600, 1000, 100, 10].map(liquidityTier), ['liquid', 'liquid', 'mid', 'thin', 'very-thin']);
    assert.equal(cleanReport(new Map(), [], ['10s']).alerts.length, 0);
  });
});

describe('thinning a tape to a lower liquidity tier', () => {
  it('keeps or drops whole taker orders, deterministically, and round-trips through the dump reader', async () => {
    const { thinTape, toAggTradesCsv } = await import('../src/index.js');
    const tape = await loadTape({ symbols: ['BTCUSDT'] });
    const a = thinTape(tape, 0.02, 7);
    assert.deepEqual(a, thinTape(tape, 0.02, 7));
    const rows = a.get('BTCUSDT')!;
    const all = tape.get('BTCUSDT')!;
    assert.ok(rows.length > 0 && rows.length < all.length * 0.06, `${rows.length} of ${all.length}`);
    // No order is split: every kept trade's same-ms same-side neighbours in the original are kept too.
    const kept = new Set(rows.map((t) => t.id));
    for (let i = 1; i < all.length; i++) {
      const p = all[i - 1]!;
      const t = all[i]!;
      if (t.timeMs === p.timeMs && t.takerBuy === p.takerBuy) assert.equal(kept.has(t.id), kept.has(p.id));
    }
    const f = join(dir(), 'BTCUSDT-aggTrades-thin.csv');
    writeFileSync(f, toAggTradesCsv(rows));
    assert.deepEqual((await readDump(f)).trades, rows);
  });
});
