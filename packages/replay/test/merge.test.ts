import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { filterStreams, mergeByEventTime, openBundledRecording, openRecordings, reorderByEventTime } from '../src/merge.js';
import { readRecording } from '../src/reader.js';
import type { RecordedMessage } from '../src/types.js';
import { RECORDINGS, collect } from './helpers.js';

type T = { eventTimeMs: number; tag: string };
const t = (eventTimeMs: number, tag: string): T => ({ eventTimeMs, tag });

describe('mergeByEventTime', () => {
  it('interleaves sorted sources by event time and keeps source order on ties', async () => {
    const a = [t(1, 'a1'), t(3, 'a3'), t(3, 'a3b'), t(7, 'a7')];
    const b = [t(2, 'b2'), t(3, 'b3'), t(8, 'b8')];
    const merged = await collect(mergeByEventTime([a, b], { reorderWindowMs: 0 }));
    assert.deepEqual(merged.map((x) => x.tag), ['a1', 'b2', 'a3', 'a3b', 'b3', 'a7', 'b8']);
  });

  it('handles empty sources and a single source', async () => {
    assert.deepEqual(await collect(mergeByEventTime<T>([[], []])), []);
    assert.deepEqual((await collect(mergeByEventTime([[t(1, 'x')], []]))).map((x) => x.tag), ['x']);
  });

  it('fixes small in-source inversions within the reorder window, stably', async () => {
    const src = [t(10, 'a'), t(12, 'b'), t(9, 'c'), t(12, 'd'), t(200, 'e')];
    assert.deepEqual((await collect(reorderByEventTime(src, 50))).map((x) => x.tag), ['c', 'a', 'b', 'd', 'e']);
  });

  it('closes the sources when the consumer stops early', async () => {
    let closed = 0;
    async function* src(): AsyncGenerator<T> {
      try {
        for (let i = 0; ; i++) yield t(i, String(i));
      } finally {
        closed++;
      }
    }
    for await (const x of mergeByEventTime([src(), src()])) if (x.eventTimeMs > 500) break;
    assert.equal(closed, 2);
  });

  it('merges the four bundled files into 179,316 messages, non-decreasing in event time', async () => {
    let n = 0;
    let prev = -Infinity;
    const byStream: Record<string, number> = {};
    for await (const m of openBundledRecording()) {
      assert.ok(m.eventTimeMs >= prev, `event time went back at message ${n}: ${prev} -> ${m.eventTimeMs}`);
      prev = m.eventTimeMs;
      byStream[m.stream] = (byStream[m.stream] ?? 0) + 1;
      n++;
    }
    assert.equal(n, 179_316);
    assert.equal(byStream['btcusdt@trade'], 9_757 + 10_147);
    assert.equal(byStream['ethusdt@trade'], 6_106 + 8_409);
  });

  it('interleaves BTC and ETH and joins both days with contiguous trade ids per symbol', async () => {
    const lastId: Record<string, number> = {};
    let switches = 0;
    let prevStream = '';
    for await (const m of openBundledRecording({ streams: ['btcusdt@trade', 'ETHUSDT@trade'] })) {
      const d = (JSON.parse(m.raw) as { data: { s: string; t: number } }).data;
      const prev = lastId[d.s];
      if (prev !== undefined) assert.equal(d.t, prev + 1, `${d.s} trade id gap after ${prev}`);
      lastId[d.s] = d.t;
      if (m.stream !== prevStream) switches++;
      prevStream = m.stream;
    }
    assert.equal(lastId['BTCUSDT'], 3735703162);
    assert.equal(lastId['ETHUSDT'], 1520553439);
    assert.ok(switches > 1000, `streams interleave (${switches} switches)`);
  });

  it('keeps each stream in its recorded order (bookTicker update ids never regress)', async () => {
    const lastU: Record<string, number> = {};
    for await (const m of openRecordings([join(RECORDINGS, 'btcusdt_20240809.gz'), join(RECORDINGS, 'ethusdt_20240809.gz')], { streams: ['btcusdt@bookTicker', 'ethusdt@bookTicker'] })) {
      const u = (JSON.parse(m.raw) as { data: { u: number } }).data.u;
      const prev = lastU[m.stream];
      if (prev !== undefined) assert.ok(u > prev, `${m.stream}: u ${u} after ${prev}`);
      lastU[m.stream] = u;
    }
  });
});

describe('filterStreams', () => {
  it('passes only the given streams, case-insensitively', async () => {
    const items = await collect(filterStreams(readRecording(join(RECORDINGS, 'BINANCE.ws.1.0')), ['NKNUSDT@aggTrade', 'lrcbtc@kline_1m', 'nknusdt@bookticker']));
    const counts: Record<string, number> = {};
    for (const m of items as RecordedMessage[]) counts[m.stream] = (counts[m.stream] ?? 0) + 1;
    assert.deepEqual(counts, { 'nknusdt@aggTrade': 1, 'lrcbtc@kline_1m': 1, 'nknusdt@bookTicker': 74 });
  });
});
