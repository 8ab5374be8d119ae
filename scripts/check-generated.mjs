#!/usr/bin/env node
// Fails when the committed generated TypeScript in packages/contract/src/gen differs from what
// `npm run gen` produces from protos/ now (someone changed a .proto and forgot to regenerate).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const committed = join(root, 'packages/contract/src/gen');
const tmp = mkdtempSync(join(tmpdir(), 'gen-check-'));
try {
  execFileSync(join(root, 'node_modules/.bin/buf'), ['generate', '-o', tmp], {
    cwd: root,
    stdio: 'inherit',
    // buf finds protoc-gen-es on PATH, as it does under `npm run`.
    env: { ...process.env, PATH: `${join(root, 'node_modules/.bin')}:${process.env.PATH}` },
  });
  const fresh = join(tmp, 'packages/contract/src/gen');
  const list = (dir) => {
    const out = [];
    const walk = (d) => {
      for (const e of readdirSync(d)) {
        const p = join(d, e);
        if (statSync(p).isDirectory()) walk(p);
        else out.push(relative(dir, p));
      }
    };
    walk(dir);
    return out.sort();
  };
  const a = list(committed);
  const b = list(fresh);
  const stale = [...new Set([...a, ...b])].filter(
    (f) => !a.includes(f) || !b.includes(f) || readFileSync(join(committed, f), 'utf8') !== readFileSync(join(fresh, f), 'utf8'),
  );
  if (stale.length > 0) {
    console.error(`generated code is stale; run \`npm run gen\` and commit. Differing files:\n  ${stale.join('\n  ')}`);
    process.exit(1);
  }
  console.error(`generated TypeScript is up to date (${a.length} files)`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
