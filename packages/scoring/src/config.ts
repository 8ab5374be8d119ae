import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError, parseConfig, z } from '@crypto-anomaly/common';
import { TAIL_DEFAULTS, TAIL_MAX_TOP } from '@crypto-anomaly/detectors';
import { DEFAULT_VOTE_FEATURES, SCORED_FEATURES } from './features.js';

export { DEFAULT_VOTE_FEATURES };

/**
 * The scoring configuration: everything that shapes a result (detectors, consensus, alert budget,
 * severity, typology, models). Defaults live here and nowhere else. It is the `scoring` section of
 * the sidecar's config file (udf-server composes it with its server, limits and metrics
 * sections) and what `configVersion` hashes, so moving a port does not change alerts' versions.
 * Every error names the field, e.g. "invalid scoring config: detectors.zscore.threshold: ...".
 */
const detectorBase = {
  /** Score at or above which the detector votes "anomalous" (the detector's own units). */
  threshold: z.number().positive(),
  /** Windows learned before the detector's vote counts. */
  warmUp: z.number().int().min(2).max(100_000),
  /**
   * Learning gate (GatedDetector): a warm score at or above this is not learned, so an anomaly
   * cannot inflate the baseline meant to expose the next one. Must be >= threshold.
   */
  gate: z.number().positive(),
};

/** Features the generic z-score and MAD detectors vote on: DEFAULT_VOTE_FEATURES (features.ts, from the feature table) by default. */
const voteFeatures = z
  .array(z.enum(SCORED_FEATURES))
  .min(1)
  .refine((a) => new Set(a).size === a.length, 'features must not repeat')
  .default(() => [...DEFAULT_VOTE_FEATURES] as (typeof SCORED_FEATURES)[number][]);

/** Measured by `crypto-backtest --loop 20` (report `calibration`) on the bundled real tape (docs/decisions/061). */
export const DEFAULT_SEVERITY_POINTS: readonly { ratio: number; p: number }[] = Object.freeze([
  // Re-measured after the activity detector joined the statistic (decision 063); were 0.275 / 0.504 / 1.131 / 2.147.
  { ratio: 0.292, p: 0.5 },
  { ratio: 0.554, p: 0.1 },
  { ratio: 1.434, p: 0.01 },
  { ratio: 2.147, p: 0.001 },
]);

/**
 * Half-space trees defaults (decision 067): 25 trees of height 3 (the size decision 011 measured
 * best in 9 dimensions), a 16-window reference and 8 normaliser windows, so it is warm at window
 * 24, before the generic detectors (30-32), which is the cold start it covers.
 */
export const HST_DEFAULTS = Object.freeze({ threshold: 2, warmUp: 24, trees: 25, height: 3, window: 16, seed: 42, squash: 0.5 });
export const HST_DEFAULT_FEATURES: readonly string[] = Object.freeze(['log_return', 'volume', 'trade_count', 'realized_vol', 'momentum']);
/** Per-key state the half-space trees may take (the whole key state's budget is 4 KB). */
export const HST_MAX_STATE_BYTES = 1536;
export function hstStateBytes(trees: number, height: number, features: number): number {
  return 9 + 8 * features + 2 * trees * (2 ** (height + 1) - 1);
}

/**
 * Roles of a model detector: "vote" = one of the generic detectors counted towards
 * consensus.minVotes; "score-only" = scored and reported in detectorScores (vote: false) but never
 * part of the decision; "off" = not in the ensemble (no state, no cost).
 */
export const MODEL_ROLES = ['vote', 'score-only', 'off'] as const;
export type ModelRole = (typeof MODEL_ROLES)[number];

/**
 * Model detector defaults (decision 069, measured with `crypto-backtest --loop 20 --models DIR` on
 * models from `crypto-train`'s defaults). Role score-only: as voters they detected nothing the other
 * detectors miss and, near their clean maxima, added false alerts. The thresholds are for the vote
 * role, above every clean window of the bundled tape with a margin (clean max: isolation 0.65-0.69,
 * k-means 2.2-2.5 radii, GMM 42-46 nats), in each detector's own unit: isolation score in (0, 1],
 * k-means distance in cluster radii, GMM negative log-likelihood in nats.
 */
