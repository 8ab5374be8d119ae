/**
 * A deterministic, labelled synthetic feature series for one symbol's 10 s windows: a normal
 * regime with slowly drifting volatility and activity, plus injected anomalies of four kinds.
 * Used by the contract suite ("beats chance"), the benchmark and model-training examples; the
 * same seed always gives the same series. Not market data; it only has to be plausible enough
 * that each detector's idea of "unusual" is exercised.
 *
 * Anomaly kinds (each affects exactly one window, which is labelled 1):
 *   pump        return ±6..10 sigma, vol ×4, volume ×8, trades ×4, one-sided taker flow
 *   whale       one trade is 60-90 % of the volume, volume ×6, return ~3 sigma
 *   burst       volume ×10, trades ×6, vol ×2.5, no price move
 *   flash-crash return -12 sigma, vol ×6, sellers only
 */
import { mulberry32 } from './prng.js';

export interface FixtureOptions {
  readonly seed?: number;
  readonly length?: number;
  /** Probability that a window after `cleanPrefix` is an anomaly. */
  readonly anomalyRate?: number;
  /** Leading windows that are always normal (for warm-up). */
  readonly cleanPrefix?: number;
}

export type AnomalyKind = 'pump' | 'whale' | 'burst' | 'flash-crash';

export interface Fixture {
  readonly records: Readonly<Record<string, number>>[];
  readonly labels: Uint8Array;
  readonly kinds: (AnomalyKind | null)[];
}

const KINDS: readonly AnomalyKind[] = ['pump', 'whale', 'burst', 'flash-crash'];
const WINDOW_SECONDS = 10;
const BASE_SIGMA = 5e-4;
const BASE_TRADES = 80;
const MOMENTUM_WINDOWS = 6;

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

export function syntheticWindows(options: FixtureOptions = {}): Fixture {
  const rng = mulberry32(options.seed ?? 7);
  const length = options.length ?? 1500;
  const rate = options.anomalyRate ?? 0.03;
  const cleanPrefix = options.cleanPrefix ?? 300;
  const records: Record<string, number>[] = [];
  const labels = new Uint8Array(length);
  const kinds: (AnomalyKind | null)[] = [];
  const pastReturns: number[] = [];
  let logSigma = Math.log(BASE_SIGMA);
  for (let t = 0; t < length; t++) {
    // Volatility and activity drift together (mean-reverting in log space).
    logSigma = 0.98 * logSigma + 0.02 * Math.log(BASE_SIGMA) + 0.05 * rng.normal();
    const sigma = Math.exp(logSigma);
    const activity = Math.sqrt(sigma / BASE_SIGMA);
    let trades = Math.max(1, Math.round(BASE_TRADES * activity * Math.exp(0.25 * rng.normal())));
    let ret = sigma * rng.normal();
    let vol = sigma * Math.exp(0.2 * rng.normal());
    let volume = trades * 0.05 * Math.exp(0.3 * rng.normal());
    let imbalance = clamp(0.1 * (ret / sigma) + 0.2 * rng.normal(), -1, 1);
    let maxShare = Math.min(1, (3 + 2 * Math.abs(rng.normal())) / trades);
    const kind = t >= cleanPrefix && rng.next() < rate ? KINDS[rng.int(KINDS.length)]! : null;
    const normalRet = ret;
    switch (kind) {
      case 'pump': {
        const sign = rng.next() < 0.5 ? -1 : 1;
        ret = sign * sigma * (6 + 4 * rng.next());
        vol *= 4; volume *= 8; trades *= 4; imbalance = sign * (0.7 + 0.2 * rng.next());
        break;
      }
      case 'whale':
        maxShare = 0.6 + 0.3 * rng.next(); volume *= 6; ret = sigma * 3 * (rng.next() < 0.5 ? -1 : 1);
        break;
      case 'burst':
        volume *= 10; trades *= 6; vol *= 2.5;
        break;
      case 'flash-crash':
        ret = -12 * sigma; vol *= 6; imbalance = -0.95;
        break;
      case null:
        break;
    }
    const momentum = pastReturns.reduce((s, r) => s + r, ret);
    pastReturns.push(normalRet);
    if (pastReturns.length >= MOMENTUM_WINDOWS) pastReturns.shift();
    records.push({
      log_return: ret,
      realized_vol: vol,
      vwap_dev: 0.4 * ret + 0.1 * sigma * rng.normal(),
      volume,
      volume_imbalance: imbalance,
      momentum,
      trade_count: trades,
      trade_rate: trades / WINDOW_SECONDS,
      max_trade_share: maxShare,
    });
    labels[t] = kind === null ? 0 : 1;
    kinds.push(kind);
  }
  return { records, labels, kinds };
}

/** ROC AUC of scores against 0/1 labels (Mann-Whitney U with average ranks for ties). */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let rankSumPos = 0;
  let pos = 0;
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]!] === scores[idx[i]!]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (labels[idx[k]!]) { rankSumPos += avgRank; pos++; }
    i = j + 1;
  }
  const neg = scores.length - pos;
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}
