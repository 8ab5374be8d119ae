/**
 * The per-key state blob that Flink keeps in keyed state and sends with every window.
 * The sidecar owns its layout; Flink treats it as opaque bytes.
 *
 * Layout, little-endian, UDF_STATE_VERSION 3:
 *   u8 0x55 'U', u8 0x44 'D'   magic, so a foreign or shifted blob fails loudly
 *   u8  version
 *   u8  n = number of stored window log returns (for momentum), <= 63
 *   f64 previous window's close (NaN = no window seen yet), quote currency
 *   --- incident (consensus.ts), 16 bytes, new in version 2 ---
 *   u8  incident open (0/1)
 *   u8  incident type (AnomalyType code of the alert that opened it)
 *   u16 quiet windows since the incident's last anomalous window (cool-down counter)
 *   u16 anomalous windows in the incident so far
 *   u16 pending: consecutive candidate windows that need persistence (volatility-only) not yet alerted
 *   f64 incident start, ms (window start of the opening alert)
 *   --- alert budget (packages/detectors tail.ts), BUDGET_CHANNELS.length x TAIL_STATE_BYTES, new in version 3 ---
 *   the key's tail calibration of each budget channel's statistic, in BUDGET_CHANNELS order
 *   f64 EW mean absolute window log return (the price channel's scale; NaN = none yet)
 *   u32 windows it has learned
 *   f64 start of the key's previous scored window, ms (NaN = none yet)
 *   ---
 *   f64 x n  previous windows' log returns, oldest first
 *   ...      the detector ensemble's blob (packages/detectors Ensemble.saveState; empty = cold)
 * Versions 1 (no incident block) and 2 (no budget block) are still read: the incident starts
 * closed, the budget calibration cold (migration).
 * float64 for the close and returns: log_return is a difference of nearby prices, where float32
 * would lose most of the signal. An empty blob is a key seen for the first time.
 *
 * Problems split in two (docs/decisions/031): bytes that are not a state at all (bad magic,
 * truncated) are a client bug -> BAD_STATE, INVALID_ARGUMENT. A state version this build cannot
 * read is deployment skew (a rollback after a newer build wrote states) -> the key restarts cold,
 * reported so the service can log and count it, and the pipeline keeps running.
 */
import { coldTail, decodeTail, encodeTail, TAIL_STATE_BYTES, type TailState } from '@crypto-anomaly/detectors';
import { ValidationError } from './errors.js';

export const UDF_STATE_VERSION = 3;
const MAGIC_0 = 0x55;
const MAGIC_1 = 0x44;
const V1_HEADER_BYTES = 12;
const V2_HEADER_BYTES = 28;
/**
 * The alert budget's channels (scorer.ts budgetOf): each has its own calibrated tail, because
 * their statistics have tails of very different weight on a thin market (decision 070).
 */
export const BUDGET_CHANNELS = Object.freeze(['generic', 'price', 'burst', 'flow', 'volatility', 'spread'] as const);
const ABS_RETURN_AT = V2_HEADER_BYTES + BUDGET_CHANNELS.length * TAIL_STATE_BYTES;
const PREV_START_AT = ABS_RETURN_AT + 12;
const HEADER_BYTES = PREV_START_AT + 8;
export const MAX_STORED_RETURNS = 63;

/** One key's state while a bundle is being scored (mutable; chained window to window). */
export interface KeyStateData {
  prevClose: number;
  /** Previous windows' log returns, oldest first, at most momentumWindows - 1 of them. */
  returns: number[];
  /** Ensemble blob; a view into the request or a fresh array from Ensemble.saveState. */
  ensemble: Uint8Array;
  incident: IncidentState;
  /** The alert budget's calibrations, one per BUDGET_CHANNELS entry. */
  tails: TailState[];
  /** EW mean |log return| of the key's windows (the price channel's scale), and how many it learned. */
  absReturn: number;
  absReturnCount: number;
  /** Start of the key's previous scored window (ms; NaN before the first). */
  prevStartMs: number;
}

/** One alert per incident per key: what consensus needs to remember between windows. */
export interface IncidentState {
  open: boolean;
  /** AnomalyType code (contract enum number) of the opening alert. */
  type: number;
  quiet: number;
  windows: number;
  pending: number;
  startMs: number;
}

