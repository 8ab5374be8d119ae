/**
 * The Arrow layout of one window's trades, shared with the Flink job (which writes it) and the
 * benchmark and tests (which build it with `tradesToArrow`):
 *
 *   Arrow IPC *stream* format, one record batch, rows sorted by (trade_time_ms, trade_id):
 *     trade_time_ms  Int64 (signed)  ms since the Unix epoch
 *     trade_id       Int64 (signed)  Binance trade id
 *     price          Float64         quote currency per base unit, > 0
 *     quantity       Float64         base units, >= 0
 *     taker_buy      Bool            true = the aggressor bought
 *   No nulls. Extra columns are ignored; column order does not matter.
 *   An empty window may be sent as zero bytes, a schema-only stream or a zero-row batch.
 *
 * Decoding returns typed-array views into the request buffer (no copy, no per-trade objects),
 * so the feature pass can run over them directly.
 */
import { Bool, Field, Float64, Int64, makeData, RecordBatch, RecordBatchReader, Schema, Struct, Table, tableToIPC, Type, type DataType } from 'apache-arrow';
import { ValidationError } from './errors.js';

export const TRADE_COLUMNS = Object.freeze(['trade_time_ms', 'trade_id', 'price', 'quantity', 'taker_buy'] as const);

/** One window's trades as columns; every array has `length` elements (bits for takerBuy). */
export interface TradeColumns {
  readonly length: number;
  readonly tradeTimeMs: BigInt64Array;
  readonly tradeId: BigInt64Array;
  readonly price: Float64Array;
  readonly quantity: Float64Array;
  /** Bit-packed, LSB first, starting at bit `takerBuyBitOffset`. */
  readonly takerBuyBits: Uint8Array;
  readonly takerBuyBitOffset: number;
}

export const EMPTY_TRADES: TradeColumns = Object.freeze({
  length: 0,
  tradeTimeMs: new BigInt64Array(0),
  tradeId: new BigInt64Array(0),
  price: new Float64Array(0),
  quantity: new Float64Array(0),
  takerBuyBits: new Uint8Array(0),
  takerBuyBitOffset: 0,
});

/** Whether trade i's taker bought. */
export function takerBought(c: TradeColumns, i: number): boolean {
  const bit = c.takerBuyBitOffset + i;
  return ((c.takerBuyBits[bit >> 3]! >> (bit & 7)) & 1) === 1;
}

function bad(where: string, message: string, cause?: unknown): ValidationError {
  return new ValidationError('BAD_ARROW', `${where}: trades_arrow ${message}`, cause === undefined ? {} : { cause });
}

function describeType(t: DataType): string {
  return String(t);
}

/**
 * Decodes one window's Arrow IPC stream. `where` prefixes error messages ("windows[3] (key
 * BTCUSDT/10s)"). Throws ValidationError(BAD_ARROW) for bytes that do not decode, a missing
 * column, a wrong type, nulls, or more than one record batch.
 */
