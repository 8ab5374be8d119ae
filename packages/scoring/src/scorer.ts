/**
 * The stateless scorer: a pure function of (request, config, models). Same request => byte-identical
 * response. All per-key state comes in with the request and goes out with the response; the
 * instance only holds configuration, the shared offline models (models.ts, read once when the
 * config is loaded) and scratch space (one detector ensemble whose state is overwritten by
 * loadState for every window, as packages/detectors is designed to be used).
 *
 * Per bundle: validate everything first (nothing is scored if anything is wrong), then for each
 * window in request order: load its key's state (from the request, or from the key's previous
 * window in this bundle: state chaining), compute features in one pass, score, save.
 *
 * Empty windows (no trades) are NOT scored (docs/decisions/031): the result says so in a reason,
 * with confidence NONE, and the key's state is left exactly as it was, so the next window's
 * log_return spans the gap. An empty window in a liquid symbol usually means missing data
 * upstream, and learning zeros would drag the volume baselines of illiquid ones.
 */
import type { Alert, Reason } from '@crypto-anomaly/contract';
import {
  ActivityDetector,
  DetectorStateError,
  emptyComponents,
  Ensemble,
  FeatureSchema,
  GatedDetector,
  GaussianMixtureDetector,
  HalfSpaceTreesDetector,
  IsolationForestDetector,
  KMeansDetector,
  MadDetector,
  type Detector,
  type ModelDetector,
  StateFormatError,
  budgetQ,
  isTailReady,
  learnTail,
  tailProbability,
  tailThreshold,
  tailY,
  VolatilityRegimeDetector,
  ZScoreDetector,
} from '@crypto-anomaly/detectors';
import type { KeyState, ScoringRequest, ScoringResponse, ScoringWindow, TradeColumns } from './columns.js';
import { configVersion as hashConfig, type ScoringConfig } from './config.js';
import { anomalyType, decide, reasonText, severityOf, spreadText, stepIncident, type Decision } from './consensus.js';
import { ValidationError } from './errors.js';
import { bookFeatures, computeFeatures, F, RAW_SIZE, UDF_FEATURES } from './features.js';
import { marketContextOf } from './market.js';
import { loadScoringModels, MODEL_DETECTOR_NAMES, MODEL_KINDS, type ScoringModels } from './models.js';
import { BUDGET_CHANNELS, decodeState, encodeState, type KeyStateData } from './state.js';

/** "<symbol>/<interval>": Binance symbols, intervals like 10s, 1m, 1h. */
const KEY_RE = /^([A-Z0-9]{2,30})\/([1-9][0-9]{0,5}[smhd])$/;
/**
 * Ensemble order (Scorer.roles): the generic detectors first, which need consensus.minVotes among
 * them: zscore, mad, volatility, then hst with role "vote", then the model detectors with role
 * "vote" (isolation-forest, kmeans, gmm); then the detectors whose vote alone makes a candidate
 * (decide's soloFrom): hst with role "cold-start", the typed specialist activity; last the model
 * detectors with role "score-only", which are scored and reported but never take part in the
 * decision. A detector with role "off" (or models without scoring.models.dir) is absent.
 */
const ALL_DETECTORS = ['zscore', 'mad', 'volatility', 'hst', 'activity'] as const;
const Z = 0;
const MAD = 1;
const VOL = 2;
/** Index of the price channel in BUDGET_CHANNELS; the activity components follow it. */
const PRICE_CHANNEL = 1;
const MEAN_AD_TO_SIGMA = 1.2533;
const UNCALIBRATED_SEVERITY_MAX = 50;
const PROVISIONAL_SEVERITY_MAX = 60;

/**
 * How a detector takes part in the decision (one source of truth for the backtest and the docs):
 * generic = one of consensus.minVotes; solo = its vote alone makes a candidate; cold-start = solo
 * while fewer than minVotes generic detectors are warm, otherwise reported only; score-only =
 * reported only.
 */
export type DetectorRole = 'generic' | 'solo' | 'cold-start' | 'score-only';

/** What the service logs and counts; never part of the response. */
export interface ScoreDiagnostics {
  /** Keys whose state could not be read (version skew) and restarted cold. */
  readonly stateResets: { key: string; reason: string }[];
  /** Per window, in request order: wall time in ms (metrics only; never affects results). */
  readonly windowMs: Float64Array;
  /**
   * Per window, in request order: the consensus statistic (what severity is calibrated on) and
   * the largest score/threshold ratio among the detectors that took part in the decision (0 for
   * an empty window or while all are cold). For tools (the backtest), so they need not repeat
   * the voting rules.
   */
  readonly statistic: Float64Array;
  readonly topRatio: Float64Array;
}

export interface ScoredBundle {
  readonly response: ScoringResponse;
  readonly diagnostics: ScoreDiagnostics;
}

/** Request size limits (the sidecar's `limits` config): windows per bundle, trades per window, bytes per state. */
export interface ScorerLimits {
  readonly maxWindowsPerBundle: number;
  readonly maxTradesPerWindow: number;
  readonly maxStateBytes: number;
}

const DEFAULT_LIMITS: ScorerLimits = { maxWindowsPerBundle: 10_000, maxTradesPerWindow: 2_000_000, maxStateBytes: 64 * 1024 };

