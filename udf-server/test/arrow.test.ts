// The fast Arrow path (decodeTrades) against the reference (apache-arrow, decodeTradesArrow):
// same columns for every stream, the same errors for bad ones (docs/decisions/064).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Bool, Field, Float64, Int64, makeData, RecordBatch, Schema, Struct, Table, tableFromIPC, tableToIPC } from 'apache-arrow';
import { mulberry32 } from '@crypto-anomaly/detectors';
import { decodeStats, decodeTrades, decodeTradesArrow, tradesToArrow, type TradeColumns, type TradeRow } from '../src/arrow.js';

function rows(seed: number, n: number): TradeRow[] {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => ({ tradeTimeMs: 1_700_000_000_000 + i * 7, tradeId: 1000 + i, price: 100 + rng.next(), quantity: rng.next() * 3, takerBuy: rng.next() < 0.5 }));
}

function plain(c: TradeColumns): unknown {
  const bits = Array.from({ length: c.length }, (_, i) => ((c.takerBuyBits[(c.takerBuyBitOffset + i) >> 3]! >> ((c.takerBuyBitOffset + i) & 7)) & 1) === 1);
  return { n: c.length, time: Array.from(c.tradeTimeMs), id: Array.from(c.tradeId), price: Array.from(c.price), qty: Array.from(c.quantity), bits };
}

describe('fast Arrow decoding', () => {
  it('gives the same columns as apache-arrow for many windows, aligned or not', () => {
    const fastBefore = decodeStats.fast;
    for (let k = 0; k < 40; k++) {
      const bytes = tradesToArrow(rows(k, 1 + ((k * 37) % 300)));
      const ref = plain(decodeTradesArrow(bytes, 'w'));
      assert.deepEqual(plain(decodeTrades(bytes, 'w')), ref);
      // The bytes of a protobuf field usually sit at an odd offset of a larger buffer.
      const shifted = new Uint8Array(bytes.length + 3);
      shifted.set(bytes, 3);
      assert.deepEqual(plain(decodeTrades(shifted.subarray(3), 'w')), ref, `window ${k} unaligned`);
    }
    // All but the first stream (which teaches the schema) take the fast path.
    assert.ok(decodeStats.fast - fastBefore >= 79, `fast path taken ${decodeStats.fast - fastBefore} times`);
  });

  it('falls back to apache-arrow for another column order and still decodes it', () => {
    decodeTrades(tradesToArrow(rows(1, 10)), 'w');
    const r = rows(2, 9);
    const schema = new Schema([
      new Field('price', new Float64(), false),
      new Field('taker_buy', new Bool(), false),
      new Field('quantity', new Float64(), false),
      new Field('trade_id', new Int64(), false),
      new Field('trade_time_ms', new Int64(), false),
    ]);
    const bits = new Uint8Array(2);
    r.forEach((t, i) => { if (t.takerBuy) bits[i >> 3]! |= 1 << (i & 7); });
    const children = [
      makeData({ type: new Float64(), length: 9, nullCount: 0, data: Float64Array.from(r, (t) => t.price) }),
      makeData({ type: new Bool(), length: 9, nullCount: 0, data: bits }),
      makeData({ type: new Float64(), length: 9, nullCount: 0, data: Float64Array.from(r, (t) => t.quantity) }),
      makeData({ type: new Int64(), length: 9, nullCount: 0, data: BigInt64Array.from(r, (t) => BigInt(t.tradeId)) }),
      makeData({ type: new Int64(), length: 9, nullCount: 0, data: BigInt64Array.from(r, (t) => BigInt(t.tradeTimeMs)) }),
    ];
    const batch = new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: 9, nullCount: 0, children }));
    const bytes = tableToIPC(new Table(schema, [batch]), 'stream');
    assert.deepEqual(plain(decodeTrades(bytes, 'w')), plain(decodeTrades(tradesToArrow(r), 'w')));
    // And the usual layout is fast again afterwards (same answer either way).
    const again = tradesToArrow(rows(3, 50));
    assert.deepEqual(plain(decodeTrades(again, 'w')), plain(decodeTradesArrow(again, 'w')));
  });

  it('rejects what apache-arrow rejects: truncation, two batches, too many rows', () => {
    const bytes = tradesToArrow(rows(4, 64));
    decodeTrades(bytes, 'w');
    for (const cut of [bytes.length - 8, bytes.length - 200, 40]) {
      const t = bytes.subarray(0, cut);
      let refErr: unknown;
      try {
        decodeTradesArrow(t, 'w');
      } catch (err) {
        refErr = err;
      }
      if (refErr === undefined) assert.deepEqual(plain(decodeTrades(t, 'w')), plain(decodeTradesArrow(t, 'w')));
      else assert.throws(() => decodeTrades(t, 'w'), { reason: 'BAD_ARROW' });
    }
    const one = tradesToArrow(rows(5, 8));
    const table = new Table([...(RecordBatchOf(one)), ...(RecordBatchOf(one))]);
    assert.throws(() => decodeTrades(tableToIPC(table, 'stream'), 'w'), /more than one record batch/);
    assert.throws(() => decodeTrades(bytes, 'w', 10), /64 trades exceed the limit of 10/);
  });
});

function RecordBatchOf(bytes: Uint8Array): RecordBatch[] {
  return tableFromIPC(bytes).batches;
}
