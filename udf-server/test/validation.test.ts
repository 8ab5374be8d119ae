import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Bool, Float64, makeVector, Table, tableToIPC, vectorFromArray } from 'apache-arrow';
import { tradesToArrow } from '../src/arrow.js';
import type { ValidationReason } from '@crypto-anomaly/scoring';
import { syntheticSeries } from '../src/synthetic.js';
import { decodeRequest, type ScoreBundleRequest, type WindowToScore } from '../src/wire.js';
import { requestOf, T0, testScorer } from './helpers.js';

const scorer = testScorer();
const [W1, W2] = syntheticSeries(21, 'BTCUSDT', 2, T0) as [WindowToScore, WindowToScore];
const EMPTY = new Uint8Array(0);

function refuses(req: ScoreBundleRequest, reason: ValidationReason, message: RegExp): void {
  assert.throws(() => scorer.scoreBundle(req), (err: Error & { reason?: string }) => {
    assert.equal(err.name, 'ValidationError');
    assert.equal(err.reason, reason);
    assert.match(err.message, message);
    return true;
  });
}

describe('request validation', () => {
  it('refuses a request without windows', () => refuses(requestOf([], []), 'NO_WINDOWS', /no windows/));

  it('refuses a window whose key has no entry in states', () =>
    refuses(requestOf([W1], [{ key: 'ETHUSDT/10s', state: EMPTY }]), 'MISSING_STATE', /windows\[0\].*BTCUSDT\/10s.*no entry in states/));

  it('refuses duplicate state keys', () =>
    refuses(requestOf([W1], [{ key: W1.key, state: EMPTY }, { key: W1.key, state: EMPTY }]), 'DUPLICATE_STATE', /states\[1\].*duplicate state key/));

  it('refuses a key that is not symbol/interval', () => refuses(requestOf([{ ...W1, key: 'BTCUSDT' }]), 'BAD_KEY', /is not "<SYMBOL>\/<interval>"/));

  it('refuses a key that does not match the window symbol or interval', () => {
    refuses(requestOf([{ ...W1, symbol: 'ETHUSDT' }]), 'BAD_KEY', /does not match symbol "ETHUSDT"/);
    refuses(requestOf([{ ...W1, interval: '1m' }]), 'BAD_KEY', /interval "1m"/);
  });

  it('refuses a window whose end is not after its start', () =>
    refuses(requestOf([{ ...W1, windowEndMs: W1.windowStartMs }]), 'BAD_WINDOW_BOUNDS', /window_end_ms \d+ <= window_start_ms \d+/));

  it('refuses windows of one key out of start order', () => {
    refuses(requestOf([W2, W1]), 'WINDOW_ORDER', /windows\[1\].*increasing start order/);
    refuses(requestOf([W1, W1]), 'WINDOW_ORDER', /not after/);
  });

  it('refuses Arrow bytes that do not decode', () =>
    refuses(requestOf([{ ...W1, tradesArrow: new Uint8Array([0xff, 0xff, 0xff, 0xff, 8, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]) }]), 'BAD_ARROW', /trades_arrow/));

  it('refuses Arrow data that lacks a column', () => {
    const t = new Table({ trade_time_ms: makeVector(BigInt64Array.from([BigInt(T0)])), price: makeVector(Float64Array.from([1])) });
    refuses(requestOf([{ ...W1, tradesArrow: tableToIPC(t, 'stream') }]), 'BAD_ARROW', /lacks column trade_id/);
  });

  it('refuses Arrow data with a wrongly typed column', () => {
    const t = new Table({
      trade_time_ms: makeVector(BigInt64Array.from([BigInt(T0)])),
      trade_id: makeVector(Int32Array.from([1])),
      price: makeVector(Float64Array.from([1])),
      quantity: vectorFromArray([1], new Float64()),
      taker_buy: vectorFromArray([true], new Bool()),
    });
    refuses(requestOf([{ ...W1, tradesArrow: tableToIPC(t, 'stream') }]), 'BAD_ARROW', /column trade_id is Int32, expected Int64/);
  });

  it('refuses unsorted trades and a trade a day outside the window between in-window first and last ones (issue 12)', () => {
    const base = { price: 100, quantity: 1, takerBuy: true };
    const day = 86_400_000;
    const between = tradesToArrow([
      { ...base, tradeTimeMs: W1.windowStartMs, tradeId: 1 },
      { ...base, tradeTimeMs: W1.windowStartMs - day, tradeId: 2 },
      { ...base, tradeTimeMs: W1.windowEndMs - 1, tradeId: 3 },
    ]);
    refuses(requestOf([{ ...W1, tradesArrow: between }]), 'BAD_TRADE', /trade 1 at .* falls outside the window/);
    const unsorted = tradesToArrow([
      { ...base, tradeTimeMs: W1.windowStartMs + 5, tradeId: 1 },
      { ...base, tradeTimeMs: W1.windowStartMs + 2, tradeId: 2 },
    ]);
    refuses(requestOf([{ ...W1, tradesArrow: unsorted }]), 'BAD_TRADE', /trade 1 .* out of order/);
    const ids = tradesToArrow([
      { ...base, tradeTimeMs: W1.windowStartMs + 5, tradeId: 9 },
      { ...base, tradeTimeMs: W1.windowStartMs + 5, tradeId: 3 },
    ]);
    refuses(requestOf([{ ...W1, tradesArrow: ids }]), 'BAD_TRADE', /out of order/);
    const negative = tradesToArrow([{ ...base, tradeTimeMs: W1.windowStartMs + 5, tradeId: -4 }]);
    refuses(requestOf([{ ...W1, tradesArrow: negative }]), 'BAD_TRADE', /negative trade id/);
  });

  it('refuses trades outside the window', () => {
    const arrow = tradesToArrow([{ tradeTimeMs: W1.windowEndMs, tradeId: 1, price: 100, quantity: 1, takerBuy: true }]);
    refuses(requestOf([{ ...W1, tradesArrow: arrow }]), 'BAD_TRADE', /outside the window/);
  });

  it('refuses a state blob that is not a udf-server state', () =>
    refuses(requestOf([W1], [{ key: W1.key, state: new Uint8Array([1, 2, 3, 4]) }]), 'BAD_STATE', /bad magic/));

  it('refuses more windows than the bundle limit', () => {
    const small = testScorer();
    const limited = new (small.constructor as typeof import('../src/scorer.js').Scorer)(small.config, { maxWindowsPerBundle: 1, maxTradesPerWindow: 10, maxStateBytes: 1024 });
    assert.throws(() => limited.scoreBundle(requestOf([W1, W2])), { reason: 'TOO_LARGE' });
  });

  it('refuses bytes that are not a protobuf request', () => assert.throws(() => decodeRequest(new Uint8Array([0x0a, 0xff])), { reason: 'BAD_PROTOBUF' }));
});
