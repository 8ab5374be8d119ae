/**
 * Per-key tail calibration of an anomaly statistic to an alert budget (peaks over threshold, as
 * SPOT/DSPOT do: Siffer et al., "Anomaly Detection in Streams with Extreme Value Theory", KDD 2017).
 *
 * Fixed detector thresholds assume every symbol's statistic has the same tail. It does not: on a
 * thin market (a few trades a minute, bid-ask bounce, windows of one trade) the consensus
 * statistic of clean windows reaches levels that a liquid symbol never sees, and fixed thresholds
 * alert every few minutes (docs/decisions/070). This calibrator learns the tail of one key's own
 * statistic and answers "how high must the statistic be so that, on this key's normal data, it is
 * exceeded `alertsPerDay` times a day?".
 *
 * Method, on y = log1p(statistic) (the statistic is a ratio of scores with a Pareto-like tail;
 * in log space its tail is close to exponential, which a few peaks estimate well; the generalised
 * Pareto's shape is fixed at 0, because a shape estimated from a few dozen peaks, censored ones
 * among them, swings the threshold by orders of magnitude):
 * - initialisation: the first `initWindows` values learned; the initial threshold t is the
 *   `initTop`-th largest of them (kept in a small sorted buffer: no per-window storage), the
 *   values above it are the first peaks;
 * - afterwards every learned value decays the counts (half-life `halfLifeWindows`, so a key
 *   that changes character is re-learned) and a value above t adds its excess y - t to the peaks;
 * - the excesses are exponential with scale sigma, estimated by maximum likelihood with right
 *   censoring: sigma = (sum of excesses, censored ones at their cap) / (uncensored peaks);
 * - threshold for a per-window exceedance probability q: z_q = t + sigma ln(Nt / (q n)),
 *   with q = alertsPerDay / (scored windows per day),
 *   the rate measured from the key's own window timestamps (a thin symbol scores fewer windows a
 *   day, so each may be rarer);
 * - a value at or above z_q is an anomaly and is not learned (SPOT's rule), unless more than a
 *   fifth of recent windows reach z_q: then the key's 'anomalies' are its normal life, they are
 *   learned censored at z_q, and the level rises (SPOT alone locks in: on the thin tape, before
 *   its statistic was repaired, 1 % of windows stayed 'anomalous' forever, 20 alerts a day).
 *
 * The state is a plain record of numbers with a fixed-size codec (TAIL_STATE_BYTES), so it travels
 * in the key's state blob like every detector's.
 */

export interface TailConfig {
  /** Target alerts per key per day on normal data. */
  readonly alertsPerDay: number;
  /** Values learned before the calibrator answers (its warm-up). */
  readonly initWindows: number;
  /** The initial threshold is the initTop-th largest of the first initWindows values (<= TAIL_MAX_TOP). */
  readonly initTop: number;
  /** Half-life of the counts and peak sums, in learned values. */
  readonly halfLifeWindows: number;
  /**
   * History, in days of this key's own window rate, before the threshold answers: a level meant
   * to be crossed twice a day cannot be estimated from an hour of windows (extrapolated from 128
   * windows of a liquid pair it sat above every injected burst of the bundled tape).
   */
  readonly minHistoryDays: number;
}

export const TAIL_DEFAULTS: TailConfig = Object.freeze({ alertsPerDay: 2, initWindows: 128, initTop: 8, halfLifeWindows: 30_000, minHistoryDays: 0.25 });
export const TAIL_MAX_TOP = 8;
const DAY_MS = 86_400_000;
/** EW weight of one inter-window gap in the rate estimate, and the longest gap it counts (a halt is not a rhythm). */
const GAP_ALPHA = 1 / 256;
const MAX_GAP_MS = DAY_MS;
/**
 * EW share of windows at or above the level (half-life EXCEED_HALF_LIFE windows) beyond which
 * values above the level are learned (censored at it) instead of dropped: the lock-in breaker.
 */
const EXCEED_BREAK = 0.2;
const EXCEED_HALF_LIFE = 2000;
/** Quantile-tracking step of t, in units of the tail's scale. */
const T_STEP = 0.02;