interface Candidate {
  feature: number;
  z: number;
  typical: number;
  detector: string;
}

/**
 * The contract's per-trade invariants, in one pass (issue 12): trade times inside the window and
 * sorted by (time, id), ids not negative. Checking only the first and last time let a trade a day
 * outside the window through between them (volatility z = +97). Prices and quantities are
 * checked in the feature pass.
 */
function checkTrades(c: TradeColumns, w: ScoringWindow, where: string): void {
  // The int64 columns as pairs of 32-bit words (little-endian, as typed arrays are here): plain
  // integer compares instead of a BigInt per trade (this runs for every trade of every window).
  // Valid times and ids are in [0, 2^53): hi word first, then lo.
  const t = new Uint32Array(c.tradeTimeMs.buffer, c.tradeTimeMs.byteOffset, 2 * c.length);
  const id = new Int32Array(c.tradeId.buffer, c.tradeId.byteOffset, 2 * c.length);
  const startHi = Math.floor(w.windowStartMs / 2 ** 32);
  const startLo = w.windowStartMs >>> 0;
  const endHi = Math.floor(w.windowEndMs / 2 ** 32);
  const endLo = w.windowEndMs >>> 0;
  let pHi = startHi;
  let pLo = startLo;
  let idHi = -1;
  let idLo = 0;
  for (let i = 0; i < c.length; i++) {
    const hi = t[2 * i + 1]!;
    const lo = t[2 * i]!;
    const iHi = id[2 * i + 1]!;
    const iLo = id[2 * i]! >>> 0;
    // The time word is unsigned: a negative time has its top bit set and is "after" the end.
    if (hi < startHi || (hi === startHi && lo < startLo) || hi > endHi || (hi === endHi && lo >= endLo)) {
      throw new ValidationError('BAD_TRADE', `${where}: trade ${i} at ${c.tradeTimeMs[i]} falls outside the window [${w.windowStartMs}, ${w.windowEndMs})`);
    }
    if (iHi < 0) throw new ValidationError('BAD_TRADE', `${where}: trade ${i} has a negative trade id ${c.tradeId[i]}`);
    const sameTime = hi === pHi && lo === pLo;
    if (hi < pHi || (hi === pHi && lo < pLo) || (sameTime && i > 0 && (iHi < idHi || (iHi === idHi && iLo < idLo)))) {
      throw new ValidationError('BAD_TRADE', `${where}: trade ${i} (time ${c.tradeTimeMs[i]}, id ${c.tradeId[i]}) is out of order: trades must be sorted by (time, id)`);
    }
    pHi = hi;
    pLo = lo;
    idHi = iHi;
    idLo = iLo;
  }
}

export class Scorer {
  readonly configVersion: string;
  readonly modelVersion: string;
  /** The loaded model set (undefined without scoring.models.dir). */
  readonly models: ScoringModels | undefined;
  /** Detector name -> how it takes part in the decision, in ensemble (detectorScores) order. */
  readonly roles: Readonly<Record<string, DetectorRole>>;
  readonly schema = new FeatureSchema(UDF_FEATURES);
  private readonly ensemble: Ensemble;
  private readonly zscore: ZScoreDetector;
  private readonly mad: MadDetector;
  private readonly vol: VolatilityRegimeDetector;
  private readonly activity: ActivityDetector;
  private readonly hst: HalfSpaceTreesDetector | undefined;
  private readonly hstRole: 'cold-start' | 'vote' | 'off';
  /** Detector names in ensemble order, and the indices of hst (-1 when off) and activity. */
  private readonly names: readonly string[];
  private readonly HST: number;
  private readonly ACT: number;
  /** First index whose vote alone makes a candidate (decide's soloFrom); [0, soloFrom) are the generic detectors. */
  private readonly soloFrom: number;
  /** First score-only index: from here on nothing takes part in the decision. */
  private readonly scoreOnlyFrom: number;
  /** The model detectors in the ensemble, with their indices (reasons). */
  private readonly modelDetectors: readonly { readonly index: number; readonly detector: ModelDetector }[];
  /** isWarm() per detector, as reported in detectorScores (this.warm is what the decision uses). */
  private readonly warmReported: Uint8Array;
  private readonly comps = emptyComponents();
  /** Scratch: the budget channels' statistics of the current window (BUDGET_CHANNELS order). */
  private readonly channels = new Float64Array(BUDGET_CHANNELS.length);
  private readonly thresholds: Float64Array;
  // Scratch, reused for every window (the scorer is synchronous, so nothing interleaves).
  private readonly raw = new Float64Array(RAW_SIZE);
  private readonly bookExtra: Record<string, number> = {};
  private readonly x: Float64Array;
  private readonly probe: Float64Array;
  private readonly scores: Float64Array;
  private readonly warm: Uint8Array;
  private readonly ratios: Float64Array;
  /** The decision of the window scoreWindow scored last (read by score for its diagnostics). */
  private lastDecision: Decision | undefined;