export const MODEL_DEFAULTS = Object.freeze({
  halfLife: 120,
  reasonZ: 3,
  isolationForest: Object.freeze({ role: 'score-only' as ModelRole, threshold: 0.75, warmUp: 30 }),
  kmeans: Object.freeze({ role: 'score-only' as ModelRole, threshold: 3.5, warmUp: 30 }),
  gmm: Object.freeze({ role: 'score-only' as ModelRole, threshold: 80, warmUp: 30 }),
});

function modelDetector(d: { role: ModelRole; threshold: number; warmUp: number }) {
  return z
    .strictObject({
      role: z.enum(MODEL_ROLES).default(d.role),
      /** Score at or above which the detector votes (its own unit; see MODEL_DEFAULTS). */
      threshold: z.number().positive().max(1e12).default(d.threshold),
      /** Windows its normaliser learns before it scores (the trainer's --warm-up should match). */
      warmUp: detectorBase.warmUp.default(d.warmUp),
    })
    .prefault({});
}

export const scoringSchema = z
  .strictObject({
    /** momentum = sum over k = 0..N-1 of (1 - k/N) x the log return k windows back (features.ts). */
    momentumWindows: z.number().int().min(1).max(64).default(5),
    detectors: z
      .strictObject({
        zscore: z
          .strictObject({ ...detectorBase, threshold: detectorBase.threshold.default(5), warmUp: detectorBase.warmUp.default(30), gate: detectorBase.gate.default(8), halfLife: z.number().min(1).max(1e6).default(120), features: voteFeatures })
          .prefault({}),
        mad: z
          .strictObject({ ...detectorBase, threshold: detectorBase.threshold.default(8), warmUp: detectorBase.warmUp.default(32), gate: detectorBase.gate.default(10), window: z.number().int().min(8).max(1024).default(32), features: voteFeatures })
          .prefault({}),
        volatility: z
          .strictObject({ ...detectorBase, threshold: detectorBase.threshold.default(4), warmUp: detectorBase.warmUp.default(30), gate: detectorBase.gate.default(8), lambda: z.number().min(0.5).max(0.9999).default(0.94) })
          .prefault({}),
        /**
         * The typed specialist (packages/detectors ActivityDetector, decision 063): volume burst,
         * persistent one-sided flow and volatility shift against robust log-space baselines. Its
         * score is in multiples of the component alert levels below, so threshold 1 = "a level is
         * reached"; a vote of this detector alone makes a candidate (it is not one of minVotes).
         */
        activity: z
          .strictObject({
            ...detectorBase,
            threshold: detectorBase.threshold.default(1),
            warmUp: detectorBase.warmUp.default(32),
            gate: detectorBase.gate.default(1),
            window: z.number().int().min(8).max(1024).default(32),
            /** Mean robust z of ln(volume) and ln(trade count) that is a volume burst. */
            burstZ: z.number().positive().max(1000).default(3),
            /** Net one-sided taker volume, in typical window volumes, two windows in a row, that is one-sided flow. */
            flowVolumes: z.number().positive().max(1e6).default(1),
            /** Robust z of ln(realized vol) that is a volatility shift (it must also persist consensus.persistWindows). */
            volZ: z.number().positive().max(1000).default(3),
            // Spread blowout (book tickers, decision 066): robust sigmas of ln(spread_bps), scale floored at spreadMinScale.
            spreadZ: z.number().positive().max(1000).default(5),
            spreadMinScale: z.number().min(0.001).max(10).default(0.1),
          })
          .prefault({}),
        /**
         * Half-space trees (packages/detectors HalfSpaceTreesDetector, decision 067): the online
         * density learner, scoring the window in the symbol's own z-space (its own EW normaliser,
         * decision 011) in bits of surprise. Tree structure comes from `seed` (config, never state);
         * per-key state is 2 one-byte masses per node + 8 bytes per feature. `role`:
         * - "cold-start" (default): votes only while fewer than consensus.minVotes of the generic
         *   detectors (zscore, mad, volatility, model detectors with role "vote") are warm, i.e. while the consensus could not be
         *   reached at all; then its vote alone makes a candidate. It warms up first (warmUp
         *   below 30), so a new symbol is covered from its warmUp-th window on.
         * - "vote": one of the generic detectors, counted towards consensus.minVotes.
         * - "off": not in the ensemble (no state, no cost).
         * `warmUp` is the total number of windows before it votes: the normaliser warms for
         * warmUp - window windows, then one full reference window of masses is collected.
         */
        hst: z
          .strictObject({
            role: z.enum(['cold-start', 'vote', 'off']).default('cold-start'),
            threshold: detectorBase.threshold.default(HST_DEFAULTS.threshold),
            warmUp: detectorBase.warmUp.default(HST_DEFAULTS.warmUp),
            trees: z.number().int().min(1).max(100).default(HST_DEFAULTS.trees),
            height: z.number().int().min(1).max(8).default(HST_DEFAULTS.height),
            /** Windows per reference mass window (masses are single bytes: <= 255). */
            window: z.number().int().min(2).max(255).default(HST_DEFAULTS.window),
            seed: z.number().int().min(0).max(0xffffffff).default(HST_DEFAULTS.seed),
            /** Normaliser half-life, windows. */
            halfLife: z.number().min(1).max(1e6).default(120),
            /** Slope k of the squash u = 1 / (1 + e^(-k z)) into the unit cube (1.702 = normal CDF; smaller spreads the tails). */
            squash: z.number().min(0.001).max(100).default(HST_DEFAULTS.squash),
            /** |z| (in its own normaliser) at or above which a feature is named in a reason of its vote. */
            reasonZ: z.number().positive().max(1000).default(3),
            /** Fewer features = more splits per feature on a path of `height` (5 features: 0.6 per path). */
            features: z
              .array(z.enum(SCORED_FEATURES))
              .min(1)
              .refine((a) => new Set(a).size === a.length, 'features must not repeat')
              .default(() => [...HST_DEFAULT_FEATURES] as (typeof SCORED_FEATURES)[number][]),
          })
          .prefault({}),
      })
      .prefault({}),
    consensus: z
      .strictObject({
        /** A window is a candidate when at least this many warm detectors vote. */
        minVotes: z.number().int().min(1).max(3).default(2),
        /** At most this many reasons per result, strongest first. */
        maxReasons: z.number().int().min(1).max(9).default(3),
        /**
         * One alert per incident: consecutive candidate windows of a key merge into one incident,
         * which closes after this many quiet windows in a row (0 = at the first quiet window).
         * Only the window that opens an incident has is_anomaly (goes to the alerts topic).
         */
        coolDownWindows: z.number().int().min(0).max(10_000).default(3),
        /**
         * A candidate whose only evidence is realized volatility (a volatility regime shift) must
         * persist this many windows before it opens an incident: a regime is not one busy window.
         */
        persistWindows: z.number().int().min(1).max(100).default(2),
      })
      .prefault({}),
    /**
     * Severity 0-100 from the consensus statistic s (the minVotes-th largest score/threshold
     * ratio among warm detectors), calibrated on its quantiles over clean real windows
     * (`crypto-backtest`, report field `calibration`): `points` are (ratio, exceedance probability) pairs from that
     * run; p(s) is log-linear between them (extrapolated with the last slope), and
     * severity = round(100 x min(1, log10(1/p) / decades)): 20 = one window in 10, 40 = one in 100,
     * 100 = one in 10^decades or rarer.
     */
    severity: z
      .strictObject({
        decades: z.number().min(1).max(12).default(5),
        points: z
          .array(z.strictObject({ ratio: z.number().min(0), p: z.number().gt(0).max(1) }))
          .min(2)
          .default(() => DEFAULT_SEVERITY_POINTS.map((p) => ({ ...p }))),
      })
      .prefault({}),
    /**
     * The alert budget (docs/decisions/070): per key, the consensus statistic's own tail is
     * calibrated online (peaks over threshold, packages/detectors tail.ts) and a candidate alerts
     * only when its statistic is also above the level this key's normal windows exceed
     * `alertsPerDay` times a day. Fixed thresholds stay the floor: a liquid symbol whose clean tail
     * is below them alerts exactly as before; a thin one (bid-ask bounce, one-trade windows) gets
     * a higher bar of its own. While a key's calibration is cold (its first `initWindows` scored
     * windows) only the fixed thresholds apply. Calibrated keys get their severity from the same
     * tail: p = the per-window exceedance probability, severity = 100 x log10(1/p) / decades.
     */
    budget: z
      .strictObject({
        enabled: z.boolean().default(true),
        /** Target alerts per key (symbol and interval) per day on normal data. */
        alertsPerDay: z.number().gt(0).max(10_000).default(TAIL_DEFAULTS.alertsPerDay),
        /** Scored windows (with warm detectors) before the calibration answers. */
        initWindows: z.number().int().min(16).max(100_000).default(TAIL_DEFAULTS.initWindows),
        /** The initial threshold is the initTop-th largest statistic of the first initWindows. */
        initTop: z.number().int().min(4).max(TAIL_MAX_TOP).default(TAIL_DEFAULTS.initTop),
        /** Half-life of what the calibration learned, in scored windows. */
        halfLifeWindows: z.number().min(100).max(1e9).default(TAIL_DEFAULTS.halfLifeWindows),
        /** Days of this key's windows (at its own rate) learned before the budget gates anything. */
        minHistoryDays: z.number().min(0).max(365).default(TAIL_DEFAULTS.minHistoryDays),
        /** Severity 100 = a window this key's normal data exceeds once in 10^decades windows or fewer. */
        decades: z.number().min(1).max(30).default(12),
      })
      .strict()
      .prefault({}),
    typology: z
      .strictObject({
        /**
         * |taker imbalance| at or above which a ONE-window volume alert is ONE_SIDED_FLOW. Default
         * 1 (all volume on one side): one-sided flow is typed from the activity detector's
         * persistent net taker volume, not from a ratio that quiet windows reach at random
         * (0.9 typed 13 of 89 injected volume bursts as one-sided; decision 063).
         */
        oneSidedImbalance: z.number().min(0).max(1).default(1),
        /**
         * An upward price alert with at least this many taker buys in one millisecond is a
         * PUMP_PATTERN (the bundled BTC/ETH tape's largest natural burst is 82).
         */
        pumpMinBurst: z.number().int().min(2).default(100),
        /**
         * ...and one whose same-millisecond buy burst is unusual for the symbol is a pump only with
         * at least this many taker buys in one millisecond (a rush, not one buy on a quiet market).
         */
        pumpMinRush: z.number().int().min(1).default(5),
        /** ...or, for an upward price alert, a same-millisecond buy burst this many times the symbol's typical one (and at least pumpMinRush). */
        pumpRushRatio: z.number().min(1).max(1e6).default(8),
        /**
         * MARKET_WIDE_MOVE needs at least this many symbols moving together in one window... The
         * rule travels on each result (Alert.market); the Flink job's market-context stage, which
         * sees every symbol's window, applies it (udf-server/src/market.ts, decision 068).
         */
        marketWideMinSymbols: z.number().int().min(2).max(10_000).default(2),
        /** ...and at least this share of the symbols with trades in that window. */
        marketWideShare: z.number().gt(0).max(1).default(0.5),
      })
      .prefault({}),
    /**
     * The offline-trained shared models (decision 069): isolation forest, k-means and diagonal GMM
     * scoring the symbol's own z-space (decisions 011/012), trained by `crypto-train`
     * (packages/backtest). Absent `dir` = the model detectors are off (no state, no cost).
     */
    models: z
      .strictObject({
        /**
         * Directory holding manifest.json, isolation-forest.json, kmeans.json and gmm.json as
         * `crypto-train --out DIR` writes them (relative paths are relative to the working
         * directory). Read and validated when the config is loaded (start-up, reload) and again
         * when one of those files changes; never while scoring.
         */
        dir: z.string().min(1).max(4096).optional(),
        /**
         * Half-life (windows) of each model detector's per-symbol normaliser. Must equal the
         * half-life the models were trained with (manifest zSpace.halfLife), or the models would
         * score another z-space than they learned: a mismatch fails the load.
         */
        halfLife: z.number().min(1).max(1e6).default(MODEL_DEFAULTS.halfLife),
        /** |z| (in the model detector's own normaliser) at or above which a feature is named in a reason of its vote. */
        reasonZ: z.number().positive().max(1000).default(MODEL_DEFAULTS.reasonZ),
        isolationForest: modelDetector(MODEL_DEFAULTS.isolationForest),
        kmeans: modelDetector(MODEL_DEFAULTS.kmeans),
        gmm: modelDetector(MODEL_DEFAULTS.gmm),
      })
      .prefault({}),
    /**
     * Stamped on every result when no models are loaded ("none" by default). With models loaded
     * (`models.dir`) the manifest's model version is stamped instead, and a value other than
     * "none" here is a pin: loading fails unless the directory holds exactly that version.
     */
    modelVersion: z.string().min(1).max(128).default('none'),
  })
  .prefault({})
  .superRefine((s, ctx) => {
    const pts = s.severity.points;
    for (let i = 1; i < pts.length; i++) {
      if (!(pts[i]!.ratio > pts[i - 1]!.ratio) || !(pts[i]!.p < pts[i - 1]!.p)) {
        ctx.addIssue({ code: 'custom', path: ['severity', 'points', i], message: 'points must have increasing ratio and decreasing p' });
      }
    }
    if (s.budget.initTop >= s.budget.initWindows) ctx.addIssue({ code: 'custom', path: ['budget', 'initTop'], message: `must be < initWindows (${s.budget.initWindows})` });
    const h = s.detectors.hst;
    if (h.warmUp < h.window + 2) ctx.addIssue({ code: 'custom', path: ['detectors', 'hst', 'warmUp'], message: `must be >= window + 2 (${h.window + 2}): the normaliser warms for warmUp - window windows, at least 2` });
    const hstBytes = hstStateBytes(h.trees, h.height, h.features.length);
    if (hstBytes > HST_MAX_STATE_BYTES) {
      ctx.addIssue({ code: 'custom', path: ['detectors', 'hst', 'trees'], message: `trees x (2^(height+1) - 1) x 2 + 8 x features + 9 = ${hstBytes} bytes of state per key; the limit is ${HST_MAX_STATE_BYTES} (the whole key state must stay <= 4 KB)` });
    }
    for (const name of ['zscore', 'mad', 'volatility', 'activity'] as const) {
      const d = s.detectors[name];
      if (d.gate < d.threshold) ctx.addIssue({ code: 'custom', path: ['detectors', name, 'gate'], message: `gate (${d.gate}) must be >= threshold (${d.threshold})` });
      if (name === 'mad' && s.detectors.mad.warmUp < 5) ctx.addIssue({ code: 'custom', path: ['detectors', 'mad', 'warmUp'], message: 'must be >= 5' });
    }
  });


