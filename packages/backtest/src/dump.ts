/**
 * Binance's public historical dumps (data.binance.vision) as backtest input: spot `trades` and
 * `aggTrades` CSV files, plain, gzip or zip, with or without a header row.
 *
 *   trades     id,price,qty,quote_qty,time,is_buyer_maker,is_best_match
 *   aggTrades  agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker,is_best_match
 *
 * The kind comes from the header, or without one from the column count (7 = trades, 8 = aggTrades).
 * Times are ms since the epoch; the dumps since 2025 stamp microseconds (16 digits), which are
 * divided by 1,000. Booleans are True/False or true/false. The taker bought when the buyer was NOT
 * the maker. The symbol is the file name's prefix (`XRPETH-aggTrades-2019-10-11.csv.gz`) unless
 * given. A row that does not parse is counted and skipped (the report says how many and the first
 * line number), never fatal: a dump with a torn last line still replays.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { unzipSync } from 'fflate';
import type { Trade } from './tape.js';

export type DumpKind = 'trades' | 'aggTrades';

export interface DumpRead {
  readonly symbol: string;
  readonly kind: DumpKind;
  readonly trades: Trade[];
  /** Rows skipped because they did not parse, and the first such line (1-based), 0 when none. */
  readonly skipped: number;
  readonly firstSkippedLine: number;
}

/** Whether a path looks like a Binance dump (a .csv, .csv.gz or .zip), not a recording. */
export function isDumpPath(path: string): boolean {
  return /\.(csv|csv\.gz|zip)$/i.test(path);
}

/** "XRPETH-aggTrades-2019-10-11.csv.gz" -> XRPETH and aggTrades (undefined when the name does not say). */
export function dumpNameParts(path: string): { symbol?: string; kind?: DumpKind } {
  const m = /^([A-Za-z0-9]{2,30})-(trades|aggTrades)-/.exec(basename(path));
  return m === null ? {} : { symbol: m[1]!.toUpperCase(), kind: m[2] as DumpKind };
}

const MICROS = 1e15; // a ms timestamp stays below this until the year 33,658

function parseBool(v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  const t = v.trim().toLowerCase();
  return t === 'true' ? true : t === 'false' ? false : undefined;
}

/** One data row; undefined when it does not parse. */
export function parseDumpRow(cols: readonly string[], kind: DumpKind): Trade | undefined {
  const at = kind === 'trades' ? { id: 0, price: 1, qty: 2, time: 4, maker: 5 } : { id: 0, price: 1, qty: 2, time: 5, maker: 6 };
  const id = Number(cols[at.id]);
  const price = Number(cols[at.price]);
  const quantity = Number(cols[at.qty]);
  let time = Number(cols[at.time]);
  const maker = parseBool(cols[at.maker]);
  if (!Number.isSafeInteger(id) || id < 0 || !(price > 0 && price < Infinity) || !(quantity >= 0 && quantity < Infinity) || !Number.isFinite(time) || time <= 0 || maker === undefined) return undefined;
  if (time >= MICROS) time = Math.floor(time / 1000);
  return { timeMs: time, id, price, quantity, takerBuy: !maker };
}

async function* linesOf(path: string): AsyncIterable<string> {
  if (/\.zip$/i.test(path)) {
    // A data.binance.vision zip holds one CSV; all CSV entries are read in name order.
    const entries = unzipSync(readFileSync(path));
    const names = Object.keys(entries).filter((n) => /\.csv$/i.test(n)).sort();
    if (names.length === 0) throw new Error(`${path}: the zip holds no .csv file`);
    for (const n of names) {
      const rl = createInterface({ input: Readable.from([Buffer.from(entries[n]!)]), crlfDelay: Infinity });
      for await (const line of rl) yield line;
    }
    return;
  }
  const raw = createReadStream(path);
  const input = /\.gz$/i.test(path) ? raw.pipe(createGunzip()) : raw;
  const rl = createInterface({ input, crlfDelay: Infinity });
  for await (const line of rl) yield line;
}

/** Reads one dump file. `symbol` overrides the file name's (required when the name does not say). */
export async function readDump(path: string, symbol?: string): Promise<DumpRead> {
  const named = dumpNameParts(path);
  const sym = (symbol ?? named.symbol)?.toUpperCase();
  if (sym === undefined) throw new Error(`${path}: the file name does not name the symbol (expected SYMBOL-trades-... or SYMBOL-aggTrades-...); pass --symbols SYMBOL`);
  let kind: DumpKind | undefined = named.kind;
  const trades: Trade[] = [];
  let skipped = 0;
  let firstSkippedLine = 0;
  let lineNo = 0;
  for await (const line of linesOf(path)) {
    lineNo++;
    if (line.trim() === '') continue;
    const cols = line.split(',');
    if (lineNo === 1 && !/^\d/.test(cols[0]!.trim())) {
      // A header row: it names the kind.
      const h = cols.map((c) => c.trim().toLowerCase());
      kind = h.includes('agg_trade_id') || h.includes('first_trade_id') ? 'aggTrades' : 'trades';
      continue;
    }
    kind ??= cols.length >= 8 ? 'aggTrades' : 'trades';
    const t = parseDumpRow(cols, kind);
    if (t === undefined) {
      skipped++;
      if (firstSkippedLine === 0) firstSkippedLine = lineNo;
      continue;
    }
    trades.push(t);
  }
  return { symbol: sym, kind: kind ?? 'trades', trades, skipped, firstSkippedLine };
}
