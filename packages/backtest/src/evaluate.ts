/**
 * Scoring the scorer. An ALERT is a window with is_anomaly (what reaches the `alerts` topic: one
 * per incident once consensus merges windows). An alert MATCHES a labelled event of the same
 * symbol when its window starts in [event start, event start + (event windows) x 10 s], i.e.
 * during the event or at most one window after it; delay = (alert window - event's first
 * window) in windows. Per type T, pooled over the run that injects T:
 *   TP_T        events of T matched by an alert whose type is T (the first matching alert)
 *   recall_T    TP_T / events of T
 *   precision_T TP_T / alerts of type T in that run (alerts during no event are false alerts of
 *               their own type; a matched alert of the wrong type is a miss for T)
 *   detected    events matched by an alert of ANY type (detection without typology)
 * False alerts per symbol-hour: alerts on the clean tape after the warm-up, divided by the
 * symbol-hours scored after the warm-up.
 */
import type { LabelledEvent } from './inject.js';
import type { ScoredWindow } from './run.js';
import { intervalMs } from './windows.js';

const W = 10_000;

export interface TypeMetrics {
  readonly type: string;
  readonly events: number;
  readonly detected: number;
  readonly typed: number;
  readonly alerts: number;
  readonly alertsOfType: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  readonly detectionRecall: number;
  readonly meanDelayWindows: number;
  readonly maxDelayWindows: number;
  /** What the matched alerts were typed as (diagnosis of typology errors). */
  readonly matchedTypes: Record<string, number>;
}

export function evaluateType(type: string, events: readonly LabelledEvent[], windows: readonly ScoredWindow[], afterMs: number, interval = '10s'): TypeMetrics {
  const alerts = windows.filter((w) => w.interval === interval && w.isAnomaly && w.startMs >= afterMs);
  let detected = 0;
  let typed = 0;
  const delays: number[] = [];
  const matchedTypes: Record<string, number> = {};
  for (const e of events) {
    const to = e.startMs + e.windows * W;
    const hits = alerts.filter((a) => a.symbol === e.symbol && a.startMs >= e.startMs && a.startMs <= to).sort((a, b) => a.startMs - b.startMs);
    if (hits.length === 0) continue;
    detected++;
    const first = hits[0]!;
    matchedTypes[first.type] = (matchedTypes[first.type] ?? 0) + 1;
    const right = hits.find((h) => h.type === type);
    if (right !== undefined) {
      typed++;
      delays.push((right.startMs - e.startMs) / W);
    }
  }
  const alertsOfType = alerts.filter((a) => a.type === type).length;
  const precision = alertsOfType === 0 ? 0 : typed / alertsOfType;
  const recall = events.length === 0 ? 0 : typed / events.length;
  return {
    type,
    events: events.length,
    detected,
    typed,
    alerts: alerts.length,
    alertsOfType,
    precision,
    recall,
    f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
    detectionRecall: events.length === 0 ? 0 : detected / events.length,
    meanDelayWindows: delays.length === 0 ? NaN : delays.reduce((a, b) => a + b, 0) / delays.length,
    maxDelayWindows: delays.length === 0 ? NaN : Math.max(...delays),
    matchedTypes,
  };
}

export interface CleanMetrics {
  readonly alerts: number;
  readonly symbolHours: number;
  readonly falseAlertsPerSymbolHour: number;
  readonly byType: Record<string, number>;
  /**
   * The honest denominator when the tape is looped: alerts counted once per distinct position in
   * the pass (symbol + offset within the pass), over the symbol-hours of ONE pass (every distinct
   * window, whether or not its first occurrence fell in the warm-up), with a one-sided 95 % Poisson
   * upper bound on the rate. Absent without a pass span.
   */
  readonly distinct?: { readonly alerts: number; readonly symbolHours: number; readonly perSymbolHour: number; readonly upper95PerSymbolHour: number };
}

/** One-sided 95 % upper confidence limits of a Poisson mean for k = 0..10 observed events. */
const POISSON_UPPER_95 = [3.0, 4.74, 6.3, 7.75, 9.15, 10.51, 11.84, 13.15, 14.43, 15.71, 16.96];

export function poissonUpper95(k: number): number {
  return k < POISSON_UPPER_95.length ? POISSON_UPPER_95[k]! : k + 1.645 * Math.sqrt(k) + 1;
}

export function evaluateClean(windows: readonly ScoredWindow[], afterMs: number, interval = '10s', passSpanMs?: number): CleanMetrics {
  const scored = windows.filter((w) => w.interval === interval && w.startMs >= afterMs);
  const alerts = scored.filter((w) => w.isAnomaly);
  const byType: Record<string, number> = {};
  for (const a of alerts) byType[a.type] = (byType[a.type] ?? 0) + 1;
  // Scored windows x window length: the hours actually observed (empty windows are not scored).
  const symbolHours = (scored.length * intervalMs(interval)) / 3_600_000;
  const out = { alerts: alerts.length, symbolHours, falseAlertsPerSymbolHour: symbolHours === 0 ? 0 : alerts.length / symbolHours, byType };
  if (passSpanMs === undefined || passSpanMs <= 0 || windows.length === 0) return out;
  const first = Math.min(...windows.map((w) => w.startMs));
  const pos = (w: ScoredWindow): string => `${w.symbol}@${(w.startMs - first) % passSpanMs}`;
  const distinctWindows = new Set(windows.filter((w) => w.interval === interval).map(pos)).size;
  const distinctAlerts = new Set(alerts.map(pos)).size;
  const h = (distinctWindows * intervalMs(interval)) / 3_600_000;
  return { ...out, distinct: { alerts: distinctAlerts, symbolHours: h, perSymbolHour: h === 0 ? 0 : distinctAlerts / h, upper95PerSymbolHour: h === 0 ? Infinity : poissonUpper95(distinctAlerts) / h } };
}
