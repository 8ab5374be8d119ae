/**
 * Activity detector: the typed specialist for VOLUME BURSTS, ONE-SIDED FLOW and VOLATILITY
 * REGIME SHIFTS, which the generic per-feature detectors cannot separate in real 10 s windows
 * (volume is heavy-tailed, |taker imbalance| routinely reaches 0.99 on quiet windows, realized
 * volatility has single windows at 7x its median). Three components, each against a ROBUST
 * per-symbol baseline in log space: the median and MAD (x 1.4826) of the last `window` learned
 * values of ln(volume), ln(trade count) and ln(realized vol), kept exactly in a ring.
 *
 *   burst   mean of the robust z of ln(volume) and ln(trade count): more base volume AND more
 *           trades than this symbol's typical window (x30 volume with x10 trades is ~+3 sigma in
 *           each; one large print raises volume but not the count).
 *   flow    persistent one-sided flow, in typical window volumes: per window
 *           h = imbalance x |imbalance| x volume / median volume (net taker volume, weighted by
 *           how one-sided it is), and flow = min(|h_t|, |h_t-1|) when both have the same sign,
 *           else 0: at least `flowVolumes` typical volumes of net taking in the same direction,
 *           two windows in a row. A single big one-sided window (one sweep) is not "flow".
 *   vol     robust z of ln(realized vol) (up only).
 *   spread  robust z of ln(relative spread) (up only), when the schema has the spread feature
 *           (`spread_bps`: the window's time-weighted GEOMETRIC mean bid-ask spread from book
 *           tickers, decision 066): a spread blowout / liquidity gap. Its scale has a floor of
 *           `spreadMinScale` log units, because a liquid pair's spread sits on one tick most of
 *           the time (robust sigma ~0.01-0.03 on the tape): with the defaults a window must hold
 *           a spread e^(5 x 0.1) = 1.65x its typical level on (time-weighted) average to reach
 *           the level; the tape's own maximum is 1.22x (BTC) / 1.06x (ETH). A window without
 *           quotes (missing feature) scores 0 here and leaves the spread baseline as it was.
 *
 * Score = max(burst / burstZ, log1p(flow) / log1p(flowVolumes), vol / volZ, spread / spreadZ): "multiples of
 * the alert level", so 1 means one component is at its level; `components()` gives the raw
 * values for the typology and the reasons. Higher = more anomalous; 0 while cold.
 *
 * Learning: the ring does not learn a window scored >= `gate` (don't learn what you flagged; up to
 * `maxConsecutiveSkips` in a row so a lasting change is adopted), but the previous window's h is
 * always updated (persistence must see every window).
 *
 * Raw values are recovered from the schema transform (log1p -> expm1), so the baseline is in true
 * log space whatever the units: ln(1 + volume) would be linear for a coin traded in 0.001s.
 *
 * State per symbol: float32 ring window x 3 (384 B at 32), f32 previous h, u16 skips; with the
 * spread feature in the schema the ring has a 4th channel (+128 B at 32). Without it the layout
 * and fingerprint are exactly those of the 3-channel detector, so old states stay readable.
 */
import type { ByteReader, ByteWriter } from '../codec.js';
import { BaseDetector, checkOption } from '../detector.js';
import { Z_LIMIT } from '../scaler.js';
import type { FeatureSchema, FeatureVector } from '../schema.js';
import { medianInPlace } from '../select.js';

export interface ActivityOptions {
  readonly name?: string;
  readonly volumeFeature?: string;
  readonly countFeature?: string;
  readonly imbalanceFeature?: string;
  /**
   * Windows since the key's previous scored window (default 'gap_windows'; absent from the schema =
   * every window follows the last): flow persists only over consecutive windows. On a thin market
   * the previous scored window can be minutes back, and two lumps of one-sided taking five minutes
   * apart were "two windows in a row" (decision 070).
   */
  readonly gapFeature?: string;
  readonly volFeature?: string;
  /** Relative spread (bps); the spread channel exists only when the schema has this feature. */
  readonly spreadFeature?: string;
  /** Windows in the robust baseline (4 bytes x 3 per window). */
  readonly window?: number;
  readonly warmUp?: number;
  /** A channel with fewer values in the ring is not scored. */
  readonly minValues?: number;
  /** Alert level of `burst`, robust sigmas. */
  readonly burstZ?: number;
  /** Alert level of `flow`, typical window volumes of net one-sided taking, two windows in a row. */
  readonly flowVolumes?: number;
  /** Alert level of `vol`, robust sigmas of ln(realized vol). */
  readonly volZ?: number;
  /** Alert level of `spread`, robust sigmas of ln(spread). */
  readonly spreadZ?: number;
  /** Floor of the spread channel's robust scale, log units. */
  readonly spreadMinScale?: number;
  /** Score (alert-level multiples) at or above which the ring does not learn the window. */
  readonly gate?: number;
  readonly maxConsecutiveSkips?: number;
}