export function closedIncident(): IncidentState {
  return { open: false, type: 0, quiet: 0, windows: 0, pending: 0, startMs: 0 };
}

export interface ParsedState {
  readonly data: KeyStateData;
  /** Set when the blob was readable but unsupported and the key restarts cold. */
  readonly reset: string | undefined;
}

export function coldTails(): TailState[] {
  return BUDGET_CHANNELS.map(() => coldTail());
}

export function coldState(): KeyStateData {
  return { prevClose: NaN, returns: [], ensemble: new Uint8Array(0), incident: closedIncident(), tails: coldTails(), absReturn: NaN, absReturnCount: 0, prevStartMs: NaN };
}

export function decodeState(bytes: Uint8Array, where: string): ParsedState {
  if (bytes.length === 0) return { data: coldState(), reset: undefined };
  if (bytes.length < 3 || bytes[0] !== MAGIC_0 || bytes[1] !== MAGIC_1) {
    throw new ValidationError('BAD_STATE', `${where}: state is not a udf-server state blob (bad magic)`);
  }
  const version = bytes[2]!;
  if (version !== UDF_STATE_VERSION && version !== 1 && version !== 2) {
    return { data: coldState(), reset: `state version ${version} is not supported (this build reads 1..${UDF_STATE_VERSION}); key restarts cold` };
  }
  const head = version === 1 ? V1_HEADER_BYTES : version === 2 ? V2_HEADER_BYTES : HEADER_BYTES;
  const n = bytes.length >= 4 ? bytes[3]! : 0;
  const need = head + 8 * n;
  if (bytes.length < need || n > MAX_STORED_RETURNS) {
    throw new ValidationError('BAD_STATE', `${where}: state is truncated or corrupt (${bytes.length} bytes, header needs ${need})`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const prevClose = view.getFloat64(4, true);
  const incident =
    version === 1
      ? closedIncident()
      : { open: bytes[12] === 1, type: bytes[13]!, quiet: view.getUint16(14, true), windows: view.getUint16(16, true), pending: view.getUint16(18, true), startMs: view.getFloat64(20, true) };
  const tails = version >= 3 ? BUDGET_CHANNELS.map((_, c) => decodeTail(view, V2_HEADER_BYTES + c * TAIL_STATE_BYTES)) : coldTails();
  const returns: number[] = new Array<number>(n);
  for (let i = 0; i < n; i++) returns[i] = view.getFloat64(head + 8 * i, true);
  return { data: { prevClose, returns, ensemble: bytes.subarray(need), incident, tails, absReturn: version >= 3 ? view.getFloat64(ABS_RETURN_AT, true) : NaN, absReturnCount: version >= 3 ? view.getUint32(ABS_RETURN_AT + 8, true) : 0, prevStartMs: version >= 3 ? view.getFloat64(PREV_START_AT, true) : NaN }, reset: undefined };
}

export function encodeState(s: KeyStateData): Uint8Array {
  const n = Math.min(s.returns.length, MAX_STORED_RETURNS);
  const first = s.returns.length - n;
  const head = HEADER_BYTES + 8 * n;
  const out = new Uint8Array(head + s.ensemble.length);
  const view = new DataView(out.buffer);
  out[0] = MAGIC_0;
  out[1] = MAGIC_1;
  out[2] = UDF_STATE_VERSION;
  out[3] = n;
  view.setFloat64(4, s.prevClose, true);
  const inc = s.incident;
  out[12] = inc.open ? 1 : 0;
  out[13] = inc.type;
  view.setUint16(14, Math.min(inc.quiet, 0xffff), true);
  view.setUint16(16, Math.min(inc.windows, 0xffff), true);
  view.setUint16(18, Math.min(inc.pending, 0xffff), true);
  view.setFloat64(20, inc.startMs, true);
  s.tails.forEach((t, c) => encodeTail(t, view, V2_HEADER_BYTES + c * TAIL_STATE_BYTES));
  view.setFloat64(ABS_RETURN_AT, s.absReturn, true);
  view.setUint32(ABS_RETURN_AT + 8, Math.min(s.absReturnCount, 0xffffffff), true);
  view.setFloat64(PREV_START_AT, s.prevStartMs, true);
  for (let i = 0; i < n; i++) view.setFloat64(HEADER_BYTES + 8 * i, s.returns[first + i]!, true);
  out.set(s.ensemble, head);
  return out;
}