  /**
   * `models`: the model set to score with; when absent it is read from config.models.dir (a
   * ConfigError names the file and field). Callers that reload (server.ts) load it first with
   * loadScoringModels so a bad directory is rejected before a Scorer is built.
   */
  constructor(readonly config: ScoringConfig, readonly limits: ScorerLimits = DEFAULT_LIMITS, models?: ScoringModels) {
    this.configVersion = hashConfig(config);
    this.models = config.models.dir === undefined ? undefined : (models ?? loadScoringModels(config));
    this.modelVersion = this.models?.version ?? config.modelVersion;
    const d = config.detectors;
    this.zscore = new ZScoreDetector(this.schema, { warmUp: d.zscore.warmUp, halfLife: d.zscore.halfLife, features: d.zscore.features });
    this.mad = new MadDetector(this.schema, { warmUp: d.mad.warmUp, window: d.mad.window, features: d.mad.features });
    const a = d.activity;
    this.activity = new ActivityDetector(this.schema, { warmUp: a.warmUp, window: a.window, burstZ: a.burstZ, flowVolumes: a.flowVolumes, volZ: a.volZ, spreadZ: a.spreadZ, spreadMinScale: a.spreadMinScale, gate: a.gate });
    this.vol = new VolatilityRegimeDetector(this.schema, { warmUp: d.volatility.warmUp, lambda: d.volatility.lambda });
    const h = d.hst;
    this.hstRole = h.role;
    // Not gated (decision 011): one outlier is one count in a mass profile, and a density model
    // must follow a regime change. The structure is a function of the seed: same seed, same scores.
    this.hst = h.role === 'off' ? undefined : new HalfSpaceTreesDetector(this.schema, { name: 'hst', features: h.features, trees: h.trees, height: h.height, window: h.window, seed: h.seed, warmUp: h.warmUp - h.window, halfLife: h.halfLife, squash: h.squash });
    // Model detectors (decision 069): shared offline models in the symbol's own z-space; the
    // per-key state is only each one's normaliser. Not gated (decision 011).
    const voting: { name: string; detector: ModelDetector; threshold: number }[] = [];
    const scoreOnly: typeof voting = [];
    const mc = config.models;
    if (this.models !== undefined) {
      for (const kind of MODEL_KINDS) {
        const c = mc[kind];
        if (c.role === 'off') continue;
        const options = { name: MODEL_DETECTOR_NAMES[kind], warmUp: c.warmUp, halfLife: mc.halfLife };
        const detector =
          kind === 'isolationForest'
            ? new IsolationForestDetector(this.schema, this.models.isolationForest, options)
            : kind === 'kmeans'
              ? new KMeansDetector(this.schema, this.models.kmeans, options)
              : new GaussianMixtureDetector(this.schema, this.models.gmm, options);
        (c.role === 'vote' ? voting : scoreOnly).push({ name: MODEL_DETECTOR_NAMES[kind], detector, threshold: c.threshold });
      }
    }
    const entries: { name: string; detector: Detector; threshold: number; role: DetectorRole }[] = [
      { name: 'zscore', detector: new GatedDetector(this.zscore, { threshold: d.zscore.gate }), threshold: d.zscore.threshold, role: 'generic' },
      { name: 'mad', detector: new GatedDetector(this.mad, { threshold: d.mad.gate }), threshold: d.mad.threshold, role: 'generic' },
      { name: 'volatility', detector: new GatedDetector(this.vol, { threshold: d.volatility.gate }), threshold: d.volatility.threshold, role: 'generic' },
      ...(this.hst !== undefined && h.role === 'vote' ? [{ name: 'hst', detector: this.hst, threshold: h.threshold, role: 'generic' as const }] : []),
      ...voting.map((v) => ({ ...v, role: 'generic' as const })),
      ...(this.hst !== undefined && h.role === 'cold-start' ? [{ name: 'hst', detector: this.hst, threshold: h.threshold, role: 'cold-start' as const }] : []),
      // Gates itself (its persistence memory must see every window).
      { name: 'activity', detector: this.activity, threshold: a.threshold, role: 'solo' },
      ...scoreOnly.map((v) => ({ ...v, role: 'score-only' as const })),
    ];
    this.ensemble = new Ensemble(this.schema, entries.map((e) => e.detector));
    this.names = entries.map((e) => e.name);
    this.roles = Object.freeze(Object.fromEntries(entries.map((e) => [e.name, e.role])));
    this.HST = this.names.indexOf('hst');
    this.ACT = this.names.indexOf('activity');
    this.soloFrom = entries.findIndex((e) => e.role !== 'generic');
    this.scoreOnlyFrom = this.ACT + 1;
    this.modelDetectors = entries.flatMap((e, index) => (voting.some((v) => v.detector === e.detector) || scoreOnly.some((v) => v.detector === e.detector) ? [{ index, detector: e.detector as ModelDetector }] : []));
    this.thresholds = Float64Array.from(entries, (e) => e.threshold);
    this.x = new Float64Array(this.schema.size);
    this.probe = new Float64Array(this.schema.size);
    this.scores = new Float64Array(this.names.length);
    this.warm = new Uint8Array(this.names.length);
    this.warmReported = new Uint8Array(this.names.length);
    this.ratios = new Float64Array(this.names.length);
  }