export interface TailState {
  /** Values learned (not decayed; saturates), for the warm-up. */
  seen: number;
  /** Decayed count of values learned since initialisation. */
  n: number;
  /** Threshold of the peaks in y space (tracks the key's 1 - initTop/initWindows quantile); NaN until initialised. */
  t: number;
  /** Decayed number of peaks (values above t), of those censored at the level, and the sum of their excesses. */
  peaks: number;
  censored: number;
  sumEx: number;
  /** EW share of windows at or above the level (the lock-in breaker). */
  exceed: number;
  /** EW mean gap between learned values' times, ms (NaN until two values), and the last time. */
  gapMs: number;
  lastMs: number;
  /** During initialisation: the largest values so far, descending, NaN-padded. */
  top: number[];
}

export function coldTail(): TailState {
  return { seen: 0, n: 0, t: NaN, peaks: 0, censored: 0, sumEx: 0, exceed: 0, gapMs: NaN, lastMs: NaN, top: [] };
}

/** y space: log1p of a non-negative statistic (NaN and negatives count as 0). */
export function tailY(statistic: number): number {
  return statistic > 0 ? Math.log1p(statistic) : 0;
}

export function isTailWarm(s: TailState): boolean {
  return Number.isFinite(s.t) && s.n > 0;
}

/** Scored windows per day measured from the key's own timestamps (NaN before two windows). */
export function windowsPerDay(s: TailState): number {
  return s.gapMs > 0 ? DAY_MS / s.gapMs : NaN;
}

/** Scale of the exponential excesses over t: censored maximum likelihood (tiny when no excess). */
function scale(s: TailState): number {
  const observed = s.peaks - s.censored;
  return s.sumEx > 0 ? s.sumEx / Math.max(observed, 1) : 1e-9;
}

/** Per-window exceedance probability for the budget (NaN while the rate is unknown). */
export function budgetQ(s: TailState, cfg: TailConfig): number {
  const perDay = windowsPerDay(s);
  return perDay > 0 ? Math.min(1, cfg.alertsPerDay / perDay) : NaN;
}

/**
 * True once the calibration holds minHistoryDays of the key's own windows and may gate alerts.
 * Before that its (provisional) threshold is still used for learning (learnTail's `level`), so
 * anomalies planted or occurring in the first hours do not become the tail.
 */
export function isTailReady(s: TailState, cfg: TailConfig): boolean {
  return isTailWarm(s) && s.seen >= cfg.minHistoryDays * windowsPerDay(s);
}

/** The calibrated threshold in y space for exceedance probability q (NaN before initialisation; see isTailReady). */
export function tailThreshold(s: TailState, cfg: TailConfig, q: number): number {
  if (!isTailWarm(s) || !(q > 0)) return NaN;
  const ratio = (q * s.n) / Math.max(s.peaks, 1e-9);
  // q is not in the tail (a key with very few windows a day): the initial threshold is the floor.
  if (ratio >= 1) return s.t;
  return s.t + scale(s) * Math.log(1 / ratio);
}

/** P(Y >= y) per window under the fitted tail (1 below t; NaN while cold). */
export function tailProbability(s: TailState, y: number): number {
  if (!isTailWarm(s)) return NaN;
  const base = Math.min(1, s.peaks / s.n);
  if (!(y > s.t)) return base;
  return base * Math.exp(-(y - s.t) / scale(s));
}

/**
 * Learns one value at time `timeMs`; `level` is the calibrated threshold the value was judged by
 * (NaN while cold; see the file comment for what happens to values at or above it).
 */
