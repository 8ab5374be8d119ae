import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 20_000 });

test('a flag the parser refuses exits 2, the documented code for bad configuration (issue 12)', () => {
  assert.equal(run('--no-such-flag').status, 2);
  assert.equal(run('--metrics-port', 'abc').status, 2);
  assert.equal(run('--help').status, 0);
});

test('a config file holding null fails at start-up naming the file, exit 2', () => {
  const f = join(mkdtempSync(join(tmpdir(), 'cfg-')), 'producer.json');
  writeFileSync(f, 'null');
  const r = run('--config', f);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /top level must be a JSON object/);
});
