#!/usr/bin/env node
// Adds up the TypeScript runner's counts (var/test-results/ts.json, deploy.json) and every Maven Surefire
// report (**/target/surefire-reports/TEST-*.xml) and prints the closing line
// `N passed, N failed` (plus skipped). Exits 1 when anything failed or no test ran.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
let passed = 0;
let failed = 0;
let skipped = 0;
const parts = [];

for (const [file, label] of [['ts.json', 'TypeScript'], ['deploy.json', 'deploy checks']]) {
  const path = join(root, 'var/test-results', file);
  if (!existsSync(path)) continue;
  const r = JSON.parse(readFileSync(path, 'utf8'));
  passed += r.passed;
  failed += r.failed;
  skipped += r.skipped;
  parts.push(`${label} ${r.passed}/${r.passed + r.failed}`);
}

for (const mod of ['flink-job', 'training']) {
  const dir = join(root, mod, 'target/surefire-reports');
  if (!existsSync(dir) || !statSync(dir).isDirectory()) continue;
  let p = 0, f = 0, s = 0;
  for (const file of readdirSync(dir).filter((n) => /^TEST-.*\.xml$/.test(n))) {
    const head = readFileSync(join(dir, file), 'utf8').match(/<testsuite\b[^>]*>/)?.[0] ?? '';
    const attr = (name) => Number(head.match(new RegExp(`\\b${name}="(\\d+)"`))?.[1] ?? 0);
    const total = attr('tests');
    const bad = attr('failures') + attr('errors');
    s += attr('skipped');
    f += bad;
    p += total - bad - attr('skipped');
  }
  passed += p;
  failed += f;
  skipped += s;
  parts.push(`${mod} ${p}/${p + f}`);
}

console.log(`\nsuites: ${parts.join(', ') || 'none'}`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
