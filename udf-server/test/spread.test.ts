import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { syntheticSeries } from '../src/synthetic.js';
import type { BookSummary, WindowToScore } from '../src/wire.js';
import { scoreOneByOne, T0, testScorer } from './helpers.js';

/** A BTC-like book: one tick (0.0016 bps) most of the time, the geometric mean a little above it. */
function book(i: number, geo = 0.0017 * Math.exp(0.03 * Math.sin(i)), overrides: Partial<BookSummary> = {}): BookSummary {
  return { quoteCount: 900, spreadBpsTwa: geo * 1.4, spreadBpsGeo: geo, spreadBpsMax: 0.7, spreadBpsLast: 0.0016, lastBid: 61685.99, lastAsk: 61686, depthQuoteTwa: 50_000, depthQuoteMin: 5, maxQuoteGapMs: 400, crossedOrLocked: 0, ...overrides };
}

function series(n: number, seed = 5): WindowToScore[] {
  return syntheticSeries(seed, 'BTCUSDT', n, T0);
}

describe('spread blowout from the book-ticker summary (decision 066)', () => {
  it('types a window whose time-weighted spread is 40x typical as SPREAD_BLOWOUT, with a reason in bps', () => {
    const windows = series(60).map((w, i) => ({ ...w, book: i === 50 ? book(i, 0.0017 * 40, { spreadBpsMax: 0.09, depthQuoteMin: 0.8 }) : book(i) }));
    const { results } = scoreOneByOne(testScorer(), windows);
    const hit = results[50]!;
    assert.equal(hit.isAnomaly, true, JSON.stringify(hit.reasons));
    assert.equal(hit.type, 'SPREAD_BLOWOUT');
    const reason = hit.reasons.find((r) => r.feature === 'spread_bps')!;
    assert.ok(reason !== undefined);
    assert.match(reason.text, /^spread 0\.068 bps vs typical 0\.0017 bps \(x40(\.\d+)?, time-weighted; widest 0\.09 bps; top of book down to 0\.8 quote\) \(z=\+\d+\.\d\)$/);
    assert.equal(hit.features['spread_bps'], 0.0017 * 40);
    assert.equal(hit.features['quote_count'], 900);
    assert.equal(hit.features['depth_quote_min'], 0.8);
    // The quiet windows around it carry the spread features but raise nothing on spread.
    for (const r of results.slice(40, 50)) {
      assert.ok(r.features['spread_bps'] !== undefined);
      assert.ok(!r.reasons.some((x) => x.feature === 'spread_bps'));
    }
  });

  it('never votes on spread, nor shows spread features, for windows without quotes', () => {
    const plain = series(60);
    const withBook = plain.map((w, i) => ({ ...w, book: book(i) }));
    const a = scoreOneByOne(testScorer(), plain).results;
    const b = scoreOneByOne(testScorer(), withBook).results;
    assert.ok(a.every((r) => r.features['spread_bps'] === undefined && r.features['quote_count'] === undefined));
    // Ordinary quotes change no decision of the trade-based detectors.
    assert.deepEqual(b.map((r) => [r.isAnomaly, r.type, r.votes]), a.map((r) => [r.isAnomaly, r.type, r.votes]));
    // Quotes stop: the next windows have no spread features and no spread vote, even with a wide spread before.
    const gap = plain.map((w, i) => (i < 40 ? { ...w, book: book(i) } : w));
    const c = scoreOneByOne(testScorer(), gap).results;
    assert.ok(c.slice(40).every((r) => r.features['spread_bps'] === undefined && r.type !== 'SPREAD_BLOWOUT'));
  });

  it('treats a book of only crossed or locked quotes as no spread data', () => {
    const windows = series(45).map((w, i) => ({ ...w, book: i === 44 ? book(i, 0, { quoteCount: 3, crossedOrLocked: 3, maxQuoteGapMs: 9_000 }) : book(i) }));
    const last = scoreOneByOne(testScorer(), windows).results[44]!;
    assert.equal(last.features['spread_bps'], undefined);
    assert.equal(last.features['quote_count'], 3);
    assert.equal(last.features['max_quote_gap_ms'], 9_000);
  });

  it('keeps the per-key state within budget with the spread channel (+128 B)', () => {
    const { state } = scoreOneByOne(testScorer(), series(60).map((w, i) => ({ ...w, book: book(i) })));
    assert.ok(state.length <= 4096, `${state.length} B`);
  });
});
