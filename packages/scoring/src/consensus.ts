/**
 * The consensus layer: per-detector scores -> votes, a decision, a confidence, a severity, and
 * reasons a human can read. Pure functions of their inputs; no detector access here.
 *
 * - vote: a WARM detector whose score >= its threshold (cold detectors score 0 and never vote).
 * - is_anomaly: votes >= minVotes.
 * - confidence: NONE (no vote), LOW (votes, but fewer than minVotes), MEDIUM (anomaly),
 *   HIGH (anomaly and every warm detector voted).
 * - severity 0-100: let s be the minVotes-th largest score/threshold ratio among warm detectors
 *   (the ratio the decision needed). Its exceedance probability p(s) on clean real windows comes
 *   from the calibration points in config (log-linear between points, last slope beyond them);
 *   severity = round(100 x min(1, log10(1/p) / decades)). So 40 means "one window in a
 *   hundred is at least this unusual", 100 "one in 10^decades or rarer", the same for every
 *   symbol because each detector is scaled by its own threshold (docs/decisions/061).
 * - incidents (stepIncident): a candidate (votes >= minVotes) opens an incident unless one is
 *   open; only the opening window has is_anomaly. The incident closes after coolDownWindows
 *   quiet windows. Volatility-only candidates must persist persistWindows windows first.
 */
import type { AnomalyType, Confidence, Reason } from '@crypto-anomaly/contract';
import type { IncidentState } from './state.js';

export interface Decision {
  readonly votes: number;
  readonly voters: number;
  readonly isAnomaly: boolean;
  readonly confidence: Confidence;
  /** The consensus statistic s: the minVotes-th largest score/threshold ratio (0 if too few warm). */
  readonly statistic: number;
  /** The largest score/threshold ratio among the warm detectors that take part (0 while none is warm). */
  readonly top: number;
  /** The two halves of the statistic: the generic minVotes-th ratio, and the largest solo (specialist) ratio. */
  readonly generic: number;
  readonly solo: number;
  /** Which half made the candidate: minVotes generic votes, and/or a solo vote. */
  readonly genericCandidate: boolean;
  readonly soloCandidate: boolean;
}

/**
 * `ratios` is scratch space of scores.length (avoids an allocation per window). Detectors at
 * index >= `soloFrom` are typed specialists (the activity detector, decision 063): a warm
 * specialist at or above its threshold makes a candidate on its own, and its ratio competes
 * with the generic minVotes-th ratio for the consensus statistic. The generic detectors
 * [0, soloFrom) need minVotes among themselves, as before.
 */
export function decide(scores: Float64Array, warm: Uint8Array, thresholds: Float64Array, minVotes: number, ratios: Float64Array, soloFrom = scores.length): Decision {
  let votes = 0;
  let voters = 0;
  let genericVotes = 0;
  let k = 0;
  let solo = 0;
  let soloVote = false;
  for (let i = 0; i < scores.length; i++) {
    if (warm[i] !== 1) continue;
    voters++;
    const r = scores[i]! / thresholds[i]!;
    if (scores[i]! >= thresholds[i]!) {
      votes++;
      if (i < soloFrom) genericVotes++;
      else soloVote = true;
    }
    if (i < soloFrom) ratios[k++] = r;
    else if (r > solo) solo = r;
  }
  // Descending insertion sort of a handful of ratios (TypedArray#sort + reverse allocated per window).
  for (let i = 1; i < k; i++) {
    const v = ratios[i]!;
    let j = i - 1;
    while (j >= 0 && ratios[j]! < v) {
      ratios[j + 1] = ratios[j]!;
      j--;
    }
    ratios[j + 1] = v;
  }
  const generic = minVotes <= k ? ratios[minVotes - 1]! : 0;
  const s = Math.max(generic, solo);
  const isAnomaly = genericVotes >= minVotes || soloVote;
  const confidence: Confidence = votes === 0 ? 'NONE' : !isAnomaly ? 'LOW' : votes === voters ? 'HIGH' : 'MEDIUM';
  return { votes, voters, isAnomaly, confidence, statistic: s, top: Math.max(k > 0 ? ratios[0]! : 0, solo), generic, solo, genericCandidate: genericVotes >= minVotes, soloCandidate: soloVote };
}