const MAD_TO_SIGMA = 1.4826;
/** Floor of the robust scale in log units (a constant series would divide by 0). */
const MIN_SCALE = 0.05;
/**
 * Floor for the volume and trade-count channels: a quarter of a natural log, the sampling noise
 * of a window with a few trades. A thin symbol whose windows mostly hold one trade has a MAD of 0
 * there, and with the 0.05 floor a window of two trades was a 14-sigma burst (decision 070).
 */
const ACTIVITY_MIN_SCALE = 0.25;
const VOL_FLOOR = 1e-8;
const VOLUME = 0;
const COUNT = 1;
const RVOL = 2;
const SPREAD = 3;

export interface ActivityComponents {
  burst: number;
  flow: number;
  vol: number;
  /** Robust z of ln(spread) clipped at 0 (0 when there is no spread channel or no quotes). */
  spread: number;
  /** Robust z of ln(spread), signed (NaN when unknown), and exp(median): the typical spread. */
  spreadZ: number;
  typicalSpread: number;
  /** Robust z of ln(volume) and ln(trade count), signed. */
  volumeZ: number;
  countZ: number;
  /** exp(median) of each channel: typical volume, trade count, realized vol. */
  typicalVolume: number;
  typicalCount: number;
  typicalVol: number;
  /** This window's h (signed net one-sided volume in typical volumes) and the previous one's. */
  h: number;
  prevH: number;
}

export class ActivityDetector extends BaseDetector {
  protected readonly stateVersion = 1;
  readonly warmUp: number;
  readonly window: number;
  readonly burstZ: number;
  readonly flowVolumes: number;
  readonly volZ: number;
  readonly spreadZ: number;
  readonly spreadMinScale: number;
  /** Channels in the ring: 3, or 4 with the spread feature. */
  private readonly ch: number;
  private readonly gate: number;
  private readonly maxSkips: number;
  private readonly minValues: number;
  private readonly idx: Int32Array;
  private readonly log1p: Uint8Array;
  private readonly imb: number;
  /** Schema index of the gap feature (-1 = absent). */
  private readonly gapIdx: number;
  private readonly ring: Float32Array;
  private readonly ringBytes: Uint8Array;
  /** [previous window's h]; NaN = none. */
  private readonly prev = new Float32Array(1);
  private skips = 0;
  private readonly values: Float64Array;
  private readonly med = new Float64Array(4);
  /**
   * ln of the flow normaliser: the larger of the median and the arithmetic mean window volume of
   * the ring. On a liquid pair the two are close; on a thin one volume comes in lumps (most
   * windows one small trade, a few one large order) and the median is tiny, so one ordinary
   * order was "1,481 typical window volumes" of flow (decision 070). The mean counts the lumps.
   */
  private flowNorm = NaN;
  private readonly scale = new Float64Array(4);
  private readonly cur = new Float64Array(4);
  /** med/scale hold the baseline of the current ring (reset whenever the ring changes). */
  private fresh = false;

  constructor(schema: FeatureSchema, options: ActivityOptions = {}) {
    super('activity', options.name ?? 'activity', schema);
    this.window = checkOption(this.name, 'window', options.window ?? 32, 8, 1024, true);
    this.warmUp = checkOption(this.name, 'warmUp', options.warmUp ?? this.window, 3, 1e7, true);
    this.minValues = checkOption(this.name, 'minValues', options.minValues ?? 8, 3, this.window, true);
    this.burstZ = checkOption(this.name, 'burstZ', options.burstZ ?? 3, 0.1, 1e3);
    this.flowVolumes = checkOption(this.name, 'flowVolumes', options.flowVolumes ?? 1, 0.01, 1e6);
    this.volZ = checkOption(this.name, 'volZ', options.volZ ?? 3, 0.1, 1e3);
    this.spreadZ = checkOption(this.name, 'spreadZ', options.spreadZ ?? 5, 0.1, 1e3);
    this.spreadMinScale = checkOption(this.name, 'spreadMinScale', options.spreadMinScale ?? 0.1, 0.001, 10);
    this.gate = checkOption(this.name, 'gate', options.gate ?? 1, 0, 1e6);
    this.maxSkips = checkOption(this.name, 'maxConsecutiveSkips', options.maxConsecutiveSkips ?? 12, 0, 0xffff, true);
    const names = [options.volumeFeature ?? 'volume', options.countFeature ?? 'trade_count', options.volFeature ?? 'realized_vol'];
    const spread = schema.indexOf(options.spreadFeature ?? 'spread_bps');
    if (spread >= 0) names.push(options.spreadFeature ?? 'spread_bps');
    this.ch = names.length;
    this.idx = Int32Array.from(names.map((n) => schema.indexOf(n)));
    if (this.idx[VOLUME]! < 0) throw new RangeError(`${this.name}: the schema has no feature '${names[VOLUME]}'`);
    this.log1p = Uint8Array.from(Array.from(this.idx, (i) => (i >= 0 && schema.transforms[i] === 'log1p' ? 1 : 0)));
    this.imb = schema.indexOf(options.imbalanceFeature ?? 'volume_imbalance');
    this.gapIdx = schema.indexOf(options.gapFeature ?? 'gap_windows');
    this.ring = new Float32Array(this.window * this.ch).fill(NaN);
    this.ringBytes = new Uint8Array(this.ring.buffer);
    this.values = new Float64Array(this.window);
    this.prev[0] = NaN;
  }

