/**
 * A univariate streaming anomaly detector for any metric (the `crypto-backtest csv` mode).
 *
 * Per row, scored first and then learned, in O(1) state (a few hundred numbers for the seasonal
 * profiles):
 *   1. change:   robust EW z-score of the first difference (spikes, dips and the onset of a
 *                level shift; a shift shows once, then the differences are ordinary again);
 *   2. value:    robust z-score of the value against the better of two baselines: a slow EW
 *                level, or that level plus a time-of-day profile (all days alike, or weekdays
 *                and weekends apart), used only once two days of history exist and only while
 *                it explains the series better than the level alone. After a level shift the
 *                level catches up, so the alarm fades; a daily peak is expected, a missing one is
 *                not;
 *   3. spread:   log ratio of the recent to the long-run size of the changes, itself z-scored
 *                (variance changes both ways, and a stuck sensor that stops moving).
 * Each z goes through its own anomaly likelihood (Numenta's: the tail probability of the mean
 * of the last few raw scores under their long-run distribution), and the score is
 * 1 - min(tail) x (number of components), clamped to [0, 1]: a probability-like level where
 * 0.99 means "a tail this far happens about once in a hundred steps of this series", 0.9999 once
 * in ten thousand. During the probationary period the detector learns and scores 0.
 */
import { AnomalyLikelihood } from './likelihood.js';

export interface MetricDetectorOptions {
  /** Rows learned before any score other than 0 (NAB ignores the first 15 % of a file, at most 750 rows). */
  readonly probation: number;
  /** Memory, in rows, of the change statistics. */
  readonly changeMemory: number;
  /** Memory, in rows, of the slow level. */
  readonly levelMemory: number;
  /** Memory, in rows, of the residual scales. */
  readonly scaleMemory: number;
  /** Memory, in days, of each time-of-day slot of the profile. */
  readonly profileDays: number;
  /** Width of a time-of-day slot, ms (at least the sampling interval is used). */
  readonly slotMs: number;
  /** The profile is used when its residual scale is below this fraction of the level's. */
  readonly seasonalGain: number;
  /** Rows of the recent change size (the spread component). */
  readonly spreadWindow: number;
  /** Raw scores averaged by the likelihood, and the memory of their long-run distribution. */
  readonly shortWindow: number;
  readonly longMemory: number;
  /** Raw z-scores are clipped here so one absurd row cannot dominate the long-run statistics. */
  readonly zClip: number;
}

export const DEFAULT_METRIC_OPTIONS: MetricDetectorOptions = Object.freeze({
  probation: 750,
  changeMemory: 500,
  levelMemory: 50,
  scaleMemory: 1500,
  profileDays: 4,
  slotMs: 30 * 60_000,
  seasonalGain: 0.8,
  spreadWindow: 12,
  shortWindow: 1,
  longMemory: 3000,
  zClip: 50,
});

const DAY_MS = 86_400_000;
/** MAD of a normal distribution is 0.798 sigma. */
const MAD_TO_SIGMA = 1.2533;
/** Residuals beyond this many scales count as this many when a scale learns (robustness). */
const SCALE_CLIP = 5;

/** EW mean and mean absolute deviation; learning is clipped so outliers barely move the scale. */
class RobustEw {
  mean = 0;
  scale = 0;
  n = 0;
  constructor(private readonly memory: number) {}
  z(x: number, floor: number): number {
    if (this.n < 2) return 0;
    return Math.abs(x - this.mean) / Math.max(MAD_TO_SIGMA * this.scale, floor);
  }
  learn(x: number): void {
    this.n++;
    const alpha = 1 / Math.min(this.n, this.memory);
    const dev = Math.abs(x - this.mean);
    this.mean += alpha * (x - this.mean);
    this.scale += alpha * ((this.n <= 2 || this.scale === 0 ? dev : Math.min(dev, SCALE_CLIP * this.scale)) - this.scale);
  }
}

/** EW mean absolute size of a residual, clipped like RobustEw. */
class Scale {
  value = 0;
  n = 0;
  constructor(private readonly memory: number) {}
  learn(r: number): void {
    this.n++;
    const alpha = 1 / Math.min(this.n, this.memory);
    const a = Math.abs(r);
    this.value += alpha * ((this.n <= 2 || this.value === 0 ? a : Math.min(a, SCALE_CLIP * this.value)) - this.value);
  }
}

/** A time-of-day profile of the residual from the level, one EW mean per slot. */
class Profile {
  private readonly mean: Float64Array;
  private readonly visits: Uint32Array;
  private readonly lastDay: Float64Array;
  readonly residual: Scale;
  constructor(
    readonly slots: number,
    private readonly slotOf: (time: number) => number,
    private readonly alphaOf: (visits: number) => number,
    scaleMemory: number,
  ) {
    this.mean = new Float64Array(slots);
    this.visits = new Uint32Array(slots);
    this.lastDay = new Float64Array(slots).fill(NaN);
    this.residual = new Scale(scaleMemory);
  }
  /** Residual of `e` (value - level) from the profile, or undefined while the slot is new. */
  residualOf(time: number, e: number): number | undefined {
    const s = this.slotOf(time);
    return this.visits[s]! >= 2 ? e - this.mean[s]! : undefined;
  }
  learn(time: number, e: number): void {
    const s = this.slotOf(time);
    const r = this.residualOf(time, e);
    if (r !== undefined) this.residual.learn(r);
    const day = Math.floor(time / DAY_MS);
    if (this.lastDay[s] !== day) {
      this.lastDay[s] = day;
      this.visits[s]!++;
    }
    this.mean[s]! += this.alphaOf(this.visits[s]!) * (e - this.mean[s]!);
  }
}