export type ScoringConfig = Readonly<z.output<typeof scoringSchema>>;
export type ScoringConfigInput = z.input<typeof scoringSchema>;

export function parseScoringConfig(input: unknown = {}): ScoringConfig {
  return parseConfig(scoringSchema, input, 'scoring');
}

/**
 * The `scoring` section of a sidecar config file (the other sections are the sidecar's business),
 * for tools that score in process (the backtest, the trainer); defaults without a file.
 * `modelsDir` overrides scoring.models.dir (a flag).
 */
export function loadScoringConfig(options: { file?: string | undefined; modelsDir?: string | undefined } = {}): ScoringConfig {
  let section: Record<string, unknown> = {};
  if (options.file !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(options.file, 'utf8'));
    } catch (err) {
      throw new ConfigError(`cannot read config file ${options.file}: ${(err as Error).message}`, { cause: err });
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`config file ${options.file}: top level must be a JSON object`);
    const s = (parsed as Record<string, unknown>)['scoring'] ?? {};
    if (s === null || typeof s !== 'object' || Array.isArray(s)) throw new ConfigError(`config file ${options.file}: scoring must be a JSON object`);
    section = { ...(s as Record<string, unknown>) };
  }
  if (options.modelsDir !== undefined) {
    const models = section['models'];
    section['models'] = { ...(models !== null && typeof models === 'object' ? (models as Record<string, unknown>) : {}), dir: options.modelsDir };
  }
  return parseScoringConfig(section);
}

/**
 * Version of the scoring configuration stamped on every result: a short hash of the canonical
 * JSON (keys sorted) of the `scoring` section. Equal configs give equal versions on every host.
 */
export function configVersion(scoring: ScoringConfig): string {
  return 'cfg-' + createHash('sha256').update(canonicalJson(scoring)).digest('hex').slice(0, 12);
}

/** JSON with object keys sorted at every level: equal values, equal text, on every host. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

