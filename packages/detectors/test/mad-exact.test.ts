// The MAD detector's fast median/MAD path (medianBranchless, decision 011 "Measured") must give
// bit-identical medians, scales and scores to the original algorithm, which is kept here as a
// straightforward reference: gather the window, quickselect median (medianInPlace, itself checked
// against a sort in select.test.ts), deviations, quickselect MAD, and for MAD = 0 the mean absolute
// deviation summed in the order the quickselect leaves the values (float addition is not
// associative, so that order is part of the contract).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_FEATURES, FeatureSchema, MadDetector, medianBranchless, medianInPlace, mulberry32, Z_LIMIT } from '../src/index.js';

// The default features without their minimum scales (decision 070): this suite compares the
// median arithmetic with the original algorithm, which had only the numeric floor.
const SCHEMA = new FeatureSchema(DEFAULT_FEATURES.map(({ name, transform }) => ({ name, transform })));

const NF = SCHEMA.names.length;

/** Median of a sort: the mean of the two middle values for even lengths. */
function sortMedian(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 === 1 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

interface RefStats { median: number; mad: number; scale: number }

/** The original MadDetector.stats, verbatim, over a ring laid out as the detector's state. */
function refStats(ring: Float32Array, window: number, nf: number, j: number, minValues: number): RefStats | undefined {
  const vals = new Float64Array(window);
  const devs = new Float64Array(window);
  let k = 0;
  for (let s = 0; s < window; s++) {
    const v = ring[s * nf + j]!;
    if (!Number.isNaN(v)) vals[k++] = v;
  }
  if (k < minValues) return undefined;
  const present = Array.from(vals.subarray(0, k));
  const median = medianInPlace(vals, k);
  let sumAbs = 0;
  for (let i = 0; i < k; i++) {
    const d = Math.abs(vals[i]! - median);
    devs[i] = d;
    sumAbs += d;
  }
  const mad = medianInPlace(devs, k);
  // The selection agrees with a sort (same value; -0 vs +0 may differ when both are present).
  if (present.every(Number.isFinite)) {
    assert.ok(sortMedian(present) === median, 'quickselect median = sort median');
    assert.ok(sortMedian(present.map((v) => Math.abs(v - median))) === mad, 'quickselect MAD = sort MAD');
  }
  let scale = 1.4826 * mad;
  if (scale === 0) scale = (1.2533 * sumAbs) / k;
  return { median, mad, scale: Math.max(scale, 1e-9 + 1e-6 * Math.abs(median)) };
}

function refScore(ring: Float32Array, window: number, features: readonly number[], minValues: number, x: Float64Array): number {
  let max = 0;
  for (let j = 0; j < features.length; j++) {
    const v = x[features[j]!] ?? NaN;
    if (Number.isNaN(v)) continue;
    const st = refStats(ring, window, features.length, j, minValues);
    if (st === undefined) continue;
    const z = Math.abs(v - st.median) / st.scale;
    if (z > max) max = z;
  }
  return Math.min(max, Z_LIMIT);
}

type Gen = (i: number) => number;

/** Value generators per feature: noise, heavy ties, constants (MAD 0), signed zeros, mixed magnitudes, overflow. */
function generators(rng: ReturnType<typeof mulberry32>): Gen[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)]!;
  return [
    () => rng.normal(),
    () => 1e-4 * rng.normal(),
    () => Math.floor(rng.next() * 3), // ties
    () => pick([-1, 0, 1, 2]) * 0.25,
    () => 5, // all equal: MAD 0, mean-AD 0 -> floor
    () => (rng.next() < 0.8 ? 7 : 7 + rng.normal()), // usually constant: MAD 0, mean-AD fallback
    () => (rng.next() < 0.7 ? 0 : pick([1e-30, -3e-12, 1, 1e20, -7e25, 3.3])), // MAD 0 with mixed magnitudes
    () => pick([0, -0, 1, -1]), // signed zeros
    () => (rng.next() < 0.6 ? pick([0, -0]) : rng.normal()),
    () => (rng.next() < 0.05 ? pick([1e39, -1e39]) : rng.normal()), // finite, but +-Infinity in float32
    () => Math.exp(10 * rng.normal()), // wide dynamic range
  ];
}

