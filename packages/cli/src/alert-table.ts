import type { Alert } from '@crypto-anomaly/contract';

/**
 * The alert table's layout: one fixed-width line per scored window, readable in a terminal, a
 * log file and CI alike (plain text, no cursor control). Times are UTC.
 */
export interface Column {
  readonly title: string;
  readonly width: number;
  readonly align: 'left' | 'right';
  readonly value: (a: Alert) => string;
}

/** "HH:MM:SS-HH:MM:SS" (UTC) of [start, end). */
export function formatWindow(startMs: number, endMs: number): string {
  const t = (ms: number): string => new Date(ms).toISOString().slice(11, 19);
  return `${t(startMs)}-${t(endMs)}`;
}

/** A price with as many decimals as its size warrants: 61234.56, 2654.31, 0.1234. */
export function formatPrice(p: number): string {
  if (!Number.isFinite(p) || p === 0) return String(p);
  const abs = Math.abs(p);
  return p.toFixed(abs >= 1_000 ? 2 : abs >= 1 ? 4 : 6);
}

/** Signed, two decimals: "+3.02", "-0.15", "0.00". */
export function formatReturn(pct: number): string {
  if (!Number.isFinite(pct)) return '-';
  const s = pct.toFixed(2);
  return pct > 0 && s !== '0.00' ? `+${s}` : s === '-0.00' ? '0.00' : s;
}

export const COLUMNS: readonly Column[] = Object.freeze([
  { title: 'Symbol', width: 10, align: 'left', value: (a) => a.symbol },
  { title: 'Interval', width: 8, align: 'left', value: (a) => a.interval },
  { title: 'Window (UTC)', width: 17, align: 'left', value: (a) => formatWindow(a.windowStartMs, a.windowEndMs) },
  { title: 'Close', width: 12, align: 'right', value: (a) => formatPrice(a.close) },
  { title: 'Return%', width: 8, align: 'right', value: (a) => formatReturn(a.returnPct) },
  { title: 'Votes', width: 5, align: 'right', value: (a) => `${a.votes}/${a.voters}` },
  { title: 'IS_ANOMALY', width: 10, align: 'left', value: (a) => (a.isAnomaly ? 'YES' : 'no') },
  { title: 'Confidence', width: 10, align: 'left', value: (a) => a.confidence },
  { title: 'Severity', width: 8, align: 'right', value: (a) => String(a.severity) },
  { title: 'Type', width: 23, align: 'left', value: (a) => a.type },
]);

const SEP = ' | ';

function cell(text: string, c: Column): string {
  const t = text.length > c.width ? `${text.slice(0, c.width - 1)}…` : text;
  return c.align === 'right' ? t.padStart(c.width) : t.padEnd(c.width);
}

/** The header line and the rule under it. */
export function formatHeader(): string {
  const head = [...COLUMNS.map((c) => cell(c.title, c)), 'Reasons'].join(SEP);
  return `${head}\n${'-'.repeat(head.length + 24)}`;
}

/**
 * One table row. Reasons (strongest first, as the sidecar orders them) are joined with "; " and
 * cut to `maxReasonChars` (default: no limit) with an ellipsis.
 */
export function formatAlertRow(a: Alert, maxReasonChars = Infinity): string {
  let reasons = a.reasons.map((r) => r.text || `${r.feature} z=${r.z.toFixed(1)}`).join('; ');
  if (reasons === '') reasons = '-';
  if (reasons.length > maxReasonChars) reasons = `${reasons.slice(0, Math.max(1, maxReasonChars - 1))}…`;
  return [...COLUMNS.map((c) => cell(c.value(a), c)), reasons].join(SEP);
}

/** How many characters the Reasons column gets on a terminal `columns` wide (at least 20). */
export function reasonWidth(columns: number | undefined): number {
  if (columns === undefined || columns <= 0) return Infinity;
  const fixed = COLUMNS.reduce((n, c) => n + c.width, 0) + SEP.length * COLUMNS.length;
  return Math.max(20, columns - fixed);
}

/** Running counts of what was scored, for the status line between alerts. */
export class ScoredSummary {
  windows = 0;
  anomalies = 0;
  warm = 0;
  readonly byInterval = new Map<string, number>();
  lastWindowEndMs = 0;

  add(a: Alert): void {
    this.windows++;
    if (a.isAnomaly) this.anomalies++;
    if (a.voters > 0) this.warm++;
    this.byInterval.set(a.interval, (this.byInterval.get(a.interval) ?? 0) + 1);
    if (a.windowEndMs > this.lastWindowEndMs) this.lastWindowEndMs = a.windowEndMs;
  }

  /** e.g. "· scored 152 windows (10s 130, 1m 22), 3 anomalous, up to 00:04:50 UTC; detectors warming up" */
  format(): string {
    if (this.windows === 0) return '· waiting for scored windows (results appear when a Flink checkpoint completes)';
    const parts = [...this.byInterval.entries()].sort().map(([k, n]) => `${k} ${n}`).join(', ');
    const upTo = new Date(this.lastWindowEndMs).toISOString().slice(11, 19);
    const warming = this.warm === 0 ? '; detectors warming up' : '';
    return `· scored ${this.windows} windows (${parts}), ${this.anomalies} anomalous, up to ${upTo} UTC${warming}`;
  }
}