  /** Throws ValidationError for a malformed request; anything else is a bug. */
  score(req: ScoringRequest): ScoredBundle {
    const { keyIndex, data, resets } = this.validateStates(req);
    const trades = this.validateWindows(req, keyIndex);
    const results: Alert[] = new Array<Alert>(req.windows.length);
    const windowMs = new Float64Array(req.windows.length);
    const statistic = new Float64Array(req.windows.length);
    const topRatio = new Float64Array(req.windows.length);
    for (let i = 0; i < req.windows.length; i++) {
      const t0 = performance.now();
      const w = req.windows[i]!;
      const st = data[keyIndex.get(w.key)!]!;
      const cols = trades[i]!;
      if (cols.length === 0) results[i] = this.emptyResult(w, st);
      else {
        results[i] = this.scoreWindow(w, cols, st, resets, `windows[${i}] (key ${w.key})`);
        statistic[i] = this.lastDecision!.statistic;
        topRatio[i] = this.lastDecision!.top;
      }
      windowMs[i] = performance.now() - t0;
    }
    const states: KeyState[] = req.states.map((s, i) => ({ key: s.key, state: data[i]!.touched ? encodeState(data[i]!) : s.state }));
    return {
      response: { results, states, configVersion: this.configVersion, modelVersion: this.modelVersion },
      diagnostics: { stateResets: resets, windowMs, statistic, topRatio },
    };
  }

  private validateStates(req: ScoringRequest): { keyIndex: Map<string, number>; data: (KeyStateData & { touched: boolean })[]; resets: { key: string; reason: string }[] } {
    if (req.windows.length === 0) throw new ValidationError('NO_WINDOWS', 'request has no windows');
    if (req.windows.length > this.limits.maxWindowsPerBundle) {
      throw new ValidationError('TOO_LARGE', `request has ${req.windows.length} windows; the limit is ${this.limits.maxWindowsPerBundle}`);
    }
    const keyIndex = new Map<string, number>();
    const data: (KeyStateData & { touched: boolean })[] = [];
    const resets: { key: string; reason: string }[] = [];
    req.states.forEach((s, i) => {
      const where = `states[${i}] (key ${s.key})`;
      if (keyIndex.has(s.key)) throw new ValidationError('DUPLICATE_STATE', `${where}: duplicate state key ${JSON.stringify(s.key)} (also states[${keyIndex.get(s.key)}])`);
      if (s.state.length > this.limits.maxStateBytes) throw new ValidationError('TOO_LARGE', `${where}: state is ${s.state.length} bytes; the limit is ${this.limits.maxStateBytes}`);
      keyIndex.set(s.key, i);
      const parsed = decodeState(s.state, where);
      if (parsed.reset !== undefined) resets.push({ key: s.key, reason: parsed.reset });
      // A reset key must be written back even if it only has empty windows.
      data.push({ ...parsed.data, touched: parsed.reset !== undefined });
    });
    return { keyIndex, data, resets };
  }

  private validateWindows(req: ScoringRequest, keyIndex: Map<string, number>): TradeColumns[] {
    const lastStart = new Map<string, number>();
    return req.windows.map((w, i) => {
      const where = `windows[${i}] (key ${w.key})`;
      const m = KEY_RE.exec(w.key);
      if (m === null) throw new ValidationError('BAD_KEY', `${where}: key ${JSON.stringify(w.key)} is not "<SYMBOL>/<interval>", e.g. "BTCUSDT/10s"`);
      if (m[1] !== w.symbol || m[2] !== w.interval) {
        throw new ValidationError('BAD_KEY', `${where}: key ${JSON.stringify(w.key)} does not match symbol ${JSON.stringify(w.symbol)} and interval ${JSON.stringify(w.interval)}`);
      }
      if (!keyIndex.has(w.key)) throw new ValidationError('MISSING_STATE', `${where}: key ${JSON.stringify(w.key)} has no entry in states (send an empty state for a new key)`);
      if (!(w.windowEndMs > w.windowStartMs)) {
        throw new ValidationError('BAD_WINDOW_BOUNDS', `${where}: window_end_ms ${w.windowEndMs} <= window_start_ms ${w.windowStartMs}`);
      }
      const last = lastStart.get(w.key);
      if (last !== undefined && w.windowStartMs <= last) {
        throw new ValidationError('WINDOW_ORDER', `${where}: window_start_ms ${w.windowStartMs} is not after the key's previous window in this bundle (${last}); windows of one key must be in increasing start order`);
      }
      lastStart.set(w.key, w.windowStartMs);
      const cols = w.trades;
      if (cols.length > this.limits.maxTradesPerWindow) throw new ValidationError('TOO_LARGE', `${where}: ${cols.length} trades; the limit is ${this.limits.maxTradesPerWindow}`);
      if (cols.length > 0) checkTrades(cols, w, where);
      return cols;
    });
  }

  private emptyResult(w: ScoringWindow, st: KeyStateData): Alert {
    const reason: Reason = { feature: 'trade_count', actual: 0, typical: 0, z: 0, detector: 'sidecar', text: 'empty window: no trades, not scored (state unchanged)' };
    return {
      symbol: w.symbol,
      interval: w.interval,
      windowStartMs: w.windowStartMs,
      windowEndMs: w.windowEndMs,
      close: Number.isFinite(st.prevClose) ? st.prevClose : 0,
      returnPct: 0,
      votes: 0,
      voters: 0,
      isAnomaly: false,
      confidence: 'NONE',
      severity: 0,
      type: 'UNSPECIFIED',
      reasons: [reason],
      detectorScores: [],
      features: { volume: 0, trade_count: 0, trade_rate: 0 },
      configVersion: this.configVersion,
      modelVersion: this.modelVersion,
      tradeCount: 0,
      market: marketContextOf(0, this.config.consensus.minVotes, 'UNSPECIFIED', 0, this.config.typology),
    };
  }

