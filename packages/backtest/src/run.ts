/**
 * Replays windows through the sidecar's own Scorer, in process, one bundle per window end, with
 * each key's state chained from bundle to bundle exactly as Flink keyed state does, then the
 * cross-symbol typing the Flink job applies after scoring (applyMarketContext). The result
 * keeps what the evaluation and the picture need from every Alert.
 */
import { applyMarketContext, Scorer, type ScoringConfig } from '@crypto-anomaly/scoring';
import type { Alert } from '@crypto-anomaly/contract';
import { toScoringWindow, type TapeWindow } from './windows.js';

export interface ScoredWindow {
  readonly symbol: string;
  readonly interval: string;
  readonly startMs: number;
  readonly close: number;
  readonly returnPct: number;
  readonly tradeCount: number;
  readonly isAnomaly: boolean;
  readonly severity: number;
  readonly votes: number;
  readonly voters: number;
  readonly type: string;
  readonly confidence: string;
  /** Largest score / threshold ratio among the warm detectors taking part in the decision (0 while cold): the plotted score. */
  readonly score: number;
  /** The consensus statistic: the minVotes-th largest ratio (what severity is calibrated on). */
  readonly statistic: number;
  readonly detectorScores: Readonly<Record<string, number>>;
  readonly reasons: readonly string[];
  readonly features: Readonly<Record<string, number>>;
}

export interface RunResult {
  readonly windows: ScoredWindow[];
  /** Sidecar time per scored window, µs: Scorer.score wall time / windows (features, detectors, state codec; no Arrow decode: the backtest builds columns directly). */
  readonly microsPerWindow: number;
  /** Final state size per key, bytes. */
  readonly stateBytes: Record<string, number>;
  readonly configVersion: string;
}

/** `scorer`: an already built Scorer for `scoring` (with its models); built from `scoring` when absent. */
export function runScorer(bundles: readonly TapeWindow[][], scoring: ScoringConfig, scorer: Scorer = new Scorer(scoring)): RunResult {
  const states = new Map<string, Uint8Array>();
  const out: ScoredWindow[] = [];
  let ns = 0n;
  let count = 0;
  for (const bundle of bundles) {
    const windows = bundle.map(toScoringWindow);
    const keys = [...new Set(windows.map((w) => w.key))];
    const req = { bundleId: `bt-${bundle[0]!.endMs}`, windows, states: keys.map((key) => ({ key, state: states.get(key) ?? new Uint8Array(0) })) };
    const t0 = process.hrtime.bigint();
    const { response, diagnostics } = scorer.score(req);
    ns += process.hrtime.bigint() - t0;
    count += windows.length;
    for (const s of response.states) states.set(s.key, s.state);
    // A bundle is every symbol's windows of one window end: the moment the Flink job's
    // market-context stage sees (decision 068).
    applyMarketContext(response.results);
    response.results.forEach((a, i) => out.push(summariseAlert(a, diagnostics.statistic[i]!, diagnostics.topRatio[i]!)));
  }
  return {
    windows: out,
    microsPerWindow: count === 0 ? 0 : Number(ns) / 1000 / count,
    stateBytes: Object.fromEntries([...states].map(([k, s]) => [k, s.length])),
    configVersion: scorer.configVersion,
  };
}

/**
 * What the evaluation and the picture keep of an Alert. The voting rules (which detector is
 * generic, solo, cold-start or score-only) live in the Scorer alone: the consensus statistic and
 * the top ratio come from its diagnostics for the same window.
 */
export function summariseAlert(a: Alert, statistic: number, score: number): ScoredWindow {
  const detectorScores: Record<string, number> = {};
  for (const d of a.detectorScores) detectorScores[d.detector] = d.score;
  return {
    symbol: a.symbol,
    interval: a.interval,
    startMs: a.windowStartMs,
    close: a.close,
    returnPct: a.returnPct,
    tradeCount: a.tradeCount,
    isAnomaly: a.isAnomaly,
    severity: a.severity,
    votes: a.votes,
    voters: a.voters,
    type: a.type,
    confidence: a.confidence,
    score,
    statistic,
    detectorScores,
    reasons: a.reasons.map((r) => r.text),
    features: a.features,
  };
}