describe('MadDetector fast path is bit-identical to the original algorithm', () => {
  it('medianBranchless equals the sort median for random, tied, constant and sorted inputs of every length up to 80', () => {
    const rng = mulberry32(21);
    const t = new Float64Array(90);
    for (let k = 1; k <= 80; k++) {
      for (const kind of ['random', 'ties', 'const', 'sorted', 'reversed', 'two']) {
        for (let rep = 0; rep < 20; rep++) {
          const a = Float64Array.from({ length: k }, (_, i) =>
            kind === 'random' ? Math.fround(rng.normal()) : kind === 'ties' ? Math.floor(rng.next() * 3) : kind === 'const' ? 4.5 : kind === 'sorted' ? i : kind === 'reversed' ? k - i : rng.next() < 0.5 ? 1 : 2);
          const want = sortMedian(Array.from(a));
          const buf = new Float64Array(k + 5).fill(99);
          buf.set(a);
          assert.ok(Object.is(medianBranchless(buf, t, k), want), `${kind} k=${k}`);
        }
      }
    }
    assert.ok(Number.isNaN(medianBranchless(new Float64Array(0), t, 0)));
  });

  it('matches the reference on random streams: scores, medians and scales, NaNs, ties, MAD 0, signed zeros, overflow, even and odd counts', () => {
    const rng = mulberry32(20240611);
    const paths = { scored: 0, madZero: 0, signedZero: 0, infinite: 0, partial: 0 };
    let compared = 0;
    for (let trial = 0; trial < 160; trial++) {
      const window = [3, 4, 5, 7, 8, 16, 31, 32, 33, 64][trial % 10]!;
      const minValues = 3 + Math.floor(rng.next() * Math.max(1, window - 3));
      const features = SCHEMA.names.map((_, i) => i).filter(() => rng.next() < 0.6);
      if (features.length === 0) features.push(trial % NF);
      const warmUp = 3 + Math.floor(rng.next() * window);
      const d = new MadDetector(SCHEMA, { window, warmUp, minValues, features: features.map((i) => SCHEMA.names[i]!) });
      const gens = generators(rng);
      const featGen = SCHEMA.names.map(() => gens[Math.floor(rng.next() * gens.length)]!);
      const missing = rng.next() < 0.5 ? 0 : rng.next() * 0.5;
      const ring = new Float32Array(window * features.length).fill(NaN);
      const steps = window * 3 + 5;
      for (let n = 0; n < steps; n++) {
        const x = Float64Array.from(featGen, (g, i) => (rng.next() < missing ? NaN : rng.next() < 0.02 ? Infinity : g(i)));
        // Score first (as scoreThenLearn does) against the reference over the mirrored ring.
        const got = d.score(x);
        const want = n < warmUp ? 0 : refScore(ring, window, features, minValues, x);
        assert.ok(Object.is(got, want), `trial ${trial} step ${n}: score ${got} != ${want}`);
        if (n >= warmUp) compared++;
        for (let j = 0; j < features.length; j++) {
          const st = refStats(ring, window, features.length, j, minValues);
          const typ = d.typical(SCHEMA.names[features[j]!]!);
          assert.deepEqual(typ === undefined ? undefined : [typ.median, typ.sigma].map((v) => Object.is(v, -0) ? '-0' : v), st === undefined ? undefined : [st.median, st.scale].map((v) => Object.is(v, -0) ? '-0' : v), `trial ${trial} step ${n} feature ${j}`);
          if (st === undefined) continue;
          paths.scored++;
          if (st.mad === 0) paths.madZero++;
          const present = Array.from({ length: window }, (_, s) => ring[s * features.length + j]!).filter((v) => !Number.isNaN(v));
          if (present.some((v) => Object.is(v, -0))) paths.signedZero++;
          if (present.some((v) => !Number.isFinite(v))) paths.infinite++;
          if (present.length < window) paths.partial++;
        }
        // Learn, mirroring the documented state layout: slot (n mod window), non-finite = missing.
        d.learn(x);
        const base = (n % window) * features.length;
        for (let j = 0; j < features.length; j++) {
          const v = x[features[j]!]!;
          ring[base + j] = Number.isFinite(v) ? v : NaN;
        }
        // The state body is exactly that float32 ring; a restored detector scores identically.
        const blob = d.saveState();
        assert.deepEqual(blob.subarray(blob.length - ring.byteLength), new Uint8Array(ring.buffer));
        if (n % 7 === 0) {
          const e = new MadDetector(SCHEMA, { window, warmUp, minValues, features: features.map((i) => SCHEMA.names[i]!) });
          e.loadState(blob);
          assert.ok(Object.is(e.score(x), d.score(x)), 'round trip');
        }
      }
    }
    // Every path was exercised, including the fallbacks to the original algorithm.
    for (const [path, count] of Object.entries(paths)) assert.ok(count > 50, `${path}: ${count}`);
    assert.ok(compared > 5000, `compared ${compared}`);
  });
});