export interface SeverityCalibration {
  readonly decades: number;
  readonly points: readonly { readonly ratio: number; readonly p: number }[];
}

/** Severity 0-100 of the consensus statistic s (see the file comment). */
export function severityOf(s: number, cal: SeverityCalibration): number {
  if (!(s > 0)) return 0;
  if (!Number.isFinite(s)) return 100;
  const pts = cal.points;
  let logP: number;
  if (s <= pts[0]!.ratio) {
    // Below the first point: p goes from 1 at s = 0 to the first point's p.
    logP = (Math.log10(pts[0]!.p) * s) / pts[0]!.ratio;
  } else {
    let i = 1;
    while (i < pts.length - 1 && s > pts[i]!.ratio) i++;
    const a = pts[i - 1]!;
    const b = pts[i]!;
    logP = Math.log10(a.p) + ((s - a.ratio) / (b.ratio - a.ratio)) * (Math.log10(b.p) - Math.log10(a.p));
  }
  return Math.max(0, Math.min(100, Math.round((100 * -logP) / cal.decades)));
}

export const ANOMALY_TYPE_CODES: Readonly<Record<AnomalyType, number>> = Object.freeze({
  UNSPECIFIED: 0,
  PRICE_SPIKE: 1,
  FLASH_CRASH: 2,
  VOLUME_BURST: 3,
  VOLATILITY_REGIME_SHIFT: 4,
  ONE_SIDED_FLOW: 5,
  PUMP_PATTERN: 6,
  SPREAD_BLOWOUT: 7,
  MARKET_WIDE_MOVE: 8,
  OTHER: 15,
});

/** Types that are one incident when they follow each other (a spike and its reversal, ...). */
function familyOf(code: number): number {
  switch (code) {
    case 1: // PRICE_SPIKE
    case 2: // FLASH_CRASH
    case 6: // PUMP_PATTERN
    case 8: // MARKET_WIDE_MOVE
      return 1;
    case 3: // VOLUME_BURST
    case 5: // ONE_SIDED_FLOW
      return 2;
    case 4: // VOLATILITY_REGIME_SHIFT
      return 3;
    case 7: // SPREAD_BLOWOUT
      return 4;
    default:
      return 0;
  }
}

export interface IncidentConfig {
  readonly coolDownWindows: number;
  readonly persistWindows: number;
}

export type IncidentStep = 'quiet' | 'pending' | 'open' | 'continue';

/**
 * Advances one key's incident by one window (mutates `inc`, which lives in the key's state blob).
 * 'open' is the one window of an incident that alerts.
 */
export function stepIncident(inc: IncidentState, candidate: boolean, needsPersistence: boolean, type: AnomalyType, windowStartMs: number, cfg: IncidentConfig): IncidentStep {
  if (!candidate) {
    inc.pending = 0;
    if (inc.open) {
      inc.quiet++;
      if (inc.quiet >= cfg.coolDownWindows) inc.open = false;
    }
    return 'quiet';
  }
  // A pump that grows out of an open spike incident is a new alert: the rush of buys is what an
  // analyst must see, and a pump's first window is often a plain spike (decision 070).
  const upgrade = type === 'PUMP_PATTERN' && inc.type !== ANOMALY_TYPE_CODES.PUMP_PATTERN;
  if (inc.open && !upgrade && familyOf(ANOMALY_TYPE_CODES[type]) === familyOf(inc.type)) {
    inc.quiet = 0;
    inc.windows++;
    return 'continue';
  }
  // A candidate of another family (a price move during a volume incident, ...) is a new incident.
  if (needsPersistence && inc.pending + 1 < cfg.persistWindows) {
    inc.pending++;
    return 'pending';
  }
  inc.open = true;
  inc.type = ANOMALY_TYPE_CODES[type];
  inc.quiet = 0;
  inc.windows = inc.pending + 1;
  inc.pending = 0;
  inc.startMs = windowStartMs;
  return 'open';
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
    case 'max_buy_burst':
      return `${actual.toFixed(0)} taker buys in one millisecond vs typical ${typical.toFixed(0)} ${zs}`;
    case 'taker_flow':
      return `net taker ${actual >= 0 ? 'buying' : 'selling'} of ${Math.abs(actual).toFixed(2)} typical window volumes (imbalance-weighted) two windows in a row vs alert level ${typical} ${zs}`;
    case 'spread_bps':
      return spreadText(actual, typical, z);
    case 'max_trade_share':
      return `largest trade ${(actual * 100).toFixed(1)}% of volume vs typical ${(typical * 100).toFixed(1)}% ${zs}`;
    default:
      return `${feature} ${num(actual)} vs typical ${num(typical)} ${zs}`;
  }
}

