/**
 * Shared helpers of the deployment checks: where the repository is, the checkers' venv (installed
 * on first use by tools/ensure-tools.sh), rendering Kustomize overlays, reading YAML and HCL
 * through the venv's parsers, and the option names the Flink job's parser knows.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is packages/deploycheck/dist/src/index.js). */
export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const TOOLS = join(ROOT, 'packages/deploycheck/tools');

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function run(cmd: string, args: readonly string[], cwd: string = ROOT): RunResult {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) return { code: 127, stdout: '', stderr: String(r.error) };
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

/** `{ bin }` of the checkers' venv, or `{ skip }` with the reason it could not be installed. */
export type Tools = { readonly bin: string; readonly skip?: undefined } | { readonly bin?: undefined; readonly skip: string };

let cached: Tools | undefined;
export function tools(): Tools {
  if (cached) return cached;
  const r = run('bash', [join(TOOLS, 'ensure-tools.sh')]);
  const bin = r.stdout.trim().split('\n').pop() ?? '';
  cached = r.code === 0 && bin !== '' ? { bin } : { skip: `checkers not installed: ${r.stderr.trim() || `exit ${r.code}`}` };
  return cached;
}

/** The reason a command is missing from PATH, or undefined when it is there. */
export function missing(cmd: string): string | undefined {
  return run('bash', ['-c', `command -v ${cmd}`]).code === 0 ? undefined : `${cmd} is not installed on this machine`;
}

/** Runs tools/pycheck.py in the venv and parses its JSON output. */
export function py<T>(bin: string, ...args: string[]): T {
  const r = run(join(bin, 'python'), [join(TOOLS, 'pycheck.py'), ...args]);
  if (r.code !== 0) throw new Error(`pycheck ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

export type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  // Manifests are read field by field in the tests, after the schemas have checked their shape.
  spec?: any;
  [key: string]: unknown;
};

export const OVERLAYS = ['dev', 'prod'] as const;
export type Overlay = (typeof OVERLAYS)[number] | 'base';

/**
 * `kubectl kustomize` of one tree. The overlays read the git-ignored terraform-outputs.env: they are
 * rendered from a copy of k8s/ with the committed example in its place.
 */
export function render(overlay: Overlay): { yaml: string; error?: string } {
  const tmp = mkdtempSync(join(tmpdir(), 'deploycheck-'));
  try {
    cpSync(join(ROOT, 'k8s'), join(tmp, 'k8s'), { recursive: true });
    if (overlay !== 'base') {
      const dir = join(tmp, 'k8s/overlays', overlay);
      writeFileSync(join(dir, 'terraform-outputs.env'), readFileSync(join(dir, 'terraform-outputs.env.example')));
    }
    const dir = overlay === 'base' ? join(tmp, 'k8s/base') : join(tmp, 'k8s/overlays', overlay);
    const r = run('kubectl', ['kustomize', dir]);
    return r.code === 0 ? { yaml: r.stdout } : { yaml: '', error: r.stderr };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Parses multi-document YAML text with the venv's PyYAML. */
export function parseYaml(bin: string, text: string): Manifest[] {
  const tmp = mkdtempSync(join(tmpdir(), 'deploycheck-'));
  try {
    const file = join(tmp, 'in.yaml');
    writeFileSync(file, text);
    return py<Manifest[]>(bin, 'yaml', file);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Writes `value` to a temporary JSON file, calls `fn` with its path, removes it. */
export function withJson<T>(value: unknown, fn: (file: string) => T): T {
  const tmp = mkdtempSync(join(tmpdir(), 'deploycheck-'));
  try {
    const file = join(tmp, 'doc.json');
    writeFileSync(file, JSON.stringify(value));
    return fn(file);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Every option the Flink job's parser accepts: the `"--name"` literals of JobConfig.java (its
 * OPTIONS list and the --local/--bounded flags). Read from the source because running the parser
 * needs the job's full class path; a name only in a message would be accepted too, which is the
 * lenient side.
 */
export function jobOptions(): { options: Set<string>; flags: Set<string> } {
  const src = readFileSync(join(ROOT, 'flink-job/src/main/java/io/cryptoanomaly/flink/JobConfig.java'), 'utf8');
  const options = new Set([...src.matchAll(/"(--[a-z0-9-]+)"/g)].map((m) => m[1] as string));
  const flags = new Set(['--local', '--bounded'].filter((f) => options.has(f)));
  for (const f of flags) options.delete(f);
  return { options, flags };
}

/** Files under `dir` (relative to ROOT) whose name matches `re`, skipping dependencies and builds. */
export function findFiles(dir: string, re: RegExp): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const e of readdirSync(join(ROOT, rel))) {
      if (['node_modules', 'dist', 'target', 'var', '.git', '.terraform'].includes(e)) continue;
      const p = rel === '' ? e : join(rel, e);
      if (statSync(join(ROOT, p)).isDirectory()) walk(p);
      else if (re.test(e)) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}
