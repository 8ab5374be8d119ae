/**
 * Labelled metric series of our own making, generated deterministically from a seed, for tests
 * and the any-metric benchmark. 5-minute rows over two to three weeks, on one of six bases
 * (flat noise, daily cycle, daily + weekly cycle, random walk, mean-reverting AR(1) with drift,
 * Poisson counts with a daily cycle), with mostly Gaussian noise and a few unlabelled heavy-tail
 * wiggles, and one to three anomalies of one of the types NAB's data is described as holding:
 * spikes, dips, level shifts up and down, trend changes, a missing daily peak, a variance change
 * and a flat-lined (stuck) sensor. Labels are the anomalies' onset rows.
 */
export const ANOMALY_TYPES = ['spike', 'dip', 'level_up', 'level_down', 'trend_change', 'missing_peak', 'variance_change', 'flatline'] as const;
export type AnomalyType = (typeof ANOMALY_TYPES)[number];
export const BASES = ['flat', 'daily', 'weekly', 'random_walk', 'ar1', 'counts'] as const;
export type Base = (typeof BASES)[number];

export interface SyntheticSeries {
  readonly name: string;
  readonly seed: number;
  readonly base: Base;
  readonly type: AnomalyType;
  readonly times: number[];
  readonly values: number[];
  readonly anomalies: number[];
}

const STEP_MS = 5 * 60_000;
const DAY_ROWS = 288;
/** 2014-04-01 00:00:00 UTC, a Tuesday, like many NAB files. */
const START_MS = Date.UTC(2014, 3, 1);

/** mulberry32: a small, well-mixed 32-bit PRNG, enough for test data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(r: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/** Daily shape in [0, 1]: quiet at night, a broad peak in the working day. */
function dailyShape(minuteOfDay: number): number {
  const h = minuteOfDay / 60;
  return Math.exp(-((h - 14) ** 2) / (2 * 3 ** 2));
}

function poisson(lambda: number, r: () => number): number {
  if (lambda > 30) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * gaussian(r)()));
  const l = Math.exp(-lambda);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= r();
  } while (p > l);
  return k - 1;
}

/**
 * Series `seed` (1, 2, ...): the anomaly type cycles every two seeds, so the odd seeds (tuning)
 * and the even seeds (reporting) hold every type.
 */
export function syntheticSeries(seed: number): SyntheticSeries {
  const r = rng(seed * 7919 + 17);
  const g = gaussian(r);
  const type = ANOMALY_TYPES[Math.floor((seed - 1) / 2) % ANOMALY_TYPES.length]!;
  let base = BASES[(seed * 5 + Math.floor((seed - 1) / 16)) % BASES.length]!;
  if (type === 'missing_peak' && base !== 'daily' && base !== 'weekly' && base !== 'counts') base = seed % 2 === 0 ? 'daily' : 'weekly';
  const days = 14 + Math.floor(r() * 8);
  const n = days * DAY_ROWS;
  const level = 10 ** (1 + r() * 3);
  const noise = level * (0.01 + r() * 0.04);
  const amplitude = level * (0.2 + r() * 0.5);
  const times = Array.from({ length: n }, (_, i) => START_MS + i * STEP_MS);

  // Anomalies: 1-3 onsets between 25 % and 90 % of the file, at least two days apart.
  const count = 1 + Math.floor(r() * 3);
  const anomalies: number[] = [];
  for (let k = 0; k < count; k++) {
    const lo = Math.floor(n * (0.25 + (0.65 * k) / count));
    const span = Math.floor((0.65 * n) / count) - DAY_ROWS;
    let at = lo + Math.floor(r() * Math.max(1, span));
    // A missing peak starts when the day's peak would start rising (08:00).
    if (type === 'missing_peak') at = Math.floor(at / DAY_ROWS) * DAY_ROWS + 8 * 12;
    anomalies.push(at);
  }

  const seasonal = (i: number): number => {
    const t = times[i]!;
    const minute = ((t / 60_000) % 1440 + 1440) % 1440;
    const weekday = (Math.floor(t / 86_400_000) + 4) % 7;
    const week = base === 'weekly' && (weekday === 0 || weekday === 6) ? 0.35 : 1;
    return base === 'daily' || base === 'weekly' || base === 'counts' ? amplitude * week * dailyShape(minute) : 0;
  };

  // Effect of each anomaly on row i: an additive offset, a noise multiplier, or "stuck".
  const missing = new Set<number>();
  if (type === 'missing_peak') for (const a of anomalies) for (let i = a; i < Math.min(n, a + 12 * 12); i++) missing.add(i);
  const shiftSize = (walk: boolean): number => (walk ? 25 : 5 + r() * 4) * noise;
  const shifts = anomalies.map(() => shiftSize(base === 'random_walk'));
  const spikes = anomalies.map(() => (6 + r() * 6) * Math.max(noise, 0.15 * amplitude));

  const values: number[] = [];
  let walk = 0;
  let ar = 0;
  let stuck: number | undefined;
  for (let i = 0; i < n; i++) {
    let noiseMul = 1;
    let offset = 0;
    let flat = false;
    anomalies.forEach((a, k) => {
      if (i < a) return;
      if (type === 'spike' && i < a + 2) offset += spikes[k]!;
      if (type === 'dip' && i < a + 2) offset -= spikes[k]!;
      if (type === 'level_up') offset += shifts[k]!;
      if (type === 'level_down') offset -= shifts[k]!;
      if (type === 'trend_change') offset += (shifts[k]! / 150) * Math.min(i - a, 3 * DAY_ROWS);
      if (type === 'variance_change' && i < a + DAY_ROWS) noiseMul *= 4;
      if (type === 'flatline' && i < a + 144) flat = true;
    });
    // Rare unlabelled heavy-tailed wiggles, as real metrics have.
    const e = g() * noise * noiseMul * (r() < 0.01 ? 2.5 : 1);
    let v: number;
    switch (base) {
      case 'random_walk':
        walk += e;
        v = level + walk;
        break;
      case 'ar1':
        ar = 0.9 * ar + e;
        v = level + ar + (noise * i) / DAY_ROWS / 4;
        break;
      case 'counts':
        v = poisson(Math.max(0.5, (level / 100) * (1 + 2 * seasonal(i) / amplitude) * noiseMul), r);
        break;
      default:
        v = level + (missing.has(i) ? 0 : seasonal(i)) + e;
    }
    if (base === 'counts' && missing.has(i)) v = poisson(level / 100, r);
    if (base === 'counts') v += offset === 0 ? 0 : Math.round((offset / noise) * Math.sqrt(level / 100));
    else v += offset;
    if (flat) stuck ??= values[i - 1] ?? v;
    else stuck = undefined;
    values.push(stuck ?? v);
  }
  return { name: `synthetic-${String(seed).padStart(2, '0')}-${base}-${type}`, seed, base, type, times, values, anomalies };
}

/** NAB-style timestamp text: `YYYY-MM-DD HH:MM:SS`. */
export function nabTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}
