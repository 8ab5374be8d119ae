import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bookSummaries, injectBook, loopBook, quoteColumns, type Book } from '../src/book.js';
import type { Tape } from '../src/tape.js';
import { bundlesOf, toScoringWindow } from '../src/windows.js';

const T0 = 1_723_161_600_000;

function book(rows: number[][]): Book {
  const c = quoteColumns(rows.length);
  rows.forEach(([t, b, bq, a, aq], i) => {
    c.timeMs[i] = t!;
    c.bid[i] = b!;
    c.bidQty[i] = bq!;
    c.ask[i] = a!;
    c.askQty[i] = aq!;
  });
  return new Map([['BTCUSDT', c]]);
}

/** The fixture of flink-job's QuoteStatsTest: the two sides must compute the same summary. */
const FIXTURE = book([
  [T0 + 1_000, 99.99, 1, 100.01, 2],
  [T0 + 4_000, 99.95, 0.5, 100.05, 0.5],
  [T0 + 5_000, 100.1, 1, 100.0, 1],
  [T0 + 6_000, 99.99, 1, 100.01, 1],
]);

const close = (a: number, b: number): boolean => Math.abs(a - b) < 1e-9;

describe('book tickers in the backtest (decision 066)', () => {
  it('summarises a window exactly like the Flink job (hand-computed, same fixture as QuoteStatsTest)', () => {
    const s = bookSummaries(FIXTURE, 10_000).get('BTCUSDT')!.get(T0)!;
    assert.equal(s.quoteCount, 4);
    assert.equal(s.crossedOrLocked, 1);
    assert.ok(close(s.spreadBpsTwa, 34 / 9), `${s.spreadBpsTwa}`);
    assert.ok(close(s.spreadBpsGeo, 2 ** (7 / 9) * 10 ** (2 / 9)));
    assert.ok(close(s.spreadBpsMax, 10));
    assert.ok(close(s.depthQuoteTwa, (3 * 99.99 + 2 * 49.975 + 4 * 99.99) / 9));
    assert.ok(close(s.depthQuoteMin, 49.975));
    assert.equal(s.maxQuoteGapMs, 4_000);
  });

  it('widens the real spreads 40x and thins the book only inside [W + 3 s, W + 7 s), leaving the input untouched', () => {
    const out = injectBook(FIXTURE, [{ type: 'SPREAD_BLOWOUT', symbol: 'BTCUSDT', startMs: T0, windows: 1 }]);
    const q = out.get('BTCUSDT')!;
    assert.ok(close(q.ask[1]! - q.bid[1]!, 0.1 * 40), 'the +4 s quote: 0.10 -> 4.00 around its mid');
    assert.ok(close((q.ask[1]! + q.bid[1]!) / 2, 100));
    assert.equal(q.bidQty[1], 0.05);
    assert.equal(q.ask[0], 100.01, 'the +1 s quote is outside the blowout');
    assert.equal(FIXTURE.get('BTCUSDT')!.ask[1], 100.05, 'input unchanged');
  });

  it('attaches the summary only to windows with trades, as the job does, and loops quotes with the tape', () => {
    const tape: Tape = new Map([['BTCUSDT', [{ timeMs: T0 + 2_000, id: 1, price: 100, quantity: 1, takerBuy: true }]]]);
    const looped = loopBook(FIXTURE, tape, 2, 60_000);
    assert.equal(looped.get('BTCUSDT')!.timeMs.length, 8);
    assert.equal(looped.get('BTCUSDT')!.timeMs[4], T0 + 61_000);
    const bundles = bundlesOf(tape, ['10s'], () => bookSummaries(FIXTURE, 10_000));
    assert.equal(bundles.length, 1);
    assert.equal(toScoringWindow(bundles[0]![0]!).book?.quoteCount, 4);
    assert.equal(toScoringWindow(bundlesOf(tape, ['10s'])[0]![0]!).book, undefined);
  });
});
