/**
 * A scorer in the manner of the Numenta Anomaly Benchmark (NAB), standard profile, written from
 * NAB's published description (the NAB paper and nab/sweeper.py):
 *   - each labelled anomaly gets a window of 10 % of the file's rows divided by the number of
 *     anomalies, centred on the label, clipped to the file; overlapping windows merge;
 *   - the first 15 % of a file (at most 750 rows) is probationary and not scored at all;
 *   - a row at or above the threshold inside a window is a detection worth
 *     A_TP * sigma(pos) / sigma(-1) with sigma(x) = 2 / (1 + e^(5x)) - 1 and
 *     pos = -(right - i + 1) / width (-1 at the window's first row, ~0 at its last); only the best
 *     (earliest) detection of a window counts; a window without one costs A_FN;
 *   - a row at or above the threshold outside every window costs |A_FP| * sigma(pos) with
 *     pos = (i - right of the previous window) / (its width - 1), or the full |A_FP| when no
 *     window precedes it (sigma(x) = -1 for x >= 3): a false alarm just after a window is cheap;
 *   - one threshold for all files, chosen to maximise the summed raw score (an exact sweep over
 *     every distinct score, where NAB uses a local search);
 *   - normalised: 100 (raw - null) / (perfect - null), null = every window missed (A_FN each),
 *     perfect = every window caught on its first row (A_TP each).
 */
export interface NabProfile {
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
}

export const STANDARD_PROFILE: NabProfile = Object.freeze({ tp: 1, fp: 0.11, fn: 1 });

export interface LabelledScores {
  readonly name: string;
  readonly scores: readonly number[];
  /** Row indices of the labelled anomalies (their onsets). */
  readonly anomalies: readonly number[];
}

export interface Window {
  readonly start: number;
  readonly end: number;
}

export function scaledSigmoid(position: number): number {
  return position >= 3 ? -1 : 2 / (1 + Math.exp(5 * position)) - 1;
}

/** NAB's windows: 10 % of the rows shared by the anomalies, centred, clipped, merged. */
export function nabWindows(rows: number, anomalies: readonly number[]): Window[] {
  if (anomalies.length === 0) return [];
  const width = Math.floor((0.1 * rows) / anomalies.length);
  const raw = [...anomalies]
    .sort((a, b) => a - b)
    .map((a) => ({ start: Math.max(0, a - Math.floor(width / 2)), end: Math.min(rows - 1, a + Math.floor(width / 2)) }));
  const merged: Window[] = [];
  for (const w of raw) {
    const last = merged[merged.length - 1];
    if (last !== undefined && w.start <= last.end) merged[merged.length - 1] = { start: last.start, end: Math.max(last.end, w.end) };
    else merged.push(w);
  }
  return merged;
}

export function probationaryRows(rows: number): number {
  return Math.min(Math.floor(0.15 * rows), 0.15 * 5000);
}

interface Point {
  readonly score: number;
  readonly weight: number;
  /** Global window id, or -1 outside every window. */
  readonly window: number;
}

export interface FileResult {
  readonly name: string;
  readonly windows: number;
  readonly detected: number;
  readonly falsePositives: number;
  readonly raw: number;
}

export interface NabResult {
  /** 0 = no better than detecting nothing, 100 = every window caught at its first row, no false alarm. */
  readonly score: number;
  readonly threshold: number;
  readonly raw: number;
  readonly windows: number;
  readonly detected: number;
  readonly falsePositives: number;
  readonly files: FileResult[];
}

function filePoints(file: LabelledScores, profile: NabProfile, firstId: number): { points: Point[]; windows: number } {
  const n = file.scores.length;
  const windows = nabWindows(n, file.anomalies);
  const probation = probationaryRows(n);
  const maxTp = scaledSigmoid(-1);
  const points: Point[] = [];
  let w = 0;
  let prev: Window | undefined;
  for (let i = 0; i < n; i++) {
    while (w < windows.length && windows[w]!.end < i) prev = windows[w++]!;
    const cur = windows[w];
    const inside = cur !== undefined && cur.start <= i;
    let weight: number;
    if (inside) {
      const width = cur.end - cur.start + 1;
      weight = (scaledSigmoid(-(cur.end - i + 1) / width) * profile.tp) / maxTp;
    } else {
      const pos = prev === undefined ? 3 : (i - prev.end) / Math.max(1, prev.end - prev.start);
      weight = scaledSigmoid(pos) * profile.fp;
    }
    if (i < probation) continue;
    points.push({ score: file.scores[i]!, weight, window: inside ? firstId + w : -1 });
  }
  // A window wholly inside the probationary period has no point here, so it is not scored (as in NAB).
  return { points, windows: windows.length };
}

/** The NAB standard-profile score of a detector over several files, one threshold for all. */
export function nabScore(files: readonly LabelledScores[], profile: NabProfile = STANDARD_PROFILE): NabResult {
  const all: (Point & { file: number })[] = [];
  const windowIds = new Set<number>();
  let nextId = 0;
  files.forEach((f, fi) => {
    const { points, windows } = filePoints(f, profile, nextId);
    for (const p of points) all.push({ ...p, file: fi });
    for (const p of points) if (p.window >= 0) windowIds.add(p.window);
    nextId += windows;
  });
  const scoredWindows = windowIds.size;
  all.sort((a, b) => b.score - a.score);
  const best = new Map<number, number>([...windowIds].map((id) => [id, -profile.fn]));
  let fpSum = 0;
  let windowSum = -profile.fn * scoredWindows;
  let bestRaw = windowSum;
  let bestThreshold = Infinity;
  for (let i = 0; i < all.length; ) {
    const t = all[i]!.score;
    for (; i < all.length && all[i]!.score === t; i++) {
      const p = all[i]!;
      if (p.window < 0) fpSum += p.weight;
      else if (p.weight > best.get(p.window)!) {
        windowSum += p.weight - best.get(p.window)!;
        best.set(p.window, p.weight);
      }
    }
    if (fpSum + windowSum > bestRaw + 1e-12) {
      bestRaw = fpSum + windowSum;
      bestThreshold = t;
    }
  }
  // Per-file breakdown at the chosen threshold.
  const perFile = files.map((f) => ({ name: f.name, windows: 0, detected: 0, falsePositives: 0, raw: 0 }));
  const seen = new Map<number, { file: number; weight: number }>();
  for (const p of all) {
    if (p.window >= 0 && !seen.has(p.window)) seen.set(p.window, { file: p.file, weight: -profile.fn });
    if (p.score < bestThreshold) continue;
    if (p.window < 0) {
      perFile[p.file]!.falsePositives++;
      perFile[p.file]!.raw += p.weight;
    } else {
      const s = seen.get(p.window)!;
      s.weight = Math.max(s.weight, p.weight);
    }
  }
  for (const s of seen.values()) {
    perFile[s.file]!.windows++;
    if (s.weight > -profile.fn) perFile[s.file]!.detected++;
    perFile[s.file]!.raw += s.weight;
  }
  const nullScore = -profile.fn * scoredWindows;
  const perfect = profile.tp * scoredWindows;
  return {
    score: scoredWindows === 0 ? 0 : (100 * (bestRaw - nullScore)) / (perfect - nullScore),
    threshold: bestThreshold,
    raw: bestRaw,
    windows: scoredWindows,
    detected: perFile.reduce((a, f) => a + f.detected, 0),
    falsePositives: perFile.reduce((a, f) => a + f.falsePositives, 0),
    files: perFile,
  };
}
