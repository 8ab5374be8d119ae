/**
 * Micro-benchmark (not a test): µs per feature vector for each default detector and the whole
 * ensemble, measured two ways:
 *   compute   scoreThenLearn on a live instance (the detector's own cost)
 *   stateless loadState(blob) -> scoreThenLearn -> saveState, which is what the sidecar does per
 *             window since the state travels with each request
 * plus per-symbol state bytes and ROC AUC on the labelled synthetic fixture. Prints a table and
 * writes var/bench/detectors.json (repo root). Run: node packages/detectors/dist/src/bench.js
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDefaultDetectors, fitSharedModels } from './defaults.js';
import type { Detector } from './detector.js';
import { Ensemble } from './ensemble.js';
import { rocAuc, syntheticWindows } from './fixture.js';
import { FeatureSchema, type FeatureVector } from './schema.js';

const CALLS = 20_000;
const ROUNDS = 5;
const WARM_ROWS = 500;
const OUT = fileURLToPath(new URL('../../../../var/bench/detectors.json', import.meta.url));

interface Target {
  readonly name: string;
  readonly stateSize: () => number;
  readonly saveState: () => Uint8Array;
  readonly loadState: (b: Uint8Array) => unknown;
  readonly step: (x: FeatureVector) => number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/** Median over rounds of µs per call of fn, cycling through rows. */
function time(rows: readonly FeatureVector[], fn: (x: FeatureVector) => void): number {
  const results: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < CALLS; i++) fn(rows[i % rows.length]!);
    results.push(Number(process.hrtime.bigint() - t0) / 1000 / CALLS);
  }
  return median(results);
}

function main(): void {
  const schema = new FeatureSchema();
  const train = syntheticWindows({ seed: 1, length: 2000, anomalyRate: 0 });
  const models = fitSharedModels(schema, [train.records.map((r) => schema.vectorise(r))], 1);
  const fixture = syntheticWindows({ seed: 7, length: 1500 });
  const rows = fixture.records.map((r) => schema.vectorise(r));
  const make = (): Detector[] => createDefaultDetectors(schema, models);
  const targets: Target[] = make().map((d) => ({ name: d.name, stateSize: () => d.stateSize(), saveState: () => d.saveState(), loadState: (b) => d.loadState(b), step: (x) => d.scoreThenLearn(x) }));
  const ens = new Ensemble(schema, make());
  const out = new Float64Array(ens.detectors.length);
  targets.push({ name: 'ensemble', stateSize: () => ens.stateSize(), saveState: () => ens.saveState(), loadState: (b) => ens.loadState(b), step: (x) => ens.scoreThenLearn(x, out)[0]! });

  const results = targets.map((t) => {
    const scores: number[] = [];
    const labels: number[] = [];
    rows.forEach((x, i) => {
      const s = t.step(x);
      if (i >= WARM_ROWS) { scores.push(s); labels.push(fixture.labels[i]!); }
    });
    const compute = time(rows, t.step);
    let blob = t.saveState();
    const stateless = time(rows, (x) => { t.loadState(blob); t.step(x); blob = t.saveState(); });
    return { name: t.name, stateBytes: t.stateSize(), usPerVector: round(compute), usPerVectorStateless: round(stateless), auc: t.name === 'ensemble' ? null : round(rocAuc(scores, labels)) };
  });

  console.log(`detectors: ${rows.length} fixture vectors, ${CALLS} calls x ${ROUNDS} rounds (median), node ${process.version}, ${cpus().length} cpus`);
  console.log('name                 state B   µs compute   µs stateless   AUC');
  for (const r of results) {
    console.log(`${r.name.padEnd(20)} ${String(r.stateBytes).padStart(7)} ${r.usPerVector.toFixed(2).padStart(12)} ${r.usPerVectorStateless.toFixed(2).padStart(14)}   ${r.auc === null ? '-' : r.auc.toFixed(3)}`);
  }
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, JSON.stringify({ generatedAt: new Date().toISOString(), node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model, calls: CALLS, rounds: ROUNDS, features: schema.names, results }, null, 2) + '\n');
  console.log(`wrote ${OUT}`);
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) main();