  private scoreWindow(w: ScoringWindow, cols: TradeColumns, st: KeyStateData & { touched?: boolean }, resets: { key: string; reason: string }[], where: string): Alert {
    const cfg = this.config;
    const raw = this.raw;
    computeFeatures(cols, w.windowEndMs - w.windowStartMs, st.prevClose, st.returns, cfg.momentumWindows, raw, where);
    bookFeatures(w.book, raw, this.bookExtra);
    raw[F.gapWindows] = Number.isFinite(st.prevStartMs) ? (w.windowStartMs - st.prevStartMs) / (w.windowEndMs - w.windowStartMs) : NaN;
    const x = this.x;
    for (let i = 0; i < x.length; i++) x[i] = this.schema.transform(i, raw[i]!);

    const before = st.ensemble;
    this.loadEnsemble(before, w.key, resets, where);
    const ds = this.ensemble.detectors;
    for (let i = 0; i < ds.length; i++) this.warm[i] = this.warmReported[i] = ds[i]!.isWarm() ? 1 : 0;
    if (this.hstRole === 'cold-start' && this.warm[this.HST] === 1) {
      // Cold-start role: hst is a voter only while the generic consensus cannot be reached.
      let warmGeneric = 0;
      for (let i = 0; i < this.soloFrom; i++) warmGeneric += this.warm[i]!;
      if (warmGeneric >= cfg.consensus.minVotes) this.warm[this.HST] = 0;
    }
    // Score-only detectors are reported (warmReported) but never take part in the decision.
    for (let i = this.scoreOnlyFrom; i < ds.length; i++) this.warm[i] = 0;
    // The budget channels' statistics need the baselines the window is judged by: before learning.
    if (cfg.budget.enabled) this.channelStatistics(x, st);
    this.ensemble.scoreThenLearn(x, this.scores);
    const after = this.ensemble.saveState();
    const decision = decide(this.scores, this.warm, this.thresholds, cfg.consensus.minVotes, this.ratios, this.soloFrom);
    this.lastDecision = decision;

    // The alert budget (decision 070): a window alerts when one of its channels passes, i.e. is
    // at or above its fixed threshold and, once calibrated, above this key's own level for it.
    const budget = this.budgetOf(st, decision, w.windowEndMs);
    const candidate = budget.candidate;

    let reasons: Reason[] = [];
    let type: Alert['type'] = 'UNSPECIFIED';
    if (decision.votes > 0) {
      // Explain against the baseline the window was judged by, i.e. before it was learned.
      this.loadEnsemble(before, w.key, undefined, where);
      reasons = this.explain(x, raw);
      if (decision.isAnomaly || candidate) type = anomalyType(reasons, raw[F.volumeImbalance]!, cfg.typology.oneSidedImbalance, raw[F.maxBuyBurst]!, cfg.typology.pumpMinBurst, cfg.typology.pumpMinRush, this.rushLevel());
      reasons = reasons.slice(0, cfg.consensus.maxReasons);
    }
    if (decision.isAnomaly && !candidate) {
      reasons.push({
        feature: 'budget',
        actual: decision.statistic,
        typical: budget.level,
        z: 0,
        detector: 'budget',
        text: `within this symbol's alert budget: statistic ${decision.statistic.toFixed(2)} below its calibrated level ${budget.level.toFixed(2)} (${cfg.budget.alertsPerDay} alerts a day on normal data; not alerted)`,
      });
    }
    const inc = st.incident;
    const openedAt = inc.startMs;
    const step = stepIncident(inc, candidate, type === 'VOLATILITY_REGIME_SHIFT', type, w.windowStartMs, cfg.consensus);
    if (step === 'continue') {
      reasons.push({ feature: 'incident', actual: inc.windows, typical: 0, z: 0, detector: 'consensus', text: `continues the incident opened at ${new Date(openedAt).toISOString()} (window ${inc.windows}; no new alert)` });
    } else if (step === 'pending') {
      reasons.push({ feature: 'incident', actual: inc.pending, typical: cfg.consensus.persistWindows, z: 0, detector: 'consensus', text: `volatility shift for ${inc.pending} of ${cfg.consensus.persistWindows} windows needed before it alerts` });
    }

    st.prevClose = raw[F.close]!;
    st.prevStartMs = w.windowStartMs;
    const lr = raw[F.logReturn]!;
    if (Number.isFinite(lr)) {
      st.returns.push(lr);
      if (st.returns.length > cfg.momentumWindows - 1) st.returns.splice(0, st.returns.length - (cfg.momentumWindows - 1));
    }
    st.ensemble = after;
    st.touched = true;

    const features: Record<string, number> = {};
    const names = this.schema.names;
    for (let i = 0; i < names.length; i++) if (!Number.isNaN(raw[i]!)) features[names[i]!] = raw[i]!;
    if (!Number.isNaN(raw[F.vwap]!)) features['vwap'] = raw[F.vwap]!;
    Object.assign(features, this.bookExtra);

    return {
      symbol: w.symbol,
      interval: w.interval,
      windowStartMs: w.windowStartMs,
      windowEndMs: w.windowEndMs,
      close: raw[F.close]!,
      returnPct: raw[F.returnPct]!,
      votes: decision.votes,
      voters: decision.voters,
      // One alert per incident: only its opening window reaches the alerts topic.
      isAnomaly: step === 'open',
      confidence: decision.confidence,
      // A key the budget has not initialised yet (its first initWindows) is scored on the global
      // points, which are BTC's: on a thin market they rank every early alert 100. Capped at
      // UNCALIBRATED_SEVERITY_MAX so that a day's worst incident, once calibrated, ranks above them.
      severity: budget.severity ?? (cfg.budget.enabled ? Math.min(UNCALIBRATED_SEVERITY_MAX, severityOf(decision.statistic, cfg.severity)) : severityOf(decision.statistic, cfg.severity)),
      type,
      reasons,
      detectorScores: this.names.map((name, i) => ({ detector: name, score: this.scores[i]!, vote: this.warm[i] === 1 && this.scores[i]! >= this.thresholds[i]!, warm: this.warmReported[i] === 1 })),
      features,
      configVersion: this.configVersion,
      modelVersion: this.modelVersion,
      tradeCount: cols.length,
      // Cross-symbol typing happens where every symbol's window is seen (market.ts).
      market: marketContextOf(decision.votes, cfg.consensus.minVotes, type, raw[F.returnPct]!, cfg.typology),
    };
  }

