/**
 * Wire codec of the ScoringService messages (protos/cryptoanomaly/v1/scoring.proto) and the
 * plain domain types the scorer works with.
 *
 * Why hand-written envelopes: @crypto-anomaly/contract exports codecs for the Kafka records
 * (Kline, Alert, ...) but not the generated schemas of the three scoring messages, and this
 * issue may not change packages/contract. The envelopes are three flat messages, so they are
 * read and written here with protobuf-es's own BinaryReader/BinaryWriter, while the nested
 * Kline and Alert go through the contract's codecs: still one codegen. test/wire.test.ts pins
 * this file to the generated schemas (round trips both ways). See docs/decisions/030.
 * Reading also avoids copies: `trades_arrow` and state bytes are views into the request buffer.
 */
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { alertCodec, klineCodec, type Alert, type Kline } from '@crypto-anomaly/contract';
import { ValidationError, type BookSummary, type KeyState, type ScoringResponse } from '@crypto-anomaly/scoring';

export type { BookSummary, KeyState } from '@crypto-anomaly/scoring';

export interface WindowToScore {
  readonly key: string;
  readonly symbol: string;
  readonly interval: string;
  /** [start, end) in ms since the Unix epoch. */
  readonly windowStartMs: number;
  readonly windowEndMs: number;
  /** Arrow IPC stream, one record batch (arrow.ts has the layout). */
  readonly tradesArrow: Uint8Array;
  /** Flink's kline for the window; the scorer does not need it (features come from trades). */
  readonly kline: Kline | undefined;
  /** Book-ticker summary; undefined = no quotes (or an older job): no spread features. */
  readonly book?: BookSummary | undefined;
}

function emptyBook(): { -readonly [K in keyof BookSummary]: BookSummary[K] } {
  return { quoteCount: 0, spreadBpsTwa: 0, spreadBpsGeo: 0, spreadBpsMax: 0, spreadBpsLast: 0, lastBid: 0, lastAsk: 0, depthQuoteTwa: 0, depthQuoteMin: 0, maxQuoteGapMs: 0, crossedOrLocked: 0 };
}

function readBook(bytes: Uint8Array): BookSummary {
  const r = new BinaryReader(bytes);
  const b = emptyBook();
  while (r.pos < r.len) {
    const [no, wt] = r.tag();
    if (no === 1 && wt === WireType.Varint) b.quoteCount = r.uint32();
    else if (no === 2 && wt === WireType.Bit64) b.spreadBpsTwa = r.double();
    else if (no === 3 && wt === WireType.Bit64) b.spreadBpsGeo = r.double();
    else if (no === 4 && wt === WireType.Bit64) b.spreadBpsMax = r.double();
    else if (no === 5 && wt === WireType.Bit64) b.spreadBpsLast = r.double();
    else if (no === 6 && wt === WireType.Bit64) b.lastBid = r.double();
    else if (no === 7 && wt === WireType.Bit64) b.lastAsk = r.double();
    else if (no === 8 && wt === WireType.Bit64) b.depthQuoteTwa = r.double();
    else if (no === 9 && wt === WireType.Bit64) b.depthQuoteMin = r.double();
    else if (no === 10 && wt === WireType.Varint) b.maxQuoteGapMs = int64(r, 'book.max_quote_gap_ms');
    else if (no === 11 && wt === WireType.Varint) b.crossedOrLocked = r.uint32();
    else r.skip(wt, no);
  }
  return b;
}

function writeBook(w: BinaryWriter, b: BookSummary): void {
  w.tag(8, WireType.LengthDelimited).fork();
  if (b.quoteCount !== 0) w.tag(1, WireType.Varint).uint32(b.quoteCount);
  const doubles: [number, number][] = [[2, b.spreadBpsTwa], [3, b.spreadBpsGeo], [4, b.spreadBpsMax], [5, b.spreadBpsLast], [6, b.lastBid], [7, b.lastAsk], [8, b.depthQuoteTwa], [9, b.depthQuoteMin]];
  for (const [no, v] of doubles) if (v !== 0) w.tag(no, WireType.Bit64).double(v);
  if (b.maxQuoteGapMs !== 0) w.tag(10, WireType.Varint).int64(b.maxQuoteGapMs);
  if (b.crossedOrLocked !== 0) w.tag(11, WireType.Varint).uint32(b.crossedOrLocked);
  w.join();
}

export interface ScoreBundleRequest {
  readonly bundleId: string;
  readonly states: readonly KeyState[];
  readonly windows: readonly WindowToScore[];
}

/** The core's response is the wire response (results as contract Alerts, state blobs, versions). */
export type ScoreBundleResponse = ScoringResponse;

function int64(r: BinaryReader, field: string): number {
  const v = r.int64();
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new ValidationError('BAD_PROTOBUF', `${field}: ${String(v)} does not fit a JS number`);
  return n;
}

function readKeyState(bytes: Uint8Array): KeyState {
  const r = new BinaryReader(bytes);
  let key = '';
  let state: Uint8Array = new Uint8Array(0);
  while (r.pos < r.len) {
    const [no, wt] = r.tag();
    if (no === 1 && wt === WireType.LengthDelimited) key = r.string();
    else if (no === 2 && wt === WireType.LengthDelimited) state = r.bytes();
    else r.skip(wt, no);
  }
  return { key, state };
}

