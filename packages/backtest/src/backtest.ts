/**
 * One backtest: load a recording, loop it for history, score it clean, then once per anomaly
 * type with labelled events planted, and measure (evaluate.ts). Every run goes through the
 * sidecar's own Scorer with the same config, so the figures are the sidecar's.
 */
import { parseScoringConfig, Scorer, type ScoringConfig } from '@crypto-anomaly/scoring';
import { evaluateClean, evaluateType, type CleanMetrics, type TypeMetrics } from './evaluate.js';
import { INJECTABLE_TYPES, inject, schedule, type InjectedType, type LabelledEvent } from './inject.js';
import { runScorer, type ScoredWindow } from './run.js';
import { bookSummaries, injectBook, loadBook, loopBook, type Book } from './book.js';
import { loadTape, loopTape, type LoadOptions, type Tape } from './tape.js';
import { cleanReport, formatClean, type CleanReport } from './clean.js';
import { isDumpPath } from './dump.js';
import { bundlesOf } from './windows.js';

export interface BacktestOptions {
  readonly files?: readonly string[];
  readonly symbols?: readonly string[];
  /** Passes of the tape, back to back (tape.ts loopTape). */
  readonly loop?: number;
  readonly intervals?: readonly string[];
  readonly types?: readonly InjectedType[];
  readonly magnitude?: number;
  /** Windows between two events. */
  readonly spacing?: number;
  /** 10 s windows before the first event and before false alerts are counted; default 2 x the largest detector warm-up. */
  readonly warmUpWindows?: number;
  readonly scoring?: ScoringConfig;
  /** Already loaded tape (tests); otherwise files / the bundled tape. */
  readonly tape?: Tape;
  /** Already loaded book tickers (tests); otherwise read from the same files as the tape. */
  readonly book?: Book;
  /** false: score the clean tape only and report every alert (clean.ts); no injected runs. */
  readonly inject?: boolean;
  /** Told what each Binance dump held (tape.ts). */
  readonly onDump?: LoadOptions['onDump'];
}

export interface RunOutput {
  readonly name: string;
  readonly events: LabelledEvent[];
  readonly windows: ScoredWindow[];
}

export interface BacktestReport {
  readonly tape: { files: readonly string[]; symbols: string[]; passes: number; passMinutes: number; windowsPerSymbol: Record<string, number>; trades: Record<string, number> };
  readonly configVersion: string;
  /** The model set the sidecar scored with ("none" without scoring.models.dir). */
  readonly modelVersion: string;
  readonly warmUpWindows: number;
  readonly evaluatedFromMs: number;
  readonly magnitude: number;
  readonly spacing: number;
  readonly clean: CleanMetrics;
  readonly types: TypeMetrics[];
  readonly notCovered: { type: string; why: string }[];
  readonly cost: { microsPerWindow: number; stateBytes: Record<string, number>; windowsScored: number };
  /**
   * Severity calibration points measured on the clean tape after the warm-up: for exceedance
   * probabilities 0.5, 0.1, 0.01, 0.001, the consensus statistic exceeded that often (config
   * `scoring.severity.points`; the 0.001 point rests on a handful of windows on an 11-minute tape).
   */
  readonly calibration: { ratio: number; p: number }[];
  /** Every alert of the clean tape, per symbol, interval, type and liquidity tier (clean.ts). */
  readonly cleanTape: CleanReport;
}

export function calibrationPoints(windows: readonly ScoredWindow[], afterMs: number): { ratio: number; p: number }[] {
  const s = windows.filter((w) => w.interval === '10s' && w.startMs >= afterMs && w.voters > 0 && w.tradeCount > 0).map((w) => w.statistic).sort((a, b) => b - a);
  if (s.length === 0) return [];
  const out: { ratio: number; p: number }[] = [];
  for (const p of [0.5, 0.1, 0.01, 0.001]) {
    const k = Math.floor(p * s.length);
    if (k < 1) break;
    const ratio = Number(s[k - 1]!.toFixed(3));
    if (out.length === 0 || ratio > out[out.length - 1]!.ratio) out.push({ ratio, p });
  }
  return out;
}

/** Types the run could not measure, and why (SPREAD_BLOWOUT on a recording without @bookTicker). */
export const NO_BOOK = {
  type: 'SPREAD_BLOWOUT',
  why: 'the recording has no @bookTicker quotes for these symbols (the spread features come from the per-window book summary, decision 066)',
};

export function thresholdsOf(scoring: ScoringConfig): Record<string, number> {
  const d = scoring.detectors as Record<string, { threshold: number }>;
  return Object.fromEntries(Object.entries(d).map(([k, v]) => [k, v.threshold]));
}