  /**
   * Same-millisecond taker buys that make a rush on this key: pumpRushRatio x its typical burst
   * (the z-score detector's EWMA of log1p(max_buy_burst)), at least pumpMinRush; Infinity while
   * the baseline is unknown. A pump is retail buying in a hurry: many market buys in the same
   * millisecond, far more than the symbol's own rhythm (La Morgia et al.'s "rush orders").
   */
  private rushLevel(): number {
    const t = this.zscore.typical('max_buy_burst');
    const typical = t === undefined || !Number.isFinite(t.mean) ? NaN : Math.expm1(t.mean);
    const ty = this.config.typology;
    return Number.isFinite(typical) ? Math.max(ty.pumpMinRush, ty.pumpRushRatio * typical) : Infinity;
  }

  /**
   * Each budget channel's statistic for x (in multiples of its fixed threshold) into
   * this.channels, against the pre-learn baselines (BUDGET_CHANNELS order; the generic one is
   * the consensus statistic, filled in by budgetOf):
   * - price: |window return| / (1.2533 x its EW mean absolute value, kept in the key state and
   *   not learned from windows past the z-score gate) / the z-score threshold. The generic
   *   consensus needs two detectors to agree, and on a thin market their other features (lumpy
   *   volumes, one-trade counts) fill its tail, so a 1 % move had a consensus of 1.7 under a
   *   level of 13 (decision 070). The MAD detector's scale collapses (most of a thin market's
   *   window returns are exactly 0) and the z-score detector's EWMA variance is squared, so every
   *   partly-seen move inflates it; a mean absolute deviation is neither. This channel alerts only
   *   once calibrated: it has no fixed-threshold path. (Mutates the key's absReturn: learning.)
   * - burst, flow, volatility, spread: the activity detector's components / their levels.
   */
  private channelStatistics(x: Float64Array, st: KeyStateData): void {
    const ch = this.channels;
    ch.fill(0);
    const lr = x[F.logReturn]!;
    if (!Number.isNaN(lr)) {
      const floor = this.schema.minScales[F.logReturn]!;
      const warm = st.absReturnCount >= this.config.detectors.zscore.warmUp;
      // sigma-equivalent of the mean absolute deviation (normal data): 1.2533 x mean |r|.
      const z = Math.abs(lr) / Math.max(MEAN_AD_TO_SIGMA * st.absReturn, floor);
      if (warm) ch[PRICE_CHANNEL] = z / this.thresholds[Z]!;
      // Learned unless the window is itself far out (at the z-score detector's threshold): the
      // scale of normal moves, not of the anomalies it is meant to expose (learned up to the gate,
      // every partly-seen injected move lifted the scale and the next one scored lower).
      if (!(warm && z >= this.thresholds[Z]!)) {
        const a = 1 - Math.pow(2, -1 / this.config.detectors.zscore.halfLife);
        st.absReturn = Number.isFinite(st.absReturn) ? st.absReturn + a * (Math.abs(lr) - st.absReturn) : Math.abs(lr);
        st.absReturnCount++;
      }
    }
    if (this.warm[this.ACT] === 1) {
      const a = this.activity;
      const c = a.components(x, this.comps);
      ch[PRICE_CHANNEL + 1] = c.burst / a.burstZ;
      ch[PRICE_CHANNEL + 2] = a.flowLevel(c.flow);
      ch[PRICE_CHANNEL + 3] = c.vol / a.volZ;
      ch[PRICE_CHANNEL + 4] = c.spread / a.spreadZ;
    }
  }