export function learnTail(s: TailState, cfg: TailConfig, y: number, timeMs: number, level: number): void {
  if (Number.isFinite(s.lastMs) && timeMs > s.lastMs) {
    const gap = Math.min(timeMs - s.lastMs, MAX_GAP_MS);
    s.gapMs = Number.isFinite(s.gapMs) ? s.gapMs + GAP_ALPHA * (gap - s.gapMs) : gap;
  }
  if (!(timeMs <= s.lastMs)) s.lastMs = timeMs;
  if (s.seen < 0xffffffff) s.seen++;
  if (!Number.isFinite(y)) return;
  if (!isTailWarm(s)) {
    // float32 as stored, so a state chained in memory equals one that went through the codec.
    insertTop(s.top, Math.fround(y), cfg.initTop);
    if (s.seen >= cfg.initWindows && s.top.length >= cfg.initTop) {
      s.t = s.top[cfg.initTop - 1]!;
      s.n = s.seen;
      s.censored = 0;
      // The scale from the MEDIAN excess of the top values (median of exponentials = sigma ln 2),
      // not their mean: the first windows after the detectors warm up can score at their limit
      // (z = 10^4 from a few samples), and one such value in the mean set a bundled-tape level
      // of 34,000 (decision 070).
      const ex = s.top.filter((v) => v > s.t).map((v) => v - s.t);
      s.peaks = ex.length;
      const med = ex.length === 0 ? 0 : ex[Math.floor(ex.length / 2)]!;
      s.sumEx = ex.length * (med / Math.LN2);
      s.top.length = 0;
    }
    return;
  }
  const rho = Math.pow(2, -1 / cfg.halfLifeWindows);
  s.n = s.n * rho + 1;
  s.peaks *= rho;
  s.censored *= rho;
  s.sumEx *= rho;
  // At or above the level: an anomaly, not the tail (SPOT's rule), so a dense run of anomalies
  // (the backtest plants one every 15 windows) cannot lift the bar meant to catch them; only the
  // count of windows advances. Unless such windows have become the key's normal life (more than
  // EXCEED_BREAK of recent windows): then they are learned, censored at the level, and the level
  // rises; SPOT alone would alert on every one of them forever.
  const hit = y >= level;
  const e = 1 - Math.pow(2, -1 / EXCEED_HALF_LIFE);
  s.exceed += e * ((hit ? 1 : 0) - s.exceed);
  if (hit && s.exceed < EXCEED_BREAK) return;
  const above = y > s.t;
  if (above) {
    const cut = y >= level;
    s.peaks += 1;
    if (cut) s.censored += 1;
    s.sumEx += (cut ? level : y) - s.t;
  }
  // t follows the key's (1 - u) quantile (Robbins-Monro; u = initTop / initWindows, the tail
  // share the initialisation chose), in steps of a fiftieth of the tail's scale: a threshold set
  // on a key's first quiet hour would otherwise sit in the body of its later, busier life (on the
  // thin tape 36 % of windows were 'peaks' and the level was 285). The tail is exponential, so
  // excesses measured over a slightly different t keep their scale (memorylessness).
  const u = cfg.initTop / cfg.initWindows;
  s.t += T_STEP * scale(s) * ((above ? 1 : 0) - u);
}

function insertTop(top: number[], y: number, k: number): void {
  if (top.length >= k && y <= top[top.length - 1]!) return;
  let i = top.length;
  top.push(y);
  while (i > 0 && top[i - 1]! < y) {
    top[i] = top[i - 1]!;
    i--;
  }
  top[i] = y;
  if (top.length > k) top.length = k;
}

/** Bytes of an encoded TailState: 9 f64 + u8 top count + TAIL_MAX_TOP f32. */
export const TAIL_STATE_BYTES = 9 * 8 + 1 + 4 * TAIL_MAX_TOP;

export function encodeTail(s: TailState, view: DataView, offset: number): void {
  view.setFloat64(offset, s.seen, true);
  view.setFloat64(offset + 8, s.n, true);
  view.setFloat64(offset + 16, s.t, true);
  view.setFloat64(offset + 24, s.peaks, true);
  view.setFloat64(offset + 32, s.sumEx, true);
  view.setFloat64(offset + 40, s.censored, true);
  view.setFloat64(offset + 48, s.gapMs, true);
  view.setFloat64(offset + 56, s.lastMs, true);
  view.setFloat64(offset + 64, s.exceed, true);
  const k = Math.min(s.top.length, TAIL_MAX_TOP);
  view.setUint8(offset + 72, k);
  for (let i = 0; i < TAIL_MAX_TOP; i++) view.setFloat32(offset + 73 + 4 * i, i < k ? s.top[i]! : 0, true);
}

export function decodeTail(view: DataView, offset: number): TailState {
  const k = Math.min(view.getUint8(offset + 72), TAIL_MAX_TOP);
  const top: number[] = [];
  for (let i = 0; i < k; i++) top.push(view.getFloat32(offset + 73 + 4 * i, true));
  return {
    seen: view.getFloat64(offset, true),
    n: view.getFloat64(offset + 8, true),
    t: view.getFloat64(offset + 16, true),
    peaks: view.getFloat64(offset + 24, true),
    sumEx: view.getFloat64(offset + 32, true),
    censored: view.getFloat64(offset + 40, true),
    gapMs: view.getFloat64(offset + 48, true),
    lastMs: view.getFloat64(offset + 56, true),
    exceed: view.getFloat64(offset + 64, true),
    top,
  };
}
