/**
 * The backtest's input: the trades of a recording (the bundled real tape by default, or any file
 * the replay readers understand: hftbacktest's `<ns> <json>` lines or cryptofeed's
 * `<seconds>: <json>` lines, gzip or plain; or Binance's public `trades` / `aggTrades` CSV dumps,
 * plain, gzip or zip, dump.ts), as plain rows per symbol, sorted by (time, id) like the Flink job
 * sorts a window's trades.
 *
 * `@trade` and `@aggTrade` payloads are both accepted (an aggregate trade is one row with its
 * aggregate id); the taker side is `!m` (m = "the buyer is the maker", so the aggressor sold).
 */
import { openBundledRecording, openRecordings, type RecordedMessage } from '@crypto-anomaly/replay';
import { isDumpPath, readDump, type DumpKind } from './dump.js';

export interface Trade {
  timeMs: number;
  id: number;
  price: number;
  quantity: number;
  takerBuy: boolean;
}

/** Trades per symbol, each array sorted by (timeMs, id). */
export type Tape = Map<string, Trade[]>;

export interface LoadOptions {
  /** Recording files; the bundled 11-minute BTCUSDT+ETHUSDT tape when empty or absent. */
  readonly files?: readonly string[];
  /** Only these symbols (upper case); all when absent. A dump whose name does not say its symbol takes the only one given here. */
  readonly symbols?: readonly string[];
  /** Told what each Binance dump held (rows read, rows skipped as malformed). */
  readonly onDump?: (r: { file: string; symbol: string; kind: DumpKind; trades: number; skipped: number; firstSkippedLine: number }) => void;
}

export async function loadTape(options: LoadOptions = {}): Promise<Tape> {
  const dumps = (options.files ?? []).filter(isDumpPath);
  const recordings = (options.files ?? []).filter((f) => !isDumpPath(f));
  const wanted = options.symbols === undefined ? undefined : new Set(options.symbols.map((s) => s.toUpperCase()));
  const tape: Tape = new Map();
  const only = options.symbols?.length === 1 ? options.symbols[0] : undefined;
  for (const file of dumps) {
    const d = await readDump(file, dumpNameSymbolOr(file, only));
    options.onDump?.({ file, symbol: d.symbol, kind: d.kind, trades: d.trades.length, skipped: d.skipped, firstSkippedLine: d.firstSkippedLine });
    if (wanted !== undefined && !wanted.has(d.symbol)) continue;
    let rows = tape.get(d.symbol);
    if (rows === undefined) tape.set(d.symbol, (rows = []));
    for (const t of d.trades) rows.push(t);
  }
  if (dumps.length > 0 && recordings.length === 0) {
    for (const rows of tape.values()) dedupe(sortTrades(rows));
    return tape;
  }
  const source: AsyncIterable<RecordedMessage> = recordings.length === 0 ? openBundledRecording() : openRecordings(recordings);
  for await (const m of source) {
    const at = m.stream.indexOf('@');
    const kind = m.stream.slice(at + 1);
    if (kind !== 'trade' && kind !== 'aggTrade') continue;
    const t = parseTrade(m.raw);
    if (t === undefined) continue;
    if (wanted !== undefined && !wanted.has(t.symbol)) continue;
    let rows = tape.get(t.symbol);
    if (rows === undefined) tape.set(t.symbol, (rows = []));
    rows.push(t.trade);
  }
  for (const rows of tape.values()) sortTrades(rows);
  return tape;
}

/** Parses one combined-stream trade or aggTrade envelope; undefined for anything malformed. */
export function parseTrade(raw: string): { symbol: string; trade: Trade } | undefined {
  let doc: { data?: Record<string, unknown> };
  try {
    doc = JSON.parse(raw) as { data?: Record<string, unknown> };
  } catch {
    return undefined;
  }
  const d = doc.data;
  if (d === undefined || d === null) return undefined;
  const symbol = d['s'];
  const time = d['T'];
  const id = d['t'] ?? d['a'];
  const price = Number(d['p']);
  const quantity = Number(d['q']);
  const maker = d['m'];
  if (typeof symbol !== 'string' || typeof time !== 'number' || typeof id !== 'number' || typeof maker !== 'boolean') return undefined;
  if (!(price > 0 && Number.isFinite(price)) || !(quantity >= 0 && Number.isFinite(quantity))) return undefined;
  return { symbol: symbol.toUpperCase(), trade: { timeMs: time, id, price, quantity, takerBuy: !maker } };
}

/** The name's symbol when it has one, else `fallback` (a single --symbols value). */
function dumpNameSymbolOr(file: string, fallback: string | undefined): string | undefined {
  return /^[A-Za-z0-9]{2,30}-(trades|aggTrades)-/.test(file.split('/').pop() ?? '') ? undefined : fallback;
}

/** Drops repeated ids of sorted rows (overlapping daily dumps of one symbol), in place. */
function dedupe(rows: Trade[]): Trade[] {
  let w = 0;
  const seen = new Set<number>();
  for (const t of rows) {
    if (seen.has(t.id)) continue;
    seen.add(t.id);
    rows[w++] = t;
  }
  rows.length = w;
  return rows;
}

export function sortTrades(rows: Trade[]): Trade[] {
  return rows.sort((a, b) => a.timeMs - b.timeMs || a.id - b.id);
}

export function cloneTape(tape: Tape): Tape {
  return new Map([...tape].map(([s, rows]) => [s, rows.map((t) => ({ ...t }))]));
}

/**
 * The tape played `passes` times back to back, to give the detectors a realistic warm-up and
 * more clean history than 11 minutes. Pass k is the original shifted by k x span in time (span =
 * the tape's length rounded up to whole windows, the same for every symbol so that symbols stay
 * aligned) and by k x (id range) in trade ids; its prices are scaled so that its first trade
 * continues from the previous pass's last price (no jump at the seam: a seam would be a price
 * move the market never made). Volumes, sides and timing are the real ones, repeated.
 */
export function loopTape(tape: Tape, passes: number, windowMs: number): { tape: Tape; spanMs: number } {
  let first = Infinity;
  let last = -Infinity;
  for (const rows of tape.values()) {
    if (rows.length === 0) continue;
    first = Math.min(first, rows[0]!.timeMs);
    last = Math.max(last, rows[rows.length - 1]!.timeMs);
  }
  if (!Number.isFinite(first)) return { tape, spanMs: 0 };
  const start = Math.floor(first / windowMs) * windowMs;
  const spanMs = Math.ceil((last + 1 - start) / windowMs) * windowMs;
  if (passes <= 1) return { tape, spanMs };
  const out: Tape = new Map();
  for (const [symbol, rows] of tape) {
    if (rows.length === 0) {
      out.set(symbol, []);
      continue;
    }
    const idSpan = rows[rows.length - 1]!.id - rows[0]!.id + 1;
    const seam = rows[rows.length - 1]!.price / rows[0]!.price;
    const all: Trade[] = [];
    let scale = 1;
    for (let k = 0; k < passes; k++) {
      for (const t of rows) all.push({ timeMs: t.timeMs + k * spanMs, id: t.id + k * idSpan, price: t.price * scale, quantity: t.quantity, takerBuy: t.takerBuy });
      scale *= seam;
    }
    out.set(symbol, all);
  }
  return { tape: out, spanMs };
}