export function decodeTrades(bytes: Uint8Array, where: string, maxRows = Number.MAX_SAFE_INTEGER): TradeColumns {
  if (bytes.length === 0) return EMPTY_TRADES;
  let reader: RecordBatchReader;
  let batch: RecordBatch | undefined;
  try {
    reader = RecordBatchReader.from(bytes);
    // Sync source => sync reader; the union in the typings covers async sources.
    const next = (): IteratorResult<RecordBatch> => reader.next() as IteratorResult<RecordBatch>;
    const first = next();
    batch = first.done === true ? undefined : first.value;
    if (batch !== undefined && next().done !== true) throw bad(where, 'holds more than one record batch');
  } catch (err) {
    if (err instanceof ValidationError) throw err;
    throw bad(where, `does not decode as an Arrow IPC stream: ${(err as Error).message}`, err);
  }
  const schema = batch?.schema ?? reader.schema;
  if (schema === undefined || schema === null) throw bad(where, 'does not decode as an Arrow IPC stream: no schema');
  const index = new Map<string, number>();
  schema.fields.forEach((f, i) => index.set(f.name, i));
  const types: Record<(typeof TRADE_COLUMNS)[number], (t: DataType) => boolean> = {
    trade_time_ms: (t) => t.typeId === Type.Int && (t as Int64).bitWidth === 64 && (t as Int64).isSigned,
    trade_id: (t) => t.typeId === Type.Int && (t as Int64).bitWidth === 64 && (t as Int64).isSigned,
    price: (t) => t.typeId === Type.Float && (t as Float64).precision === 2,
    quantity: (t) => t.typeId === Type.Float && (t as Float64).precision === 2,
    taker_buy: (t) => t.typeId === Type.Bool,
  };
  const expected: Record<string, string> = { trade_time_ms: 'Int64', trade_id: 'Int64', price: 'Float64', quantity: 'Float64', taker_buy: 'Bool' };
  for (const name of TRADE_COLUMNS) {
    const i = index.get(name);
    if (i === undefined) throw bad(where, `lacks column ${name} (has ${schema.fields.map((f) => f.name).join(', ') || 'no columns'})`);
    const t = schema.fields[i]!.type as DataType;
    if (!types[name](t)) throw bad(where, `column ${name} is ${describeType(t)}, expected ${expected[name]}`);
  }
  if (batch === undefined || batch.numRows === 0) return EMPTY_TRADES;
  if (batch.numRows > maxRows) throw new ValidationError('BAD_ARROW', `${where}: ${batch.numRows} trades exceed the limit of ${maxRows} per window`);
  const n = batch.numRows;
  const col = (name: string) => {
    const data = batch.data.children[index.get(name)!]!;
    if (data.nullCount > 0) throw bad(where, `column ${name} has ${data.nullCount} nulls`);
    return data;
  };
  const time = col('trade_time_ms');
  const id = col('trade_id');
  const price = col('price');
  const qty = col('quantity');
  const buy = col('taker_buy');
  const fixed = <A extends BigInt64Array | Float64Array>(d: { values: A; offset: number }): A => d.values.subarray(d.offset, d.offset + n) as A;
  return {
    length: n,
    tradeTimeMs: fixed(time as unknown as { values: BigInt64Array; offset: number }),
    tradeId: fixed(id as unknown as { values: BigInt64Array; offset: number }),
    price: fixed(price as unknown as { values: Float64Array; offset: number }),
    quantity: fixed(qty as unknown as { values: Float64Array; offset: number }),
    takerBuyBits: buy.values as Uint8Array,
    takerBuyBitOffset: buy.offset,
  };
}

/** One trade as the Flink job sees it; the input of `tradesToArrow`. */
export interface TradeRow {
  readonly tradeTimeMs: number;
  readonly tradeId: number;
  readonly price: number;
  readonly quantity: number;
  readonly takerBuy: boolean;
}

const TRADE_SCHEMA = new Schema([
  new Field('trade_time_ms', new Int64(), false),
  new Field('trade_id', new Int64(), false),
  new Field('price', new Float64(), false),
  new Field('quantity', new Float64(), false),
  new Field('taker_buy', new Bool(), false),
]);

/**
 * Builds one window's Arrow IPC stream in the layout above (one record batch, non-nullable
 * fields, even when there are no trades). Rows are written as given: sort them first.
 */
export function tradesToArrow(trades: readonly TradeRow[]): Uint8Array {
  const n = trades.length;
  const time = new BigInt64Array(n);
  const id = new BigInt64Array(n);
  const price = new Float64Array(n);
  const qty = new Float64Array(n);
  const bits = new Uint8Array(Math.ceil(n / 8));
  for (let i = 0; i < n; i++) {
    const t = trades[i]!;
    time[i] = BigInt(t.tradeTimeMs);
    id[i] = BigInt(t.tradeId);
    price[i] = t.price;
    qty[i] = t.quantity;
    if (t.takerBuy) bits[i >> 3]! |= 1 << (i & 7);
  }
  const children = [
    makeData({ type: new Int64(), length: n, nullCount: 0, data: time }),
    makeData({ type: new Int64(), length: n, nullCount: 0, data: id }),
    makeData({ type: new Float64(), length: n, nullCount: 0, data: price }),
    makeData({ type: new Float64(), length: n, nullCount: 0, data: qty }),
    makeData({ type: new Bool(), length: n, nullCount: 0, data: bits }),
  ];
  const batch = new RecordBatch(TRADE_SCHEMA, makeData({ type: new Struct(TRADE_SCHEMA.fields), length: n, nullCount: 0, children }));
  return tableToIPC(new Table(TRADE_SCHEMA, [batch]), 'stream');
}
