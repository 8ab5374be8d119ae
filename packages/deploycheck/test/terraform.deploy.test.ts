import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, findFiles, missing, py, run, tools } from '../src/index.js';

const t = tools();
const MODULES = ['vpc', 'eks', 's3', 'ecr', 'iam-irsa', 'msk', 'flink-operator'];
const TF = findFiles('terraform', /\.tf$/).filter((f) => !f.startsWith('terraform/envs/dev/') || f.endsWith('variables.tf'));
type Hcl = Record<string, any>;
const hcl = (file: string): Hcl => py<Hcl>(t.bin as string, 'hcl', join(ROOT, file));
const one = <T>(v: T | T[]): T => (Array.isArray(v) ? (v[0] as T) : v);

test('terraform fmt -check -recursive finds nothing to change', { skip: missing('terraform') }, () => {
  const r = run('terraform', ['fmt', '-check', '-recursive', 'terraform']);
  assert.equal(r.code, 0, `unformatted: ${r.stdout}`);
});

test('every module has main.tf, variables.tf, outputs.tf and versions.tf, and its main resource is named this', () => {
  for (const m of MODULES) {
    for (const f of ['main.tf', 'variables.tf', 'outputs.tf', 'versions.tf']) assert.ok(existsSync(join(ROOT, 'terraform/modules', m, f)), `${m}/${f}`);
    assert.match(readFileSync(join(ROOT, 'terraform/modules', m, 'main.tf'), 'utf8'), /^resource "[a-z0-9_]+" "this" \{/m, `${m}: a resource named this`);
  }
});

test('every variable is typed and described, every output described', { skip: t.skip }, () => {
  let variables = 0;
  for (const file of TF) {
    const doc = hcl(file);
    for (const block of doc['variable'] ?? []) {
      for (const [name, body] of Object.entries(block as Hcl)) {
        variables++;
        assert.ok(body.type !== undefined, `${file}: variable ${name} has a type`);
        assert.ok(String(one(body.description) ?? '').length > 10, `${file}: variable ${name} has a description`);
      }
    }
    for (const block of doc['output'] ?? []) {
      for (const [name, body] of Object.entries(block as Hcl)) assert.ok(one(body.description), `${file}: output ${name} has a description`);
    }
  }
  assert.ok(variables > 40, `checked ${variables} variables`);
});

test('every module and root pins each provider it requires to one exact version, the same everywhere', { skip: t.skip }, () => {
  const seen = new Map<string, string>();
  const roots = [...MODULES.map((m) => `terraform/modules/${m}/versions.tf`), 'terraform/envs/prod/versions.tf'];
  for (const file of roots) {
    const tf = one(hcl(file)['terraform']) as Hcl;
    assert.ok(one(tf['required_version']), `${file}: required_version`);
    const providers = one(tf['required_providers']) as Record<string, Hcl | Hcl[]>;
    for (const [name, spec] of Object.entries(providers)) {
      if (name.startsWith('__')) continue;
      const { source, version } = one(spec);
      assert.match(version, /^\d+\.\d+\.\d+$/, `${file}: ${name} pinned exactly, got ${version}`);
      assert.equal(seen.get(source) ?? version, version, `${file}: ${source} at the same version as elsewhere`);
      seen.set(source, version);
    }
  }
  for (const file of TF) {
    for (const block of hcl(file)['module'] ?? []) {
      for (const [name, body] of Object.entries(block as Hcl)) assert.match(one(body.source), /^\.\.?\//, `${file}: module ${name} is one of ours, not the registry`);
    }
  }
});

test('no account id or region is hard-coded outside descriptions and examples', { skip: t.skip }, () => {
  const region = /\b(us|eu|ap|sa|ca|me|af|il|mx)-(east|west|north|south|central|northeast|southeast|northwest|southwest)-\d\b/;
  const walk = (v: unknown, path: string, out: string[]): void => {
    if (typeof v === 'string') {
      if (/(?<![\d.])\d{12}(?![\d.])/.test(v) || region.test(v)) out.push(`${path}: ${v}`);
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`, out));
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) if (k !== 'description' && k !== 'error_message') walk(x, `${path}.${k}`, out);
    }
  };
  const found: string[] = [];
  for (const file of TF) walk(hcl(file), file, found);
  assert.deepEqual(found, []);
});

test('checkov finds no failed check, and every skip says why on its line', { skip: t.skip }, () => {
  const r = run(join(t.bin as string, 'checkov'), ['-d', 'terraform', '--framework', 'terraform', '--quiet', '--compact', '-o', 'json', '--skip-download']);
  const reports = [JSON.parse(r.stdout)].flat() as { results: { failed_checks: { check_id: string; resource: string; file_path: string }[] }; summary: { passed: number } }[];
  const failed = reports.flatMap((x) => x.results.failed_checks.map((f) => `${f.check_id} ${f.resource} (${f.file_path})`));
  assert.deepEqual(failed, []);
  assert.ok(reports.reduce((n, x) => n + x.summary.passed, 0) > 100, 'checkov ran its checks');
  for (const file of TF) {
    for (const line of readFileSync(join(ROOT, file), 'utf8').split('\n')) {
      const m = line.match(/checkov:skip=([A-Z0-9_]+)(?::(.*))?/);
      if (m) assert.ok((m[2] ?? '').trim().length > 15, `${file}: skip of ${m[1]} is justified`);
    }
  }
});

// `terraform validate` cannot run without the providers; this is the part of it about our own modules.
test('every module call passes only variables the module declares, and every required one', { skip: t.skip }, () => {
  for (const root of ['terraform/envs/prod', 'terraform/envs/dev']) {
    for (const block of hcl(`${root}/main.tf`)['module'] ?? []) {
      for (const [name, body] of Object.entries(block as Hcl)) {
        const dir = join(root, one(body.source) as string);
        const declared = new Map<string, Hcl>();
        for (const v of hcl(`${dir}/variables.tf`)['variable'] ?? []) for (const [k, b] of Object.entries(v as Hcl)) declared.set(k, b);
        const args = Object.keys(body).filter((k) => !k.startsWith('__') && !['source', 'for_each', 'depends_on', 'count', 'providers'].includes(k));
        for (const a of args) assert.ok(declared.has(a), `${root} module ${name}: ${a} is a variable of ${dir}`);
        for (const [k, b] of declared) if (b['default'] === undefined) assert.ok(args.includes(k), `${root} module ${name}: required ${k} is passed`);
      }
    }
    const rootVars = new Set((hcl(`${root}/variables.tf`)['variable'] ?? []).flatMap((v: Hcl) => Object.keys(v)));
    const used = [...readFileSync(join(ROOT, root, 'main.tf'), 'utf8').matchAll(/\bvar\.([a-z0-9_]+)/g)].map((m) => m[1] as string);
    for (const v of used) assert.ok(rootVars.has(v), `${root}: var.${v} is declared`);
  }
});
