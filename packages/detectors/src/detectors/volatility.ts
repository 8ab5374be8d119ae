/**
 * Volatility-regime 3-sigma rule. Two questions, both answered in sigma units so that 3 is the
 * classic threshold:
 * 1. Return shock: is this window's log return more than k sigma, where sigma is the CURRENT
 *    volatility regime (RiskMetrics EWMA of squared returns, lambda = 0.94 by default)? A 0.5 %
 *    move is a shock in a quiet hour and noise in a crash; a fixed-baseline z-score cannot tell.
 * 2. Regime shift: is log(realized_vol) more than k sigma from its own slow EWMA baseline?
 * Score = max(|r| / sigma_regime, |z_logvol|). Either feature may be missing (that part is skipped).
 *
 * State per symbol: 3 float32 (regime variance, log-vol mean, log-vol variance) = 12 bytes.
 */
import type { ByteReader, ByteWriter } from '../codec.js';
import { BaseDetector, checkOption } from '../detector.js';
import { Z_LIMIT } from '../scaler.js';
import type { FeatureSchema, FeatureVector } from '../schema.js';

export interface VolatilityOptions {
  readonly name?: string;
  readonly returnFeature?: string;
  readonly volFeature?: string;
  /** RiskMetrics decay of the regime variance (0.94 is the daily-data classic). */
  readonly lambda?: number;
  /** Half-life, in observations, of the log-vol baseline (slow: the "normal regime"). */
  readonly volHalfLife?: number;
  readonly warmUp?: number;
}

/** Floor for realized vol before the log; a window with one trade has zero realized vol. */
const VOL_FLOOR = 1e-8;

export class VolatilityRegimeDetector extends BaseDetector {
  protected readonly stateVersion = 1;
  readonly warmUp: number;
  private readonly ret: number;
  private readonly vol: number;
  private readonly lambda: number;
  private readonly volAlpha: number;
  /** [regime variance of returns, mean of log vol, variance of log vol]; NaN = not seen yet. */
  private readonly s = new Float32Array(3);
  private readonly sBytes = new Uint8Array(this.s.buffer);

  constructor(schema: FeatureSchema, options: VolatilityOptions = {}) {
    super('volatility', options.name ?? 'volatility', schema);
    this.ret = schema.indexOf(options.returnFeature ?? 'log_return');
    this.vol = schema.indexOf(options.volFeature ?? 'realized_vol');
    if (this.ret < 0 && this.vol < 0) throw new RangeError(`${this.name}: the schema has neither the return nor the volatility feature`);
    this.lambda = checkOption(this.name, 'lambda', options.lambda ?? 0.94, 0.5, 0.9999);
    this.volAlpha = 1 - Math.pow(2, -1 / checkOption(this.name, 'volHalfLife', options.volHalfLife ?? 360, 1, 1e7));
    this.warmUp = checkOption(this.name, 'warmUp', options.warmUp ?? 30, 2, 1e7, true);
    this.resetBody();
  }

  protected layoutKey(): string {
    return `${this.ret},${this.vol}`;
  }

  protected scoreWarm(x: FeatureVector): number {
    let score = 0;
    const r = this.ret >= 0 ? x[this.ret] ?? NaN : NaN;
    const v2 = this.s[0]!;
    if (!Number.isNaN(r) && v2 > 0) score = Math.abs(r) / Math.sqrt(v2);
    const lv = this.logVol(x);
    const m = this.s[1]!;
    if (!Number.isNaN(lv) && !Number.isNaN(m)) {
      const z = Math.abs(lv - m) / Math.max(Math.sqrt(this.s[2]!), 1e-6);
      if (z > score) score = z;
    }
    return Math.min(score, Z_LIMIT);
  }

  protected learnOne(x: FeatureVector): void {
    const r = this.ret >= 0 ? x[this.ret] ?? NaN : NaN;
    // Non-finite input is treated as missing so it cannot poison the regime estimate.
    if (Number.isFinite(r)) {
      const v2 = this.s[0]!;
      // Until there is a regime, the running mean of r^2 (alpha = 1/n) seeds it without bias.
      const a = Math.max(1 - this.lambda, 1 / (this.n + 1));
      this.s[0] = Number.isNaN(v2) ? r * r : (1 - a) * v2 + a * r * r;
    }
    const lv = this.logVol(x);
    if (Number.isFinite(lv)) {
      const m = this.s[1]!;
      if (Number.isNaN(m)) {
        this.s[1] = lv;
        this.s[2] = 0;
      } else {
        const a = Math.max(this.volAlpha, 1 / (this.n + 1));
        const d = lv - m;
        this.s[1] = m + a * d;
        this.s[2] = (1 - a) * (this.s[2]! + a * d * d);
      }
    }
  }

  private logVol(x: FeatureVector): number {
    const v = this.vol >= 0 ? x[this.vol] ?? NaN : NaN;
    return v >= 0 ? Math.log(Math.max(v, VOL_FLOOR)) : NaN;
  }

  protected bodySize(): number {
    return this.s.byteLength;
  }

  protected writeBody(w: ByteWriter): void {
    w.f32s(this.s, this.sBytes);
  }

  protected readBody(r: ByteReader): void {
    r.f32s(this.s, this.sBytes);
  }

  protected resetBody(): void {
    this.s[0] = NaN;
    this.s[1] = NaN;
    this.s[2] = 0;
  }
}