/** Significant digits for spreads that span 0.001 bps (BTC's one tick) to tens of bps. */
const bps = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(0) : String(Number(v.toPrecision(3))));

/**
 * "spread 12.4 bps vs typical 0.3 bps (x41, time-weighted; widest 50.2 bps, top of book down to
 * 1,234 quote) (z=+37.1)". `actual`/`typical`: the time-weighted geometric mean spread, bps.
 */
export function spreadText(actual: number, typical: number, z: number, widest?: number, minDepth?: number): string {
  const extra = [
    `x${Number((actual / typical).toPrecision(3))}, time-weighted`,
    ...(widest !== undefined ? [`widest ${bps(widest)} bps`] : []),
    ...(minDepth !== undefined ? [`top of book down to ${minDepth >= 1e4 ? minDepth.toFixed(0) : Number(minDepth.toPrecision(3))} quote`] : []),
  ];
  return `spread ${bps(actual)} bps vs typical ${bps(typical)} bps (${extra.join('; ')}) (z=${signed(z, 1)})`;
}

/**
 * The typology, from ALL reasons (not only the ones shown). A price move is the headline even
 * when volatility moved more in sigmas (a spike spread over many trades raises both), so the
 * checks go in order: return, spread blowout (book tickers), volatility, persistent one-sided flow (taker_flow), volume (one-sided
 * when |imbalance| >= oneSidedImbalance), imbalance, momentum.
 */
export function anomalyType(reasons: readonly Reason[], imbalance = NaN, oneSidedImbalance = 1, buyBurst = NaN, pumpMinBurst = Infinity, pumpMinRush = 0, rushLevel = Infinity): AnomalyType {
  const z = (feature: string): number | undefined => reasons.find((r) => r.feature === feature)?.z;
  const ret = z('log_return');
  const burst = z('max_buy_burst');
  const up = (ret ?? z('momentum') ?? 0) > 0;
  // A pump: prices up together with a rush of same-millisecond taker buys (flagged as unusual,
  // or larger than pumpMinBurst trades in one millisecond). Flagged needs a rush of at least
  // pumpMinRush buys: on a thin market whose windows hold no same-millisecond buys at all, one
  // taker buy is "z = +12.8" and typed every price spike a pump (decision 070).
  // Or, with a price move among the reasons, a rush: at least rushLevel buys in one millisecond
  // (the symbol's own typical burst x pumpRushRatio; the caller's baseline).
  const rush = ret !== undefined && buyBurst >= rushLevel;
  if (up && ((burst !== undefined && burst > 0 && !(buyBurst < pumpMinRush)) || buyBurst >= pumpMinBurst || rush)) return 'PUMP_PATTERN';
  if (ret !== undefined) return ret >= 0 ? 'PRICE_SPIKE' : 'FLASH_CRASH';
  // A blown-out spread (book tickers) is the headline over the volatility and volume it brings.
  if (z('spread_bps') !== undefined) return 'SPREAD_BLOWOUT';
  if (z('realized_vol') !== undefined) return 'VOLATILITY_REGIME_SHIFT';
  // Persistent net one-sided taking (the activity detector's flow component) is the headline over
  // the volume it comes with.
  if (z('taker_flow') !== undefined) return 'ONE_SIDED_FLOW';
  for (const f of ['volume', 'trade_count', 'trade_rate', 'max_trade_share', 'max_buy_burst']) {
    const v = z(f);
    if (v !== undefined && v > 0) return Math.abs(imbalance) >= oneSidedImbalance ? 'ONE_SIDED_FLOW' : 'VOLUME_BURST';
  }
  if (z('volume_imbalance') !== undefined) return 'ONE_SIDED_FLOW';
  const mom = z('momentum');
  if (mom !== undefined) return mom >= 0 ? 'PRICE_SPIKE' : 'FLASH_CRASH';
  return 'OTHER';
}
