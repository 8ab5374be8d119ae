/**
 * The consensus layer: per-detector scores -> votes, a decision, a confidence, a severity, and
 * reasons a human can read. Pure functions of their inputs; no detector access here.
 *
 * - vote: a WARM detector whose score >= its threshold (cold detectors score 0 and never vote).
 * - is_anomaly: votes >= minVotes.
 * - confidence: NONE (no vote), LOW (votes, but fewer than minVotes), MEDIUM (anomaly),
 *   HIGH (anomaly and every warm detector voted).
 * - severity 0-100: let s be the minVotes-th largest score/threshold ratio among warm detectors
 *   (the ratio the decision needed); severity = round(100 s^2 / (1 + s^2)). So severity >= 50
 *   exactly when is_anomaly, 80 at twice the thresholds, 90 at three times: monotone, bounded
 *   and comparable across symbols because each detector is scaled by its own threshold.
 */
import type { AnomalyType, Confidence, Reason } from '@crypto-anomaly/contract';

export interface Decision {
  readonly votes: number;
  readonly voters: number;
  readonly isAnomaly: boolean;
  readonly confidence: Confidence;
  readonly severity: number;
}

/** `ratios` is scratch space of scores.length (avoids an allocation per window). */
export function decide(scores: Float64Array, warm: Uint8Array, thresholds: Float64Array, minVotes: number, ratios: Float64Array): Decision {
  let votes = 0;
  let voters = 0;
  let k = 0;
  for (let i = 0; i < scores.length; i++) {
    if (warm[i] !== 1) continue;
    voters++;
    if (scores[i]! >= thresholds[i]!) votes++;
    ratios[k++] = scores[i]! / thresholds[i]!;
  }
  const sorted = ratios.subarray(0, k).sort().reverse();
  const s = minVotes <= k ? sorted[minVotes - 1]! : 0;
  const isAnomaly = votes >= minVotes;
  const confidence: Confidence = votes === 0 ? 'NONE' : !isAnomaly ? 'LOW' : votes === voters ? 'HIGH' : 'MEDIUM';
  const severity = Number.isFinite(s) ? Math.round((100 * s * s) / (1 + s * s)) : 100;
  return { votes, voters, isAnomaly, confidence, severity };
}

const signed = (v: number, digits: number): string => `${v >= 0 ? '+' : ''}${v.toFixed(digits)}`;
const pct = (v: number, digits = 2): string => `${signed(v * 100, digits)}%`;
/** Four significant digits without exponent noise for everyday magnitudes. */
const num = (v: number): string => (Math.abs(v) >= 1e4 ? v.toFixed(0) : String(Number(v.toPrecision(4))));

/**
 * "return +2.31% vs typical +0.01% (z=+9.8)". `actual` and `typical` are in the feature's own
 * units (see features.ts); z is signed, in the flagging detector's sigmas.
 */
export function reasonText(feature: string, actual: number, typical: number, z: number): string {
  const zs = `(z=${signed(z, 1)})`;
  switch (feature) {
    case 'log_return':
      return `return ${pct(Math.expm1(actual))} vs typical ${pct(Math.expm1(typical))} ${zs}`;
    case 'momentum':
      return `momentum ${pct(Math.expm1(actual))} vs typical ${pct(Math.expm1(typical))} ${zs}`;
    case 'realized_vol':
      return `realized volatility ${(actual * 100).toFixed(3)}% vs typical ${(typical * 100).toFixed(3)}% ${zs}`;
    case 'vwap_dev':
      return `close ${pct(actual, 3)} from VWAP vs typical ${pct(typical, 3)} ${zs}`;
    case 'volume':
      return `volume ${num(actual)} vs typical ${num(typical)} (base units) ${zs}`;
    case 'volume_imbalance':
      return `taker imbalance ${pct(actual, 0)} vs typical ${pct(typical, 0)} ${zs}`;
    case 'trade_count':
      return `${actual.toFixed(0)} trades vs typical ${typical.toFixed(0)} ${zs}`;
    case 'trade_rate':
      return `${actual.toFixed(1)} trades/s vs typical ${typical.toFixed(1)}/s ${zs}`;
    case 'max_trade_share':
      return `largest trade ${(actual * 100).toFixed(1)}% of volume vs typical ${(typical * 100).toFixed(1)}% ${zs}`;
    default:
      return `${feature} ${num(actual)} vs typical ${num(typical)} ${zs}`;
  }
}

/**
 * The typology, from ALL reasons (not only the ones shown). A price move is the headline even
 * when volatility moved more in sigmas (a spike spread over many trades raises both), so the
 * checks go in order: return, volatility, volume, one-sided flow, momentum.
 */
export function anomalyType(reasons: readonly Reason[]): AnomalyType {
  const z = (feature: string): number | undefined => reasons.find((r) => r.feature === feature)?.z;
  const ret = z('log_return');
  if (ret !== undefined) return ret >= 0 ? 'PRICE_SPIKE' : 'FLASH_CRASH';
  if (z('realized_vol') !== undefined) return 'VOLATILITY_REGIME_SHIFT';
  for (const f of ['volume', 'trade_count', 'trade_rate', 'max_trade_share']) {
    const v = z(f);
    if (v !== undefined && v > 0) return 'VOLUME_BURST';
  }
  if (z('volume_imbalance') !== undefined) return 'ONE_SIDED_FLOW';
  const mom = z('momentum');
  if (mom !== undefined) return mom >= 0 ? 'PRICE_SPIKE' : 'FLASH_CRASH';
  return 'OTHER';
}