  protected layoutKey(): string {
    // The 3-channel key is unchanged, so a schema without the spread feature reads old states.
    return `${this.window}|${Array.from(this.idx).slice(0, 3).join(',')}|${this.imb}${this.ch > 3 ? `|s${this.idx[SPREAD]}` : ''}`;
  }

  /** ln of channel c's raw value in x (NaN if missing or not positive). */
  private logOf(x: FeatureVector, c: number): number {
    const i = this.idx[c]!;
    if (i < 0) return NaN;
    const t = x[i] ?? NaN;
    const raw = this.log1p[c] === 1 ? Math.expm1(t) : t;
    if (!(raw >= 0 && raw < Infinity)) return NaN;
    // A spread of 0 (locked book) has no logarithm and is no blowout: missing.
    if (c === SPREAD) return raw > 0 ? Math.log(raw) : NaN;
    return Math.log(c === RVOL ? Math.max(raw, VOL_FLOOR) : Math.max(raw, 1e-300));
  }

  /** Median and robust scale of every channel into med/scale (NaN when too few values). */
  private baseline(): void {
    if (this.fresh) return;
    this.fresh = true;
    const w = this.window;
    const v = this.values;
    const ch = this.ch;
    for (let c = 0; c < ch; c++) {
      let k = 0;
      for (let s = 0; s < w; s++) {
        const x = this.ring[s * ch + c]!;
        if (!Number.isNaN(x)) v[k++] = x;
      }
      if (k < this.minValues) {
        this.med[c] = NaN;
        this.scale[c] = NaN;
        if (c === VOLUME) this.flowNorm = NaN;
        continue;
      }
      if (c === VOLUME) {
        let sum = 0;
        for (let i = 0; i < k; i++) sum += Math.exp(v[i]!);
        this.flowNorm = Math.log(sum / k);
      }
      const m = medianInPlace(v, k);
      for (let i = 0; i < k; i++) v[i] = Math.abs(v[i]! - m);
      this.med[c] = m;
      this.scale[c] = Math.max(MAD_TO_SIGMA * medianInPlace(v, k), c === SPREAD ? this.spreadMinScale : c === RVOL ? MIN_SCALE : ACTIVITY_MIN_SCALE);
    }
    // Sample-size floor (decision 070): a window's trade count is roughly Poisson, so ln(count)
    // carries a noise of ~1/sqrt(typical count) whatever the ring's MAD says; the volume, a sum
    // over those trades, carries at least as much. At one trade a window "4 trades vs typical 1"
    // was a z = 5.5 burst, yet a Poisson(1) window has 4 or more trades 2 % of the time.
    const typicalCount = Math.exp(this.med[COUNT]!);
    if (typicalCount > 0) {
      const poisson = 1 / Math.sqrt(Math.max(typicalCount, 1));
      if (this.scale[COUNT]! < poisson) this.scale[COUNT] = poisson;
      if (this.scale[VOLUME]! < poisson) this.scale[VOLUME] = poisson;
    }
  }