export async function runBacktest(o: BacktestOptions = {}): Promise<{ report: BacktestReport; runs: RunOutput[] }> {
  const scoring = o.scoring ?? parseScoringConfig({});
  const loaded = o.tape ?? (await loadTape({ ...(o.files !== undefined ? { files: o.files } : {}), ...(o.symbols !== undefined ? { symbols: o.symbols } : {}), ...(o.onDump !== undefined ? { onDump: o.onDump } : {}) }));
  // 20 passes give the bundled 11-minute tape a history; a day-long dump is its own history.
  const passes = o.loop ?? (o.files !== undefined && o.files.some(isDumpPath) ? 1 : 20);
  const { tape, spanMs } = loopTape(loaded, passes, 60_000);
  const files = { ...(o.files !== undefined ? { files: o.files } : {}), ...(o.symbols !== undefined ? { symbols: o.symbols } : {}) };
  const book = loopBook(o.book ?? (o.tape !== undefined ? new Map() : await loadBook(files)), loaded, passes, spanMs);
  const hasBook = [...book.values()].some((q) => q.timeMs.length > 0);
  const summariesOf = (b: Book) => {
    const cache = new Map<string, ReturnType<typeof bookSummaries>>();
    return (interval: string) => {
      let s = cache.get(interval);
      if (s === undefined) cache.set(interval, (s = bookSummaries(b, interval === '1m' ? 60_000 : 10_000)));
      return s;
    };
  };
  const cleanBooks = summariesOf(book);
  const intervals = o.intervals ?? ['10s'];
  const symbols = [...tape.keys()].sort();
  if (symbols.length === 0) throw new Error('the recording holds no trades');
  let first = Infinity;
  let last = -Infinity;
  for (const rows of tape.values()) {
    if (rows.length === 0) continue;
    first = Math.min(first, rows[0]!.timeMs);
    last = Math.max(last, rows[rows.length - 1]!.timeMs);
  }
  const firstWindowMs = Math.floor(first / 10_000) * 10_000;
  const totalWindows = Math.ceil((last + 1 - firstWindowMs) / 10_000);
  const d = scoring.detectors as Record<string, { warmUp: number }>;
  const m = scoring.models;
  const modelWarmUps = m.dir === undefined ? [] : [m.isolationForest, m.kmeans, m.gmm].filter((c) => c.role !== 'off').map((c) => c.warmUp);
  // The alert budget's tail calibration learns from the scored windows after the detectors warm
  // up (decision 070): events planted before it has its history would be learned as the
  // symbol's normal tail, so the default warm-up covers it too.
  const budgetWarmUp = scoring.budget.enabled ? scoring.budget.initWindows : 0;
  const warmUpWindows = o.warmUpWindows ?? 2 * Math.max(...Object.values(d).map((v) => v.warmUp), ...modelWarmUps) + budgetWarmUp;
  const evaluatedFromMs = firstWindowMs + warmUpWindows * 10_000;
  // One Scorer (and one read of the model files) for every run.
  const scorer = new Scorer(scoring);
  const magnitude = o.magnitude ?? 1;
  const spacing = o.spacing ?? 15;

  const occupied = new Map<string, Set<number>>();
  for (const [s, rows] of tape) occupied.set(s, new Set(rows.map((t) => Math.floor(t.timeMs / 10_000) * 10_000)));
  const hasTrades = (symbol: string, startMs: number): boolean => occupied.get(symbol)?.has(startMs) === true;

  const clean = runScorer(bundlesOf(tape, intervals, cleanBooks), scoring, scorer);
  const runs: RunOutput[] = [{ name: 'clean tape (no injections)', events: [], windows: clean.windows }];
  const types: TypeMetrics[] = [];
  const notCovered: { type: string; why: string }[] = [];
  for (const type of o.inject === false ? [] : (o.types ?? INJECTABLE_TYPES)) {
    if (type === 'SPREAD_BLOWOUT' && !hasBook) {
      notCovered.push(NO_BOOK);
      continue;
    }
    const events = schedule({ type, symbols, firstWindowMs, totalWindows, warmUpWindows, spacing, hasTrades });
    const books = type === 'SPREAD_BLOWOUT' ? summariesOf(injectBook(book, events, magnitude)) : cleanBooks;
    const res = runScorer(bundlesOf(inject(tape, events, magnitude), intervals, books), scoring, scorer);
    runs.push({ name: `injected ${type}`, events, windows: res.windows });
    types.push(evaluateType(type, events, res.windows, evaluatedFromMs));
  }
  const windowsPerSymbol: Record<string, number> = {};
  const trades: Record<string, number> = {};
  for (const s of symbols) {
    windowsPerSymbol[s] = clean.windows.filter((w) => w.symbol === s && w.interval === '10s').length;
    trades[s] = tape.get(s)!.length;
  }
  return {
    report: {
      tape: { files: o.files ?? ['(bundled) data/recordings/{btc,eth}usdt_2024080{8,9}.gz'], symbols, passes, passMinutes: spanMs / 60_000, windowsPerSymbol, trades },
      configVersion: clean.configVersion,
      modelVersion: scorer.modelVersion,
      warmUpWindows,
      evaluatedFromMs,
      magnitude,
      spacing,
      clean: evaluateClean(clean.windows, evaluatedFromMs, '10s', passes > 1 ? spanMs : undefined),
      types,
      notCovered,
      cost: { microsPerWindow: clean.microsPerWindow, stateBytes: clean.stateBytes, windowsScored: clean.windows.length },
      calibration: calibrationPoints(clean.windows, evaluatedFromMs),
      cleanTape: cleanReport(tape, clean.windows, intervals),
    },
    runs,
  };
}

