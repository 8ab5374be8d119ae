import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '@crypto-anomaly/common';
import { combinedStreamUrl, parseProducerConfig } from '../src/config.js';

test('defaults fill everything but the symbols, and the result is frozen', () => {
  const c = parseProducerConfig({ symbols: ['btcusdt', 'ETHUSDT'] });
  assert.deepEqual(c.symbols, ['BTCUSDT', 'ETHUSDT']);
  assert.deepEqual(c.streams, ['trade', 'bookTicker']);
  assert.equal(c.kafka.topics.trades, 'raw-trades');
  assert.equal(c.connection.rotateAfterMs, 23 * 3_600_000);
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.kafka.topics));
});

test('the combined-stream URL lists every symbol and stream in lower case', () => {
  const c = parseProducerConfig({ symbols: ['BTCUSDT'], streams: ['trade', 'kline_1m'], endpoint: 'ws://127.0.0.1:9443/' });
  assert.equal(combinedStreamUrl(c), 'ws://127.0.0.1:9443/stream?streams=btcusdt@trade/btcusdt@kline_1m');
});

const rejects = (input: unknown, pattern: RegExp): void => {
  assert.throws(() => parseProducerConfig(input), (err: unknown) => err instanceof ConfigError && pattern.test(err.message));
};

test('a bad value fails with a message naming the field', () => {
  rejects({}, /symbols/);
  rejects({ symbols: ['BTC-USDT'] }, /symbols\.0: symbol must be letters and digits/);
  rejects({ symbols: ['BTCUSDT'], streams: ['depth'] }, /streams\.0/);
  rejects({ symbols: ['BTCUSDT'], endpoint: 'http://x' }, /endpoint: must be a ws:\/\/ or wss:\/\/ URL/);
  rejects({ symbols: ['BTCUSDT'], kafka: { brokers: ['localhost'] } }, /kafka\.brokers\.0: must be host:port/);
  rejects({ symbols: ['BTCUSDT'], kafka: { topics: { trades: 'bad topic' } } }, /kafka\.topics\.trades/);
  rejects({ symbols: ['BTCUSDT'], connection: { backoffInitialMs: 5_000, backoffMaxMs: 10 } }, /connection\.backoffMaxMs/);
  rejects({ symbols: ['BTCUSDT'], metrics: { port: 70_000 } }, /metrics\.port/);
});

test('more than 1024 streams on one connection is rejected (Binance limit)', () => {
  const symbols = Array.from({ length: 600 }, (_, i) => `SYM${i}USDT`);
  rejects({ symbols, streams: ['trade', 'bookTicker'] }, /symbols: symbols x streams must be <= 1024/);
});

test('an unknown field is an error naming it, not a silent default (a typo such as symbol for symbols, issue 12)', () => {
  assert.throws(() => parseProducerConfig({ symbol: ['BTCUSDT'], symbols: ['BTCUSDT'] }), (e: unknown) => e instanceof ConfigError && /symbol/.test(e.message) && /Unrecognized key/i.test(e.message));
  assert.throws(() => parseProducerConfig({ symbols: ['BTCUSDT'], kafka: { broker: ['h:1'] } }), (e: unknown) => e instanceof ConfigError && /kafka/.test(e.message) && /broker/.test(e.message));
});

test('a broker port outside 1..65535 is rejected, naming the field', () => {
  assert.throws(() => parseProducerConfig({ symbols: ['BTCUSDT'], kafka: { brokers: ['127.0.0.1:99999'] } }), (e: unknown) => e instanceof ConfigError && /kafka\.brokers\.0/.test(e.message) && /1\.\.65535/.test(e.message));
  assert.throws(() => parseProducerConfig({ symbols: ['BTCUSDT'], kafka: { brokers: ['127.0.0.1:0'] } }), /1\.\.65535/);
  assert.doesNotThrow(() => parseProducerConfig({ symbols: ['BTCUSDT'], kafka: { brokers: ['[::1]:9092', 'b-1.msk.example:9098'] } }));
});
