/**
 * The clean-tape report: every alert the scorer raises on a tape with nothing planted, counted per
 * symbol, interval, type and liquidity tier, with the two denominators named apart:
 *
 * - per wall-clock symbol-hour: alerts / hours from the symbol's first to its last trade. What a
 *   surveillance desk lives with ("how many alerts a day does this symbol give me").
 * - per non-empty symbol-hour: alerts / (windows with trades x window length). The older figure of
 *   evaluate.ts; on a thin market it is several times the first (XRPETH: 13.4 non-empty of 59.3
 *   wall-clock hours at 10 s).
 *
 * Liquidity tiers, by trades per wall-clock hour over the tape: liquid >= 3,600 (a trade a second or
 * more), mid 360..3,600, thin 36..360, very-thin < 36 (under one trade in 100 s).
 */
import type { ScoredWindow } from './run.js';
import type { Tape } from './tape.js';
import { intervalMs } from './windows.js';

export type LiquidityTier = 'liquid' | 'mid' | 'thin' | 'very-thin';

export function liquidityTier(tradesPerHour: number): LiquidityTier {
  return tradesPerHour >= 3600 ? 'liquid' : tradesPerHour >= 360 ? 'mid' : tradesPerHour >= 36 ? 'thin' : 'very-thin';
}

export interface CleanAlert {
  readonly time: string;
  readonly symbol: string;
  readonly interval: string;
  readonly type: string;
  readonly severity: number;
  readonly reason: string;
}

export interface CleanRates {
  readonly alerts: number;
  readonly wallClockHours: number;
  readonly nonEmptyHours: number;
  readonly perWallClockHour: number;
  readonly perNonEmptyHour: number;
  readonly byType: Record<string, number>;
}

export interface CleanReport {
  readonly symbols: { symbol: string; trades: number; wallClockHours: number; tradesPerHour: number; tier: LiquidityTier }[];
  /** Per interval: all symbols, then per tier. */
  readonly intervals: Record<string, { all: CleanRates; tiers: Partial<Record<LiquidityTier, CleanRates>> }>;
  readonly alerts: CleanAlert[];
}

function rates(windows: readonly ScoredWindow[], wallClockHours: number, interval: string): CleanRates {
  const alerts = windows.filter((w) => w.isAnomaly);
  const byType: Record<string, number> = {};
  for (const a of alerts) byType[a.type] = (byType[a.type] ?? 0) + 1;
  const nonEmptyHours = (windows.filter((w) => w.tradeCount > 0).length * intervalMs(interval)) / 3_600_000;
  return {
    alerts: alerts.length,
    wallClockHours,
    nonEmptyHours,
    perWallClockHour: wallClockHours > 0 ? alerts.length / wallClockHours : 0,
    perNonEmptyHour: nonEmptyHours > 0 ? alerts.length / nonEmptyHours : 0,
    byType,
  };
}

/** `afterMs`: only windows starting at or after it count (a warm-up to leave out; 0 = all). */
export function cleanReport(tape: Tape, windows: readonly ScoredWindow[], intervals: readonly string[], afterMs = 0): CleanReport {
  const symbols = [...tape.entries()]
    .filter(([, rows]) => rows.length > 0)
    .map(([symbol, rows]) => {
      const from = Math.max(rows[0]!.timeMs, afterMs);
      const wallClockHours = Math.max(0, rows[rows.length - 1]!.timeMs - from) / 3_600_000;
      const counted = rows.filter((t) => t.timeMs >= from).length;
      const tradesPerHour = wallClockHours > 0 ? counted / wallClockHours : 0;
      return { symbol, trades: counted, wallClockHours, tradesPerHour, tier: liquidityTier(tradesPerHour) };
    })
    .sort((a, b) => a.symbol.localeCompare(b.symbol));
  const tierOf = new Map(symbols.map((s) => [s.symbol, s.tier]));
  const hoursOf = new Map(symbols.map((s) => [s.symbol, s.wallClockHours]));
  const out: CleanReport['intervals'] = {};
  for (const interval of intervals) {
    const ws = windows.filter((w) => w.interval === interval && w.startMs >= afterMs);
    const total = symbols.reduce((h, s) => h + s.wallClockHours, 0);
    const tiers: Partial<Record<LiquidityTier, CleanRates>> = {};
    for (const tier of ['liquid', 'mid', 'thin', 'very-thin'] as const) {
      const members = symbols.filter((s) => s.tier === tier).map((s) => s.symbol);
      if (members.length === 0) continue;
      tiers[tier] = rates(ws.filter((w) => tierOf.get(w.symbol) === tier), members.reduce((h, m) => h + hoursOf.get(m)!, 0), interval);
    }
    out[interval] = { all: rates(ws, total, interval), tiers };
  }
  const alerts = windows
    .filter((w) => w.isAnomaly && w.startMs >= afterMs && intervals.includes(w.interval))
    .sort((a, b) => a.startMs - b.startMs || a.symbol.localeCompare(b.symbol))
    .map((w) => ({ time: new Date(w.startMs).toISOString(), symbol: w.symbol, interval: w.interval, type: w.type, severity: w.severity, reason: w.reasons[0] ?? '' }));
  return { symbols, intervals: out, alerts };
}

const f2 = (v: number): string => v.toFixed(2);

/** The report as text; at most `maxAlerts` alert lines (the JSON has them all). */
export function formatClean(r: CleanReport, maxAlerts = 50): string {
  const lines: string[] = [];
  for (const s of r.symbols) lines.push(`${s.symbol.padEnd(12)} ${String(s.trades).padStart(9)} trades over ${f2(s.wallClockHours)} h = ${s.tradesPerHour.toFixed(0)}/h (${s.tier})`);
  lines.push('');
  lines.push('interval  tier        alerts   per wall-clock symbol-hour   per non-empty symbol-hour   by type');
  for (const [interval, v] of Object.entries(r.intervals)) {
    const row = (tier: string, c: CleanRates): string =>
      `${interval.padEnd(9)} ${tier.padEnd(10)} ${String(c.alerts).padStart(7)}   ${f2(c.perWallClockHour).padStart(8)} (${f2(c.wallClockHours)} h)   ${f2(c.perNonEmptyHour).padStart(12)} (${f2(c.nonEmptyHours)} h)   ${Object.entries(c.byType).map(([k, n]) => `${k} ${n}`).join(', ')}`;
    lines.push(row('all', v.all));
    for (const [tier, c] of Object.entries(v.tiers)) lines.push(row(tier, c!));
  }
  lines.push('');
  lines.push(`${r.alerts.length} alert(s)${r.alerts.length > maxAlerts ? ` (first ${maxAlerts} shown; the JSON report lists all)` : ''}:`);
  for (const a of r.alerts.slice(0, maxAlerts)) lines.push(`  ${a.time}  ${a.symbol} ${a.interval.padEnd(3)} ${a.type.padEnd(24)} severity ${String(a.severity).padStart(3)}  ${a.reason}`);
  return lines.join('\n');
}