function readWindow(bytes: Uint8Array): WindowToScore {
  const r = new BinaryReader(bytes);
  let key = '';
  let symbol = '';
  let interval = '';
  let windowStartMs = 0;
  let windowEndMs = 0;
  let tradesArrow: Uint8Array = new Uint8Array(0);
  let kline: Kline | undefined;
  let book: BookSummary | undefined;
  while (r.pos < r.len) {
    const [no, wt] = r.tag();
    if (no === 1 && wt === WireType.LengthDelimited) key = r.string();
    else if (no === 2 && wt === WireType.LengthDelimited) symbol = r.string();
    else if (no === 3 && wt === WireType.LengthDelimited) interval = r.string();
    else if (no === 4 && wt === WireType.Varint) windowStartMs = int64(r, 'window_start_ms');
    else if (no === 5 && wt === WireType.Varint) windowEndMs = int64(r, 'window_end_ms');
    else if (no === 6 && wt === WireType.LengthDelimited) tradesArrow = r.bytes();
    else if (no === 7 && wt === WireType.LengthDelimited) kline = klineCodec.decode(r.bytes());
    else if (no === 8 && wt === WireType.LengthDelimited) book = readBook(r.bytes());
    else r.skip(wt, no);
  }
  return book === undefined ? { key, symbol, interval, windowStartMs, windowEndMs, tradesArrow, kline } : { key, symbol, interval, windowStartMs, windowEndMs, tradesArrow, kline, book };
}

/** Bytes -> request; any protobuf-level problem is a ValidationError (BAD_PROTOBUF). */
export function decodeRequest(bytes: Uint8Array): ScoreBundleRequest {
  try {
    const r = new BinaryReader(bytes);
    let bundleId = '';
    const states: KeyState[] = [];
    const windows: WindowToScore[] = [];
    while (r.pos < r.len) {
      const [no, wt] = r.tag();
      if (no === 1 && wt === WireType.LengthDelimited) bundleId = r.string();
      else if (no === 2 && wt === WireType.LengthDelimited) states.push(readKeyState(r.bytes()));
      else if (no === 3 && wt === WireType.LengthDelimited) windows.push(readWindow(r.bytes()));
      else r.skip(wt, no);
    }
    return { bundleId, states, windows };
  } catch (err) {
    if (err instanceof ValidationError) throw err;
    throw new ValidationError('BAD_PROTOBUF', `request is not a valid ScoreBundleRequest: ${(err as Error).message}`, { cause: err });
  }
}

function writeKeyState(w: BinaryWriter, field: number, s: KeyState): void {
  w.tag(field, WireType.LengthDelimited).fork();
  if (s.key !== '') w.tag(1, WireType.LengthDelimited).string(s.key);
  if (s.state.length > 0) w.tag(2, WireType.LengthDelimited).bytes(s.state);
  w.join();
}

/** Proto3 encoding: default values are omitted, fields in number order (deterministic). */
export function encodeRequest(req: ScoreBundleRequest): Uint8Array {
  const w = new BinaryWriter();
  if (req.bundleId !== '') w.tag(1, WireType.LengthDelimited).string(req.bundleId);
  for (const s of req.states) writeKeyState(w, 2, s);
  for (const win of req.windows) {
    w.tag(3, WireType.LengthDelimited).fork();
    if (win.key !== '') w.tag(1, WireType.LengthDelimited).string(win.key);
    if (win.symbol !== '') w.tag(2, WireType.LengthDelimited).string(win.symbol);
    if (win.interval !== '') w.tag(3, WireType.LengthDelimited).string(win.interval);
    if (win.windowStartMs !== 0) w.tag(4, WireType.Varint).int64(win.windowStartMs);
    if (win.windowEndMs !== 0) w.tag(5, WireType.Varint).int64(win.windowEndMs);
    if (win.tradesArrow.length > 0) w.tag(6, WireType.LengthDelimited).bytes(win.tradesArrow);
    if (win.kline !== undefined) w.tag(7, WireType.LengthDelimited).bytes(klineCodec.encode(win.kline));
    if (win.book !== undefined) writeBook(w, win.book);
    w.join();
  }
  return w.finish();
}

export function encodeResponse(res: ScoreBundleResponse): Uint8Array {
  const w = new BinaryWriter();
  for (const a of res.results) w.tag(1, WireType.LengthDelimited).bytes(alertCodec.encode(a));
  for (const s of res.states) writeKeyState(w, 2, s);
  if (res.configVersion !== '') w.tag(3, WireType.LengthDelimited).string(res.configVersion);
  if (res.modelVersion !== '') w.tag(4, WireType.LengthDelimited).string(res.modelVersion);
  return w.finish();
}

export function decodeResponse(bytes: Uint8Array): ScoreBundleResponse {
  const r = new BinaryReader(bytes);
  const results: Alert[] = [];
  const states: KeyState[] = [];
  let configVersion = '';
  let modelVersion = '';
  while (r.pos < r.len) {
    const [no, wt] = r.tag();
    if (no === 1 && wt === WireType.LengthDelimited) results.push(alertCodec.decode(r.bytes()));
    else if (no === 2 && wt === WireType.LengthDelimited) states.push(readKeyState(r.bytes()));
    else if (no === 3 && wt === WireType.LengthDelimited) configVersion = r.string();
    else if (no === 4 && wt === WireType.LengthDelimited) modelVersion = r.string();
    else r.skip(wt, no);
  }
  return { results, states, configVersion, modelVersion };
}