const f2 = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : '  - ');

export function formatTable(r: BacktestReport): string {
  const lines: string[] = [];
  lines.push(`tape: ${r.tape.symbols.join(', ')}; ${r.tape.passes} pass(es) of ${r.tape.passMinutes.toFixed(0)} min; 10 s windows per symbol: ${Object.entries(r.tape.windowsPerSymbol).map(([s, n]) => `${s} ${n}`).join(', ')}`);
  lines.push(`config ${r.configVersion}, models ${r.modelVersion}; warm-up ${r.warmUpWindows} windows (no events, no counting before ${new Date(r.evaluatedFromMs).toISOString()}); magnitude x${r.magnitude}; an event every ${r.spacing} windows`);
  lines.push('');
  lines.push('type                     events detected typed alerts(type)  precision recall   F1  delay mean/max (windows)');
  for (const t of r.types) {
    lines.push(
      `${t.type.padEnd(24)} ${String(t.events).padStart(6)} ${String(t.detected).padStart(8)} ${String(t.typed).padStart(5)} ${String(t.alertsOfType).padStart(12)}  ${f2(t.precision).padStart(9)} ${f2(t.recall).padStart(6)} ${f2(t.f1).padStart(5)}  ${f2(t.meanDelayWindows)}/${f2(t.maxDelayWindows)}` +
        (Object.keys(t.matchedTypes).length > 0 ? `   first alert typed: ${Object.entries(t.matchedTypes).map(([k, v]) => `${k} ${v}`).join(', ')}` : ''),
    );
  }
  for (const n of r.notCovered) lines.push(`${n.type.padEnd(24)} not covered: ${n.why}`);
  lines.push('');
  lines.push(`clean tape: ${r.clean.alerts} alerts in ${r.clean.symbolHours.toFixed(2)} symbol-hours = ${r.clean.falseAlertsPerSymbolHour.toFixed(2)} false alerts per symbol-hour${r.clean.alerts > 0 ? ` (${Object.entries(r.clean.byType).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}`);
  lines.push(`  note: the clean history is the same ${r.tape.passMinutes.toFixed(0)}-minute tape repeated ${r.tape.passes}x, so a natural event of the tape counts once per pass`);
  const d = r.clean.distinct;
  if (d !== undefined) {
    lines.push(`  distinct: ${d.alerts} alert position(s) in one pass of ${d.symbolHours.toFixed(2)} symbol-hours of real data = ${d.perSymbolHour.toFixed(2)} per symbol-hour (95 % upper bound ${d.upper95PerSymbolHour.toFixed(1)}: too little distinct data to prove <= 1)`);
  }
  lines.push(`sidecar cost: ${r.cost.microsPerWindow.toFixed(1)} µs per window in process (Scorer.score: features, detectors, state codec, no Arrow decode; ${r.cost.windowsScored} windows); state ${Object.entries(r.cost.stateBytes).map(([k, v]) => `${k} ${v} B`).join(', ')}`);
  lines.push(`severity calibration on the clean tape (ratio, exceedance p): ${r.calibration.map((c) => `(${c.ratio}, ${c.p})`).join(' ')}`);
  lines.push('');
  lines.push('clean tape, every alert (whole tape, warm-up included):');
  lines.push(formatClean(r.cleanTape));
  return lines.join('\n');
}
