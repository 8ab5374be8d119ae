#!/usr/bin/env node
// Runs every compiled TypeScript test (dist/test/**/*.test.js in each workspace) with Node's
// built-in test runner, then prints a one-line summary `TS: N passed, N failed` and writes
// the counts to var/test-results/ts.json for scripts/test.sh to add up with the Java suites.
// Usage: node scripts/run-node-tests.mjs [--only unit|integration|deploy] [path filter ...]
// Deployment checks (*.deploy.test.ts, packages/deploycheck) run only with --only deploy, and count
// into var/test-results/deploy.json: scripts/test.sh runs them as their own step.
import { spawn } from 'node:child_process';
import { readdirSync, statSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
let only;
const filters = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--only') only = args[++i];
  else filters.push(args[i]);
}

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const dirs = pkg.workspaces.flatMap((w) =>
  w.endsWith('/*') ? readdirSync(join(root, w.slice(0, -2))).map((d) => join(w.slice(0, -2), d)) : [w],
);

function walk(dir, out) {
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const e of entries) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (p.endsWith('.test.js')) out.push(p);
  }
  return out;
}

let files = dirs.flatMap((d) => walk(join(root, d, 'dist', 'test'), []));
// Integration tests start real servers (Kafka, WebSocket, gRPC): named *.it.test.ts.
if (only === 'deploy') files = files.filter((f) => f.endsWith('.deploy.test.js'));
else files = files.filter((f) => !f.endsWith('.deploy.test.js'));
if (only === 'unit') files = files.filter((f) => !f.endsWith('.it.test.js'));
if (only === 'integration') files = files.filter((f) => f.endsWith('.it.test.js'));
if (filters.length > 0) files = files.filter((f) => filters.some((x) => f.includes(x)));
files.sort();
if (files.length === 0) {
  console.error('no test files found (did `npm run build` run?)');
  process.exit(1);
}
console.error(`running ${files.length} test files:\n  ${files.map((f) => relative(root, f)).join('\n  ')}`);

// One file at a time: integration tests start JVMs and a 2-core machine has no room for two.
const child = spawn(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files], {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, FORCE_COLOR: '0' },
});
// The runner's closing summary ("ℹ pass N", "ℹ fail N", ...) is read line by line as it
// streams: a long failure report after it must not push it out of a fixed-size tail.
const counts = {};
let partial = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  const lines = (partial + chunk.toString()).split('\n');
  partial = lines.pop() ?? '';
  for (const line of lines) {
    const m = line.match(/^ℹ (tests|pass|fail|cancelled|skipped|todo) (\d+)$/);
    if (m) counts[m[1]] = Number(m[2]);
  }
});
child.on('close', (code) => {
  const num = (label) => counts[label] ?? 0;
  const passed = num('pass');
  // A runner that exits non-zero without a failing test (a crash) still counts as one failure.
  const failed = num('fail') + num('cancelled') || (code === 0 ? 0 : 1);
  const skipped = num('skipped') + num('todo');
  mkdirSync(join(root, 'var', 'test-results'), { recursive: true });
  const name = only === 'deploy' ? 'deploy' : 'ts';
  writeFileSync(join(root, 'var', 'test-results', `${name}.json`), JSON.stringify({ passed, failed, skipped, exitCode: code }));
  console.log(`${only === 'deploy' ? 'deploy checks' : 'TS'}: ${passed} passed, ${failed} failed`);
  process.exit(code === 0 && failed === 0 ? 0 : 1);
});