  /**
   * The alert budget for one window, and the window learned into the key's tail calibrations
   * (mutates st.tails). One calibration per channel (BUDGET_CHANNELS), each with an equal share of
   * the budget, because the channels' tails differ by orders of magnitude on a thin market: one
   * shared calibration let the heaviest (lumpy volume and flow) set the bar for all, and every
   * injected price move fell under it. A channel passes when it made a candidate by the fixed
   * thresholds (the generic consensus; an activity component at the detector's threshold) and is
   * uncalibrated or above its level; the price channel passes only calibrated and above its level.
   * Only windows with warm detectors take part: a cold ensemble's statistic is 0.
   * `severity`: from the smallest calibrated tail probability of the channels (undefined = the
   * global severity points). `level`: the generic channel's level, for the reason text.
   */
  private budgetOf(st: KeyStateData, decision: Decision, timeMs: number): { candidate: boolean; level: number; severity: number | undefined } {
    const b = this.config.budget;
    if (!b.enabled || decision.voters === 0) return { candidate: decision.isAnomaly, level: NaN, severity: undefined };
    const cfg = { ...b, alertsPerDay: b.alertsPerDay / BUDGET_CHANNELS.length };
    const ch = this.channels;
    ch[0] = decision.generic;
    const actThreshold = this.thresholds[this.ACT]!;
    let candidate = false;
    let p = Infinity;
    let genericLevel = NaN;
    let ready = false;
    for (let c = 0; c < ch.length; c++) {
      const v = ch[c]!;
      const tail = st.tails[c]!;
      const y = tailY(v);
      const level = tailThreshold(tail, cfg, budgetQ(tail, cfg));
      const warm = Number.isFinite(level) && isTailReady(tail, cfg);
      // Severity already from the provisional tail (after its first initWindows): the global
      // points are BTC's, and on a thin market they put every early alert at 100.
      if (Number.isFinite(level) && v > 0) p = Math.min(p, tailProbability(tail, y));
      if (warm) ready = true;
      if (c === 0) genericLevel = warm ? Math.expm1(level) : NaN;
      const fixed = c === 0 ? decision.genericCandidate : c === PRICE_CHANNEL ? false : this.warm[this.ACT] === 1 && v >= actThreshold;
      if (c === PRICE_CHANNEL ? warm && v >= 1 && y >= level : fixed && (!warm || y >= level)) candidate = true;
      learnTail(tail, cfg, y, timeMs, level);
    }
    // A solo vote that is not the activity detector's (hst in its cold-start role: a new key,
    // before any calibration can exist) passes as the fixed thresholds say.
    if (decision.soloCandidate && !(this.warm[this.ACT] === 1 && this.scores[this.ACT]! >= actThreshold)) candidate = true;
    // A provisional tail (before minHistoryDays) is fitted to a few hours and is light: its tiny p
    // ranked early ordinary windows with a later pump. Capped until a channel is ready.
    const cap = ready ? 100 : PROVISIONAL_SEVERITY_MAX;
    const severity = Number.isFinite(p) ? (p > 0 ? Math.max(0, Math.min(cap, Math.round((100 * Math.log10(1 / p)) / b.decades))) : cap) : undefined;
    return { candidate, level: genericLevel, severity };
  }

  /**
   * Unreadable detector entries (another detector config or version) restart cold and are
   * reported; a blob that is not an ensemble at all is a client bug (BAD_STATE).
   */
  private loadEnsemble(bytes: Uint8Array, key: string, resets: { key: string; reason: string }[] | undefined, where: string): void {
    try {
      const report = this.ensemble.loadState(bytes, { onIncompatible: 'reset' });
      if (resets !== undefined && report.incompatible.length > 0) resets.push({ key, reason: `detector state incompatible, restarted cold: ${report.incompatible.join(', ')}` });
      // A detector new in this config (no entry in an existing key's blob, e.g. hst after an
      // upgrade) starts cold: reported once per key like a reset, so it is logged and counted.
      if (resets !== undefined && bytes.length > 0 && report.cold.length > report.incompatible.length) {
        const added = report.cold.filter((n) => !report.incompatible.includes(n));
        resets.push({ key, reason: `detector state missing (new detector), started cold: ${added.join(', ')}` });
      }
    } catch (err) {
      if (err instanceof StateFormatError) throw new ValidationError('BAD_STATE', `${where}: ${err.message}`, { cause: err });
      if (err instanceof DetectorStateError) {
        // Ensemble-level version skew: the ensemble has already reset itself to cold.
        if (resets !== undefined) resets.push({ key, reason: `${err.message}; restarted cold` });
        return;
      }
      throw err;
    }
  }

