import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { alertCodec, type Alert, type AnomalyType, type MarketContext } from '@crypto-anomaly/contract';
import { applyMarketContext, marketContextOf } from '@crypto-anomaly/scoring';
import { syntheticSeries } from '../src/synthetic.js';
import { decodeResponse, encodeResponse } from '../src/wire.js';
import { requestOf, T0, testScorer } from './helpers.js';

/** The fixture the Flink job's MarketContextFunctionTest runs too: both must agree. */
const FIXTURE = fileURLToPath(new URL('../../../protos/conformance/market-context.json', import.meta.url));

interface FixtureInput {
  symbol: string;
  interval: string;
  windowStartMs: number;
  tradeCount: number;
  type: AnomalyType;
  reasons: number;
  market: Pick<MarketContext, 'direction' | 'ruleMinSymbols' | 'ruleMinShare'>;
}
interface FixtureExpected {
  symbol: string;
  type: AnomalyType;
  symbols: number;
  moving: number;
  reasons: number;
  lastReason?: string;
}
interface FixtureCase {
  name: string;
  input: FixtureInput[];
  expected: FixtureExpected[];
}

function alertOf(i: FixtureInput): Alert {
  return {
    symbol: i.symbol,
    interval: i.interval,
    windowStartMs: i.windowStartMs,
    windowEndMs: i.windowStartMs + (i.interval === '1m' ? 60_000 : 10_000),
    close: 1,
    returnPct: i.market.direction,
    votes: i.market.direction === 0 ? 0 : 2,
    voters: 4,
    isAnomaly: i.market.direction !== 0,
    confidence: 'MEDIUM',
    severity: 50,
    type: i.type,
    reasons: Array.from({ length: i.reasons }, (_, k) => ({ feature: 'log_return', actual: 0, typical: 0, z: 0, detector: 'zscore', text: `r${k}` })),
    detectorScores: [],
    features: {},
    configVersion: 'cfg-test',
    modelVersion: 'none',
    tradeCount: i.tradeCount,
    market: { ...i.market, symbols: 0, moving: 0 },
  };
}

describe('market context (cross-symbol typing, conformance fixture shared with the Flink job)', () => {
  const cases = (JSON.parse(readFileSync(FIXTURE, 'utf8')) as { cases: FixtureCase[] }).cases;
  for (const c of cases) {
    it(c.name, () => {
      const alerts = c.input.map(alertOf);
      // Order of arrival must not matter: apply to a reversed copy as well.
      const reversed = c.input.map(alertOf).reverse();
      applyMarketContext(alerts);
      applyMarketContext(reversed);
      assert.deepEqual([...reversed].reverse(), alerts);
      c.expected.forEach((e, i) => {
        const a = alerts[i]!;
        assert.equal(a.symbol, e.symbol);
        assert.equal(a.type, e.type, `${e.symbol} type`);
        assert.equal(a.market?.symbols, e.symbols, `${e.symbol} symbols`);
        assert.equal(a.market?.moving, e.moving, `${e.symbol} moving`);
        assert.equal(a.reasons.length, e.reasons, `${e.symbol} reasons`);
        if (e.lastReason !== undefined) assert.equal(a.reasons.at(-1)!.text, e.lastReason);
      });
    });
  }

  it('counts a result without market context as present and never moving', () => {
    const a = alertOf({ symbol: 'BTCUSDT', interval: '10s', windowStartMs: 0, tradeCount: 1, type: 'FLASH_CRASH', reasons: 0, market: { direction: -1, ruleMinSymbols: 2, ruleMinShare: 0.5 } });
    const b = alertOf({ symbol: 'ETHUSDT', interval: '10s', windowStartMs: 0, tradeCount: 1, type: 'FLASH_CRASH', reasons: 0, market: { direction: -1, ruleMinSymbols: 2, ruleMinShare: 0.5 } });
    delete b.market;
    applyMarketContext([a, b]);
    assert.equal(a.type, 'FLASH_CRASH');
    assert.deepEqual(a.market, { direction: -1, ruleMinSymbols: 2, ruleMinShare: 0.5, symbols: 2, moving: 1 });
    assert.equal(b.market, undefined);
  });

  it('gives a direction only to price candidates with a generic consensus', () => {
    const rule = { marketWideMinSymbols: 3, marketWideShare: 0.25 };
    assert.equal(marketContextOf(2, 2, 'PRICE_SPIKE', 1.5, rule).direction, 1);
    assert.equal(marketContextOf(3, 2, 'PUMP_PATTERN', 0.4, rule).direction, 1);
    assert.equal(marketContextOf(2, 2, 'FLASH_CRASH', -2, rule).direction, -1);
    assert.equal(marketContextOf(1, 2, 'PRICE_SPIKE', 1.5, rule).direction, 0, 'a lone cold-start vote');
    assert.equal(marketContextOf(2, 2, 'VOLUME_BURST', 1.5, rule).direction, 0);
    assert.equal(marketContextOf(2, 2, 'PRICE_SPIKE', 0, rule).direction, 0);
    assert.deepEqual(marketContextOf(2, 2, 'PRICE_SPIKE', 1, rule), { direction: 1, ruleMinSymbols: 3, ruleMinShare: 0.25, symbols: 0, moving: 0 });
  });

  it('the scorer stamps every result with its direction and the configured rule, and does no cross-symbol typing itself', () => {
    const scorer = testScorer({ typology: { marketWideMinSymbols: 2, marketWideShare: 0.5 } });
    const n = 61;
    const crash = (i: number): { drift: number } | Record<string, never> => (i === n - 1 ? { drift: -0.03 } : {});
    const btc = syntheticSeries(8, 'BTCUSDT', n, T0, crash);
    const eth = syntheticSeries(9, 'ETHUSDT', n, T0, crash);
    const { response } = scorer.scoreBundle(requestOf(btc.flatMap((w, i) => [w, eth[i]!])));
    const last = response.results.slice(-2);
    for (const r of last) {
      assert.equal(r.type, 'FLASH_CRASH', JSON.stringify(r.reasons));
      assert.deepEqual(r.market, { direction: -1, ruleMinSymbols: 2, ruleMinShare: 0.5, symbols: 0, moving: 0 });
    }
    assert.ok(response.results.slice(40, -2).every((r) => r.market?.direction === 0));
    // Survives the wire: the Flink job reads it from the encoded Alert.
    const decoded = decodeResponse(encodeResponse(response));
    assert.deepEqual(decoded.results.slice(-2).map((r) => r.market), last.map((r) => r.market));
    assert.deepEqual(alertCodec.decode(alertCodec.encode(last[0]!)).market, last[0]!.market);
    applyMarketContext(last);
    assert.deepEqual(last.map((r) => r.type), ['MARKET_WIDE_MOVE', 'MARKET_WIDE_MOVE']);
  });
});