export class MetricDetector {
  private readonly o: MetricDetectorOptions;
  private step = 0;
  private prevValue = NaN;
  private prevTime = NaN;
  private readonly gaps: number[] = [];
  private profiles: Profile[] | undefined;
  private readonly change: RobustEw;
  private readonly level: RobustEw;
  private readonly levelResidual: Scale;
  private readonly spread: RobustEw;
  private recentChange = 0;
  private readonly likelihoods: AnomalyLikelihood[];
  /** The last row's raw z-scores (change, value, spread) and which value baseline was used, for tests and plots. */
  readonly last = { change: 0, value: 0, spread: 0, seasonal: false };

  constructor(options: Partial<MetricDetectorOptions> = {}) {
    this.o = { ...DEFAULT_METRIC_OPTIONS, ...options };
    this.change = new RobustEw(this.o.changeMemory);
    this.level = new RobustEw(this.o.levelMemory);
    this.levelResidual = new Scale(this.o.scaleMemory);
    this.spread = new RobustEw(this.o.scaleMemory);
    const warm = Math.max(10, Math.floor(this.o.probation / 2));
    this.likelihoods = [0, 1, 2].map(() => new AnomalyLikelihood(this.o.shortWindow, this.o.longMemory, warm));
  }

  /** Score `value` at `time` (epoch ms), then learn it. */
  scoreThenLearn(time: number, value: number): number {
    const o = this.o;
    const d = Number.isFinite(this.prevValue) ? value - this.prevValue : 0;
    // Scale floors: a series that never moved (or moves in integer steps) must not turn a
    // rounding difference into an infinite z.
    const floor = 1e-9 + 1e-6 * Math.abs(this.level.mean);
    const zChange = Math.min(o.zClip, this.step > 1 ? this.change.z(d, floor) : 0);

    const e = value - this.level.mean;
    let zValue = Math.min(o.zClip, this.level.n >= 2 ? Math.abs(e) / Math.max(MAD_TO_SIGMA * this.levelResidual.value, floor) : 0);
    let seasonal = false;
    let best = this.levelResidual.value * o.seasonalGain;
    for (const p of this.profiles ?? []) {
      const r = p.residualOf(time, e);
      if (r === undefined || p.residual.n < 50 || !(p.residual.value < best)) continue;
      best = p.residual.value;
      zValue = Math.min(o.zClip, Math.abs(r) / Math.max(MAD_TO_SIGMA * p.residual.value, floor));
      seasonal = true;
    }

    const changeSize = Math.abs(d - this.change.mean);
    const recent = this.recentChange + (1 / o.spreadWindow) * (changeSize - this.recentChange);
    const logRatio = Math.log((recent + floor) / (this.change.scale + floor));
    const zSpread = Math.min(o.zClip, this.step > o.spreadWindow * 2 ? this.spread.z(logRatio, 1e-3) : 0);

    this.last.change = zChange;
    this.last.value = zValue;
    this.last.spread = zSpread;
    this.last.seasonal = seasonal;
    const tails = [zChange, zValue, zSpread].map((z, i) => this.likelihoods[i]!.update(z));
    const p = Math.min(1, Math.min(...tails) * tails.length);
    const score = this.step < o.probation ? 0 : 1 - p;

    // learn
    if (this.step > 0) this.change.learn(d);
    this.recentChange = this.step > 0 ? recent : 0;
    if (this.step > o.spreadWindow) this.spread.learn(logRatio);
    if (this.level.n >= 2) this.levelResidual.learn(e);
    this.learnSeasonality(time, e);
    this.level.learn(value);
    this.prevValue = value;
    this.prevTime = time;
    this.step++;
    return score;
  }

  /** Sampling interval from the first gaps; then time-of-day profiles if the series is sub-daily. */
  private learnSeasonality(time: number, e: number): void {
    if (this.profiles === undefined) {
      if (Number.isFinite(this.prevTime)) this.gaps.push(time - this.prevTime);
      if (this.gaps.length < 50) return;
      const gap = [...this.gaps].sort((a, b) => a - b)[this.gaps.length >> 1]!;
      this.profiles = [];
      if (!(gap > 0 && gap <= DAY_MS / 24)) return;
      const slotMs = Math.max(this.o.slotMs, gap);
      const perDay = Math.ceil(DAY_MS / slotMs);
      const rowsPerVisit = Math.max(1, slotMs / gap);
      // Early visits average equally; later ones forget over profileDays days of visits.
      const alphaOf = (visits: number): number => 1 / (rowsPerVisit * Math.min(visits, this.o.profileDays));
      const daily = (t: number): number => Math.floor((((t % DAY_MS) + DAY_MS) % DAY_MS) / slotMs) % perDay;
      // 1970-01-01 was a Thursday: day index + 4 mod 7 is the weekday, 0 = Sunday.
      const weekend = (t: number): number => {
        const wd = (Math.floor(t / DAY_MS) + 4) % 7;
        return wd === 0 || wd === 6 ? 1 : 0;
      };
      this.profiles.push(new Profile(perDay, daily, alphaOf, this.o.scaleMemory));
      this.profiles.push(new Profile(2 * perDay, (t) => weekend(t) * perDay + daily(t), alphaOf, this.o.scaleMemory));
    }
    for (const p of this.profiles) p.learn(time, e);
  }
}

/** Scores of a whole series in order, one detector from the first row to the last. */
export function scoreMetricSeries(rows: readonly { time: number; value: number }[], options: Partial<MetricDetectorOptions> = {}): number[] {
  const det = new MetricDetector(options);
  return rows.map((r) => det.scoreThenLearn(r.time, r.value));
}

/** NAB's probationary length for a file of n rows: 15 %, at most 750. */
export function probationFor(n: number): number {
  return Math.min(Math.floor(0.15 * n), 750);
}
