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
import { EMPTY_TRADES, ValidationError, type TradeColumns } from '@crypto-anomaly/scoring';

export const TRADE_COLUMNS = Object.freeze(['trade_time_ms', 'trade_id', 'price', 'quantity', 'taker_buy'] as const);

export { EMPTY_TRADES, takerBought, type TradeColumns } from '@crypto-anomaly/scoring';

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
 *
 * Fast path (docs/decisions/064): every window of a Flink job carries the same schema message,
 * so the first time a schema is seen it is decoded and validated by apache-arrow (decodeTradesArrow,
 * which also produces every error message), and its bytes and column positions are remembered.
 * A later stream whose schema message is byte-identical has only its record-batch header read
 * here (a few flatbuffer fields: row count, field nodes, buffer offsets) and its columns viewed in
 * place. Anything unusual (another schema, nulls, compression, dictionaries, more than one batch,
 * out-of-range buffers) falls back to apache-arrow, so the fast path can only be faster, never
 * more lenient; a test compares both on random and malformed streams.
 */
export function decodeTrades(bytes: Uint8Array, where: string, maxRows = Number.MAX_SAFE_INTEGER): TradeColumns {
  if (bytes.length === 0) return EMPTY_TRADES;
  const fast = decodeFast(bytes, maxRows);
  if (fast !== undefined) {
    decodeStats.fast++;
    return fast;
  }
  decodeStats.reference++;
  const cols = decodeTradesArrow(bytes, where, maxRows);
  remember(bytes);
  return cols;
}

/** How many non-empty streams took each path (tests and benchmarks; never affects results). */
export const decodeStats = { fast: 0, reference: 0 };

/** A validated schema message: its bytes and, per field, its first buffer index (-1 = not ours). */
interface KnownSchema {
  readonly bytes: Uint8Array;
  readonly fields: number;
  /** Buffer index of the validity bitmap of [time, id, price, quantity, taker_buy]. */
  readonly buffer: Int32Array;
}
let known: KnownSchema | undefined;

const CONTINUATION = 0xffffffff;

/** Start and length of the first message's metadata, or undefined. */
function frame(bytes: Uint8Array, view: DataView, at: number): { meta: number; metaLen: number; next: number } | undefined {
  if (at + 8 > bytes.length) return undefined;
  let len = view.getInt32(at, true);
  let meta = at + 4;
  if (len === -1 || view.getUint32(at, true) === CONTINUATION) {
    len = view.getInt32(at + 4, true);
    meta = at + 8;
  }
  if (len <= 0 || meta + len > bytes.length) return undefined;
  return { meta, metaLen: len, next: meta + len };
}

/** Minimal flatbuffer table access (little-endian), relative to `base`. */
function tableField(view: DataView, table: number, field: number): number {
  const vt = table - view.getInt32(table, true);
  const vtSize = view.getUint16(vt, true);
  const slot = 4 + 2 * field;
  if (slot + 2 > vtSize) return 0;
  const off = view.getUint16(vt + slot, true);
  return off === 0 ? 0 : table + off;
}

/** Remembers the schema of a stream apache-arrow just accepted, if all its fields are 2-buffer primitives. */
function remember(bytes: Uint8Array): void {
  try {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const f = frame(bytes, view, 0);
    if (f === undefined) return;
    const reader = RecordBatchReader.from(bytes);
    (reader.next as () => unknown)();
    const schema = reader.schema;
    const bufferOf = new Int32Array(TRADE_COLUMNS.length);
    for (let i = 0; i < TRADE_COLUMNS.length; i++) {
      const j = schema.fields.findIndex((x) => x.name === TRADE_COLUMNS[i]);
      if (j < 0) return;
      bufferOf[i] = 2 * j;
    }
    // Only fixed-width and bool columns (validity + data, no children) keep buffer index = 2 x field.
    for (const x of schema.fields) {
      const t = x.type as DataType;
      if (!(t.typeId === Type.Int || t.typeId === Type.Float || t.typeId === Type.Bool)) return;
    }
    known = { bytes: bytes.slice(f.meta, f.next), fields: schema.fields.length, buffer: bufferOf };
  } catch {
    known = undefined;
  }
}

