import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { budgetQ, coldTail, isTailReady, decodeTail, encodeTail, learnTail, mulberry32, TAIL_DEFAULTS, TAIL_STATE_BYTES, tailProbability, tailThreshold, type TailConfig, type TailState } from '../src/index.js';

const TEN_SECONDS = 10_000;
const CFG: TailConfig = { ...TAIL_DEFAULTS, minHistoryDays: 0 };

/** Feeds n values from `draw`, one per 10 s window, judging each by the current level. */
function feed(s: TailState, cfg: TailConfig, n: number, draw: () => number, t0 = 0): void {
  for (let i = 0; i < n; i++) {
    const y = draw();
    learnTail(s, cfg, y, t0 + i * TEN_SECONDS, tailThreshold(s, cfg, budgetQ(s, cfg)));
  }
}

describe('tail calibration to an alert budget (peaks over threshold)', () => {
  it('stays cold for its first initWindows values, then answers', () => {
    const s = coldTail();
    const rng = mulberry32(1);
    const rnd = (): number => rng.next();
    feed(s, CFG, CFG.initWindows - 1, () => rnd());
    assert.ok(Number.isNaN(tailThreshold(s, CFG, 1e-3)));
    feed(s, CFG, 1, () => rnd());
    assert.ok(Number.isFinite(tailThreshold(s, CFG, 1e-3)));
  });

  it('puts the threshold of an exponential stream near its true quantile', () => {
    const s = coldTail();
    const rng = mulberry32(7);
    const rnd = (): number => rng.next();
    feed(s, CFG, 50_000, () => -Math.log(1 - rnd()));
    // P(Y > y) = e^-y: the 1e-3 quantile is ln(1000) = 6.9.
    const z = tailThreshold(s, CFG, 1e-3);
    assert.ok(Math.abs(z - Math.log(1000)) < 0.6, `threshold ${z}`);
    const p = tailProbability(s, Math.log(1000));
    assert.ok(p > 3e-4 && p < 3e-3, `p ${p}`);
  });

  it('derives the per-window probability from the key\'s own window rate and the budget', () => {
    const s = coldTail();
    feed(s, CFG, 300, () => 0.5);
    // 10 s windows: 8,640 a day; 2 alerts a day.
    assert.ok(Math.abs(budgetQ(s, CFG) - 2 / 8640) < 1e-6);
  });

  it('waits for minHistoryDays of the key\'s own windows before it gates', () => {
    const cfg: TailConfig = { ...TAIL_DEFAULTS, minHistoryDays: 0.5 };
    const s = coldTail();
    const rng = mulberry32(3);
    const rnd = (): number => rng.next();
    feed(s, cfg, 4000, () => rnd());
    assert.equal(isTailReady(s, cfg), false, 'under half a day of 10 s windows');
    feed(s, cfg, 400, () => rnd(), 4000 * TEN_SECONDS);
    assert.equal(isTailReady(s, cfg), true);
  });

  it('is not lifted by anomalies, even a dense run of them, but learns a new normal above its level', () => {
    const rng = mulberry32(11);
    const rnd = (): number => rng.next();
    const clean = coldTail();
    feed(clean, CFG, 20_000, () => -Math.log(1 - rnd()));
    const before = tailThreshold(clean, CFG, 1e-3);
    const rare = structuredClone(clean);
    let i = 0;
    feed(rare, CFG, 5_000, () => (++i % 1000 === 0 ? 50 : -Math.log(1 - rnd())));
    assert.ok(tailThreshold(rare, CFG, 1e-3) - before < 0.5, 'five anomalies in 5,000 windows barely move it');
    const regime = structuredClone(clean);
    feed(regime, CFG, 5_000, () => (rnd() < 0.05 ? 12 : -Math.log(1 - rnd())));
    assert.ok(tailThreshold(regime, CFG, 1e-3) - before < 0.5, 'a 5 % stream of large values is anomalies, not the tail');
    const normal = structuredClone(clean);
    feed(normal, CFG, 8_000, () => (rnd() < 0.3 ? 12 : -Math.log(1 - rnd())));
    assert.ok(tailThreshold(normal, CFG, 1e-3) > before + 1, 'when 30 % of windows are above the level, that is the new normal');
  });

  it('survives its codec bit for bit, during and after initialisation', () => {
    for (const n of [10, 500]) {
      const s = coldTail();
      const rng = mulberry32(5);
    const rnd = (): number => rng.next();
      feed(s, CFG, n, () => rnd() * 3);
      const view = new DataView(new ArrayBuffer(TAIL_STATE_BYTES + 3));
      encodeTail(s, view, 3);
      assert.deepEqual(decodeTail(view, 3), s);
    }
  });
});
