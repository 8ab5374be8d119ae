import { silentLogger, type Logger } from '@crypto-anomaly/common';
import { parseUdfConfig } from '../src/config.js';
import { Scorer } from '../src/scorer.js';
import type { KeyState, ScoreBundleRequest, WindowToScore } from '../src/wire.js';

export const WINDOW_MS = 10_000;
export const T0 = 1_700_000_000_000;

export function testScorer(scoring: Record<string, unknown> = {}): Scorer {
  const config = parseUdfConfig({ scoring });
  return new Scorer(config.scoring, config.limits);
}

/** A request with an empty (new-key) state for every key among the windows, unless given. */
export function requestOf(windows: readonly WindowToScore[], states?: readonly KeyState[], bundleId = 'test'): ScoreBundleRequest {
  const keys = [...new Set(windows.map((w) => w.key))];
  return { bundleId, windows, states: states ?? keys.map((key) => ({ key, state: new Uint8Array(0) })) };
}

/** Scores windows one bundle per window, passing the returned state along, as Flink does. */
export function scoreOneByOne(scorer: Scorer, windows: readonly WindowToScore[]): { results: ReturnType<Scorer['scoreBundle']>['response']['results'][number][]; state: Uint8Array } {
  let state: Uint8Array = new Uint8Array(0);
  const results = [];
  for (const w of windows) {
    const { response } = scorer.scoreBundle(requestOf([w], [{ key: w.key, state }]));
    results.push(response.results[0]!);
    state = response.states[0]!.state;
  }
  return { results, state };
}

/** Resolves once cond() holds (polled every 20 ms); rejects after ms. */
export async function until(cond: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A silent logger that records warn/error/info calls into `lines`. */
export function capturingLogger(lines: { level: string; obj: unknown; msg: string }[]): Logger {
  const base = silentLogger();
  const make = (level: string) => (obj: unknown, msg?: string) => {
    lines.push({ level, obj, msg: msg ?? String(obj) });
  };
  return Object.assign(Object.create(base), { warn: make('warn'), error: make('error'), info: make('info') }) as Logger;
}