/** The fast path; undefined = "let apache-arrow decide". */
function decodeFast(bytes: Uint8Array, maxRows: number): TradeColumns | undefined {
  const k = known;
  if (k === undefined) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const s = frame(bytes, view, 0);
  if (s === undefined || s.metaLen !== k.bytes.length) return undefined;
  for (let i = 0; i < s.metaLen; i++) if (bytes[s.meta + i] !== k.bytes[i]) return undefined;
  const b = frame(bytes, view, s.next);
  if (b === undefined) return undefined;
  // Message table: 0 version, 1 header_type (u8), 2 header (table), 3 bodyLength (i64).
  const msg = b.meta + view.getUint32(b.meta, true);
  const typeAt = tableField(view, msg, 1);
  if (typeAt === 0 || view.getUint8(typeAt) !== 3) return undefined; // 3 = RecordBatch
  const headerAt = tableField(view, msg, 2);
  const bodyLenAt = tableField(view, msg, 3);
  if (headerAt === 0 || bodyLenAt === 0) return undefined;
  const bodyLen = Number(view.getBigInt64(bodyLenAt, true));
  const body = b.next;
  if (!(bodyLen >= 0) || body + bodyLen > bytes.length) return undefined;
  // Whatever follows the body must be the end-of-stream marker (or nothing): one batch only.
  const after = body + bodyLen;
  if (after < bytes.length) {
    if (after + 4 > bytes.length) return undefined;
    const w0 = view.getUint32(after, true);
    const eos = w0 === 0 || (w0 === CONTINUATION && after + 8 <= bytes.length && view.getUint32(after + 4, true) === 0);
    if (!eos) return undefined;
  }
  const rb = headerAt + view.getUint32(headerAt, true);
  // RecordBatch table: 0 length (i64), 1 nodes [FieldNode{i64 length, i64 null_count}], 2 buffers [Buffer{i64 offset, i64 length}], 3 compression.
  if (tableField(view, rb, 3) !== 0) return undefined;
  const lenAt = tableField(view, rb, 0);
  const n = lenAt === 0 ? 0 : Number(view.getBigInt64(lenAt, true));
  if (n === 0 || n > maxRows) return undefined;
  const nodesAt = tableField(view, rb, 1);
  const buffersAt = tableField(view, rb, 2);
  if (nodesAt === 0 || buffersAt === 0) return undefined;
  const nodes = nodesAt + view.getUint32(nodesAt, true);
  const buffers = buffersAt + view.getUint32(buffersAt, true);
  if (view.getUint32(nodes, true) !== k.fields || view.getUint32(buffers, true) !== 2 * k.fields) return undefined;
  const cols: (Uint8Array | undefined)[] = [];
  for (let c = 0; c < TRADE_COLUMNS.length; c++) {
    const field = k.buffer[c]! >> 1;
    const node = nodes + 4 + 16 * field;
    if (Number(view.getBigInt64(node, true)) !== n || view.getBigInt64(node + 8, true) !== 0n) return undefined;
    const data = buffers + 4 + 16 * (k.buffer[c]! + 1);
    const off = Number(view.getBigInt64(data, true));
    const len = Number(view.getBigInt64(data + 8, true));
    const need = c === 4 ? (n + 7) >> 3 : 8 * n;
    if (!(off >= 0) || len < need || off + len > bodyLen) return undefined;
    cols.push(bytes.subarray(body + off, body + off + need));
  }
  return {
    length: n,
    tradeTimeMs: typed(cols[0]!, BigInt64Array),
    tradeId: typed(cols[1]!, BigInt64Array),
    price: typed(cols[2]!, Float64Array),
    quantity: typed(cols[3]!, Float64Array),
    takerBuyBits: cols[4]!,
    takerBuyBitOffset: 0,
  };
}

/** A typed view of 8-byte values in place when aligned, else of an aligned copy. */
function typed<A extends BigInt64Array | Float64Array>(b: Uint8Array, T: { new (buffer: ArrayBufferLike, byteOffset: number, length: number): A }): A {
  const n = b.length >> 3;
  if ((b.byteOffset & 7) === 0) return new T(b.buffer, b.byteOffset, n);
  const copy = new Uint8Array(b.length);
  copy.set(b);
  return new T(copy.buffer, 0, n);
}

/** The reference decoder: apache-arrow's RecordBatchReader with full validation and error messages. */
export function decodeTradesArrow(bytes: Uint8Array, where: string, maxRows = Number.MAX_SAFE_INTEGER): TradeColumns {
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