  /** Raw components of x against the current (pre-learn) baseline; pure. */
  components(x: FeatureVector, out: ActivityComponents = emptyComponents()): ActivityComponents {
    this.baseline();
    for (let c = 0; c < this.ch; c++) this.cur[c] = this.logOf(x, c);
    const z = (c: number): number => (this.cur[c]! - this.med[c]!) / this.scale[c]!;
    const zv = z(VOLUME);
    const zn = z(COUNT);
    out.volumeZ = zv;
    out.countZ = zn;
    // A missing count leaves the volume alone (and vice versa); both missing: no burst evidence.
    const burst = Number.isNaN(zn) ? zv : Number.isNaN(zv) ? zn : (zv + zn) / 2;
    out.burst = Number.isNaN(burst) ? 0 : Math.min(Math.max(burst, 0), Z_LIMIT);
    const zr = z(RVOL);
    out.vol = Number.isNaN(zr) ? 0 : Math.min(Math.max(zr, 0), Z_LIMIT);
    out.typicalVolume = Math.exp(this.med[VOLUME]!);
    out.typicalCount = Math.exp(this.med[COUNT]!);
    out.typicalVol = Math.exp(this.med[RVOL]!);
    if (this.ch > SPREAD) {
      const zs = z(SPREAD);
      out.spreadZ = zs;
      out.spread = Number.isNaN(zs) ? 0 : Math.min(Math.max(zs, 0), Z_LIMIT);
      out.typicalSpread = Math.exp(this.med[SPREAD]!);
    } else {
      out.spreadZ = NaN;
      out.spread = 0;
      out.typicalSpread = NaN;
    }
    const h = this.h(x);
    const gap = this.gapIdx >= 0 ? x[this.gapIdx] ?? NaN : NaN;
    const p = gap > 1 ? NaN : this.prev[0]!;
    out.h = h;
    out.prevH = p;
    out.flow = h * p > 0 ? Math.min(Math.abs(h), Math.abs(p), Z_LIMIT) : 0;
    return out;
  }

  /** Net taker volume weighted by one-sidedness, in typical window volumes (max of median and mean, see flowNorm); NaN if unknown. */
  private h(x: FeatureVector): number {
    const lv = this.logOf(x, VOLUME);
    const m = Math.max(this.med[VOLUME]!, this.flowNorm);
    const b = this.imb >= 0 ? x[this.imb] ?? NaN : NaN;
    if (Number.isNaN(lv) || Number.isNaN(m) || !(Math.abs(b) <= 1)) return NaN;
    return b * Math.abs(b) * Math.exp(lv - m);
  }

  private readonly scratch = emptyComponents();

  protected scoreWarm(x: FeatureVector): number {
    const c = this.components(x, this.scratch);
    return Math.min(Math.max(c.burst / this.burstZ, this.flowLevel(c.flow), c.vol / this.volZ, c.spread / this.spreadZ), Z_LIMIT);
  }

  /**
   * The flow component in multiples of its alert level, on a log scale: log1p(flow) /
   * log1p(flowVolumes), 1 at the level like the other channels. Flow is in volumes, linear in
   * the size of one order, while the other channels are robust z-scores: linear, one large order
   * in a thin market (hundreds of typical volumes) outranked every price and burst signal in the
   * consensus statistic and so set the symbol's alert budget (decision 070).
   */
  flowLevel(flow: number): number {
    return flow > 0 ? Math.log1p(flow) / Math.log1p(this.flowVolumes) : 0;
  }

  protected learnOne(x: FeatureVector): void {
    // The baseline h needs is the one before this window is learned.
    this.baseline();
    const h = this.h(x);
    const flagged = this.isWarm() && this.scoreWarm(x) >= this.gate && this.skips < this.maxSkips;
    this.prev[0] = Number.isFinite(h) ? h : NaN;
    if (flagged) {
      this.skips++;
      // Not learned. The ring slot is (learned windows mod window) and BaseDetector counts this
      // call as an observation, so take it back: n counts windows in the baseline.
      this.n--;
      return;
    }
    this.skips = 0;
    const base = (this.n % this.window) * this.ch;
    for (let c = 0; c < this.ch; c++) {
      const v = this.logOf(x, c);
      // A window without quotes neither learns nor forgets a spread: the slot keeps the spread of
      // the window it held before (so the spread baseline survives a quote outage).
      if (c === SPREAD && !Number.isFinite(v)) continue;
      this.ring[base + c] = Number.isFinite(v) ? v : NaN;
    }
    this.fresh = false;
  }

  protected bodySize(): number {
    return this.ring.byteLength + 4 + 2;
  }

  protected writeBody(w: ByteWriter): void {
    w.f32s(this.ring, this.ringBytes).f32(this.prev[0]!).u16(this.skips);
  }

  protected readBody(r: ByteReader): void {
    this.fresh = false;
    r.f32s(this.ring, this.ringBytes);
    this.prev[0] = r.f32();
    this.skips = r.u16();
  }

  protected resetBody(): void {
    this.fresh = false;
    this.ring.fill(NaN);
    this.prev[0] = NaN;
    this.skips = 0;
  }
}

export function emptyComponents(): ActivityComponents {
  return { burst: 0, flow: 0, vol: 0, spread: 0, spreadZ: NaN, typicalSpread: NaN, volumeZ: NaN, countZ: NaN, typicalVolume: NaN, typicalCount: NaN, typicalVol: NaN, h: NaN, prevH: NaN };
}