  /**
   * Reasons: for each voting detector, the features it finds unusual (|z| >= its threshold),
   * one reason per feature (the strongest), strongest first (the caller keeps maxReasons). Runs only for
   * windows with votes, so its allocations do not matter.
   */
  private explain(x: Float64Array, raw: Float64Array): Reason[] {
    const names = this.schema.names;
    const best = new Map<number, Candidate>();
    const offer = (c: Candidate): void => {
      const prev = best.get(c.feature);
      if (Number.isFinite(c.z) && (prev === undefined || Math.abs(c.z) > Math.abs(prev.z))) best.set(c.feature, c);
    };
    const zTypical = (i: number): number => this.zscore.typical(names[i]!)?.mean ?? NaN;
    const voted = (d: number): boolean => this.warm[d] === 1 && this.scores[d]! >= this.thresholds[d]!;

    if (voted(Z)) {
      const zs = this.zscore.explain(x);
      for (let i = 0; i < names.length; i++) {
        const z = zs[names[i]!] ?? NaN;
        if (Math.abs(z) >= this.thresholds[Z]!) offer({ feature: i, z, typical: zTypical(i), detector: ALL_DETECTORS[Z] });
      }
    }
    if (voted(MAD)) {
      for (let i = 0; i < names.length; i++) {
        const t = this.mad.typical(names[i]!);
        if (t === undefined || Number.isNaN(x[i]!)) continue;
        const z = (x[i]! - t.median) / t.sigma;
        if (Math.abs(z) >= this.thresholds[MAD]!) offer({ feature: i, z, typical: t.median, detector: ALL_DETECTORS[MAD] });
      }
    }
    if (voted(VOL)) {
      // The regime detector's score is max(return shock, vol shift); probing with one input
      // masked at a time tells which part fired, using only its pure score().
      const p = this.probe;
      p.set(x);
      p[F.realizedVol] = NaN;
      const shock = this.vol.score(p);
      if (shock >= this.thresholds[VOL]! && !Number.isNaN(x[F.logReturn]!)) {
        offer({ feature: F.logReturn, z: Math.sign(x[F.logReturn]!) * shock, typical: zTypical(F.logReturn), detector: ALL_DETECTORS[VOL] });
      }
      p.set(x);
      p[F.logReturn] = NaN;
      const shift = this.vol.score(p);
      if (shift >= this.thresholds[VOL]!) {
        const typical = zTypical(F.realizedVol);
        offer({ feature: F.realizedVol, z: (x[F.realizedVol]! >= typical ? 1 : -1) * shift, typical, detector: ALL_DETECTORS[VOL] });
      }
    }
    // The density and model detectors name no feature themselves; each one's own normaliser tells
    // which features are far from this symbol's typical values (the strongest one at least).
    const offerZ = (zs: { feature: number; z: number; typical: number }[], detector: string, reasonZ: number): void => {
      let top: (typeof zs)[number] | undefined;
      for (const c of zs) {
        if (!Number.isFinite(c.z)) continue;
        if (top === undefined || Math.abs(c.z) > Math.abs(top.z)) top = c;
        if (Math.abs(c.z) >= reasonZ) offer({ ...c, detector });
      }
      if (top !== undefined) offer({ ...top, detector });
    };
    if (this.HST >= 0 && voted(this.HST)) offerZ(this.hst!.explainZ(x), 'hst', this.config.detectors.hst.reasonZ);
    for (const m of this.modelDetectors) if (voted(m.index)) offerZ(m.detector.explainZ(x), this.names[m.index]!, this.config.models.reasonZ);
    const ACT = this.ACT;
    const extra: Reason[] = [];
    if (voted(ACT)) {
      // The specialist's components, against the baseline the window was judged by (pure).
      const a = this.activity;
      const c = a.components(x, this.comps);
      if (c.burst >= a.burstZ) {
        offer({ feature: F.volume, z: c.volumeZ, typical: Math.log1p(c.typicalVolume), detector: 'activity' });
        if (Number.isFinite(c.countZ)) offer({ feature: F.tradeCount, z: c.countZ, typical: Math.log1p(c.typicalCount), detector: 'activity' });
      }
      if (c.vol >= a.volZ) offer({ feature: F.realizedVol, z: c.vol, typical: c.typicalVol, detector: 'activity' });
      if (c.spread >= a.spreadZ) {
        const spread = raw[F.spreadBps]!;
        extra.push({ feature: 'spread_bps', actual: spread, typical: c.typicalSpread, z: c.spreadZ, detector: 'activity', text: spreadText(spread, c.typicalSpread, c.spreadZ, this.bookExtra['spread_bps_max'], this.bookExtra['depth_quote_min']) });
      }
      // A burst that happens to follow a one-sided window is a burst: flow is the headline only
      // when it is at least as far past its level as the burst is past its own.
      if (c.flow >= a.flowVolumes && a.flowLevel(c.flow) >= c.burst / a.burstZ) {
        const flow = Math.sign(c.h) * c.flow;
        // z in the component's own unit: multiples of its alert level.
        extra.push({ feature: 'taker_flow', actual: flow, typical: a.flowVolumes, z: flow / a.flowVolumes, detector: 'activity', text: reasonText('taker_flow', flow, a.flowVolumes, flow / a.flowVolumes) });
      }
    }
    const sorted = [...best.values()].sort((a, b) => Math.abs(b.z) - Math.abs(a.z) || a.feature - b.feature);
    return [...extra, ...sorted.map((c) => {
      const name = names[c.feature]!;
      const actual = raw[c.feature]!;
      // Baselines live in transformed space; reasons speak the feature's own units.
      const typical = this.schema.transforms[c.feature] === 'log1p' ? Math.expm1(c.typical) : c.typical;
      return { feature: name, actual, typical, z: c.z, detector: c.detector, text: reasonText(name, actual, typical, c.z) };
    })];
  }
}
