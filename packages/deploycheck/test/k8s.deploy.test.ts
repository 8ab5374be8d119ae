import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type Manifest, OVERLAYS, ROOT, jobOptions, missing, parseYaml, py, render, run, tools, withJson } from '../src/index.js';

const t = tools();
const skip = missing('kubectl') ?? t.skip;
const TREES = ['base', ...OVERLAYS] as const;
const rendered = new Map<string, Manifest[]>();
function manifests(tree: (typeof TREES)[number]): Manifest[] {
  let docs = rendered.get(tree);
  if (!docs) {
    const r = render(tree);
    if (r.error !== undefined) throw new Error(`kubectl kustomize ${tree} failed: ${r.error}`);
    docs = parseYaml(t.bin as string, r.yaml);
    rendered.set(tree, docs);
  }
  return docs;
}
const flinkOf = (tree: (typeof TREES)[number]): Manifest => {
  const fd = manifests(tree).filter((m) => m.kind === 'FlinkDeployment');
  assert.equal(fd.length, 1, `${tree}: one FlinkDeployment`);
  return fd[0] as Manifest;
};
type Container = { name: string; image?: string; ports?: { name?: string; containerPort: number }[]; args?: string[]; [probe: string]: unknown };
/** Every pod spec in a tree, named by where it is. */
function podSpecs(tree: (typeof TREES)[number]): { where: string; spec: { containers?: Container[]; initContainers?: Container[] } }[] {
  const out = [];
  for (const m of manifests(tree)) {
    if (m.kind === 'FlinkDeployment') {
      for (const part of ['podTemplate', 'jobManager.podTemplate', 'taskManager.podTemplate']) {
        const tpl = part.split('.').reduce<any>((o, k) => o?.[k], m.spec);
        if (tpl?.spec) out.push({ where: `${m.metadata.name} ${part}`, spec: tpl.spec });
      }
    } else if (m.spec?.template?.spec) out.push({ where: `${m.kind} ${m.metadata.name}`, spec: m.spec.template.spec });
  }
  return out;
}

test('every tree renders with kubectl kustomize (base, dev, prod with the example Terraform outputs)', { skip }, () => {
  for (const tree of TREES) assert.ok(manifests(tree).length > 5, `${tree} renders manifests`);
});

test('no placeholder is left in a rendered overlay', { skip }, () => {
  for (const tree of OVERLAYS) {
    const text = JSON.stringify(manifests(tree));
    assert.ok(!text.includes('REPLACED-BY-OVERLAY'), `${tree}: every REPLACED-BY-OVERLAY is replaced`);
    assert.ok(!manifests(tree).some((m) => m.metadata.name === 'deploy-settings'), `${tree}: the settings ConfigMap is local config only`);
  }
});

test('the FlinkDeployment validates against the openAPIV3Schema of the operator 1.15.0 CRD', { skip }, () => {
  const crd = py<Manifest[]>(t.bin as string, 'yaml', join(ROOT, 'k8s/crds/flinkdeployments.flink.apache.org-v1.yml'))[0] as Manifest;
  const version = (crd.spec.versions as { name: string; schema: { openAPIV3Schema: object } }[]).find((v) => v.name === 'v1beta1');
  assert.ok(version, 'the CRD serves v1beta1');
  withJson(version.schema.openAPIV3Schema, (schemaFile) => {
    for (const tree of TREES) {
      const errors = withJson(flinkOf(tree), (doc) => py<{ path: string; message: string }[]>(t.bin as string, 'schema', schemaFile, doc));
      assert.deepEqual(errors, [], `${tree}: FlinkDeployment schema errors`);
    }
    // The schema really constrains: a wrong flinkVersion and a misspelt field are rejected.
    const bad = structuredClone(flinkOf('prod'));
    bad.spec.flinkVersion = 'v2_9';
    bad.spec.job.upgradeMod = 'savepoint';
    const errors = withJson(bad, (doc) => py<{ path: string }[]>(t.bin as string, 'schema', schemaFile, doc));
    assert.ok(errors.some((e) => e.path === 'spec/flinkVersion'), 'a bad flinkVersion is caught');
  });
});

test('every other manifest validates strictly against the Kubernetes 1.33 schemas', { skip }, () => {
  for (const tree of TREES) {
    const others = manifests(tree).filter((m) => m.kind !== 'FlinkDeployment');
    const results = others.map((m) =>
      withJson(m, (file) => run(join(t.bin as string, 'kubernetes-validate'), ['--strict', '--quiet', '-k', '1.33.0', file])),
    );
    results.forEach((r, i) => assert.equal(r.code, 0, `${tree} ${others[i]?.kind}/${others[i]?.metadata.name}: ${r.stdout}${r.stderr}`));
  }
});

test('the FlinkDeployment is an application-mode job of Flink 2.2 upgraded by savepoint, with Kubernetes HA and incremental RocksDB checkpoints on S3', { skip }, () => {
  for (const tree of TREES) {
    const { spec } = flinkOf(tree);
    assert.equal(spec.flinkVersion, 'v2_2');
    assert.equal(spec.job.upgradeMode, 'savepoint');
    assert.equal(spec.job.jarURI, 'local:///opt/flink/usrlib/flink-job.jar');
    const conf = spec.flinkConfiguration as Record<string, string>;
    assert.equal(conf['high-availability.type'], 'kubernetes');
    assert.equal(conf['state.backend.type'], 'rocksdb');
    assert.equal(conf['execution.checkpointing.incremental'], 'true');
    for (const key of ['execution.checkpointing.dir', 'execution.checkpointing.savepoint-dir', 'high-availability.storageDir']) {
      // base holds placeholders; the overlays must fill them with real bucket URIs.
      assert.match(conf[key] ?? '', tree === 'base' ? /^s3:\/\// : /^s3:\/\/[a-z0-9.-]+\/.+/, `${tree}: ${key} is an S3 URI`);
    }
  }
});

test('the job jar the FlinkDeployment runs is the one the Flink Dockerfile installs', () => {
  const dockerfile = readFileSync(join(ROOT, 'flink-job/Dockerfile'), 'utf8');
  assert.match(dockerfile, /\/opt\/flink\/usrlib\/flink-job\.jar/);
  assert.match(readFileSync(join(ROOT, 'k8s/base/flinkdeployment.yaml'), 'utf8'), /jarURI: local:\/\/\/opt\/flink\/usrlib\/flink-job\.jar/);
});

test('the scoring sidecar sits in the TaskManager pod template only, and the job calls it on localhost at its port', { skip }, () => {
  for (const tree of TREES) {
    const where = podSpecs(tree)
      .filter((p) => [...(p.spec.containers ?? []), ...(p.spec.initContainers ?? [])].some((c) => c.name === 'udf-server' || (c.image ?? '').includes('udf-server')))
      .map((p) => p.where);
    assert.deepEqual(where, ['anomaly-job taskManager.podTemplate'], `${tree}: pods with the sidecar`);
    const { spec } = flinkOf(tree);
    const args = spec.job.args as string[];
    const address = args[args.indexOf('--scoring-address') + 1];
    const sidecar = (spec.taskManager.podTemplate.spec.containers as Container[]).find((c) => c.name === 'udf-server') as Container;
    const port = sidecar.ports?.find((p) => p.name === 'grpc')?.containerPort;
    assert.equal(address, `localhost:${port}`, `${tree}: --scoring-address`);
    assert.ok(sidecar.readinessProbe && (sidecar.readinessProbe as { grpc?: unknown }).grpc, `${tree}: gRPC readiness probe`);
  }
});

test('every probe names a port its own container declares', { skip }, () => {
  for (const tree of TREES) {
    for (const { where, spec } of podSpecs(tree)) {
      for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
        for (const kind of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
          const probe = c[kind] as Record<string, { port: number | string }> | undefined;
          if (!probe) continue;
          const target = probe['grpc'] ?? probe['httpGet'] ?? probe['tcpSocket'];
          assert.ok(target, `${tree} ${where} ${c.name} ${kind}: grpc, httpGet or tcpSocket`);
          const ok = (c.ports ?? []).some((p) => p.name === target.port || p.containerPort === target.port);
          assert.ok(ok, `${tree} ${where} ${c.name} ${kind}: port ${target.port} is one of ${JSON.stringify(c.ports ?? [])}`);
        }
      }
    }
  }
});

test('the three project images carry one tag per overlay', { skip }, () => {
  for (const tree of TREES) {
    const images = podSpecs(tree).flatMap((p) => (p.spec.containers ?? []).map((c) => c.image)).concat(flinkOf(tree).spec.image);
    const ours = images.filter((i): i is string => typeof i === 'string' && /crypto-anomaly\/(flink-job|udf-server|producer):/.test(i));
    const names = new Set(ours.map((i) => i.replace(/:[^:/]+$/, '').split('/').pop()));
    assert.deepEqual([...names].sort(), ['flink-job', 'producer', 'udf-server'], `${tree}: images ${ours.join(', ')}`);
    const tags = new Set(ours.map((i) => i.slice(i.lastIndexOf(':') + 1)));
    assert.equal(tags.size, 1, `${tree}: one tag, got ${[...tags].join(', ')}`);
    assert.ok(!tags.has('latest'), `${tree}: no :latest`);
  }
});

test("the job arguments use only options the job's parser knows, each with a value", { skip }, () => {
  const { options, flags } = jobOptions();
  assert.ok(options.has('--bootstrap-servers') && options.size > 20, `parsed ${options.size} options from JobConfig.java`);
  for (const tree of TREES) {
    const { spec } = flinkOf(tree);
    const args = spec.job.args as string[];
    for (let i = 0; i < args.length; i++) {
      const a = args[i] as string;
      if (flags.has(a)) continue;
      assert.ok(options.has(a), `${tree}: ${a} is an option of JobConfig (known: ${[...options].join(' ')})`);
      const value = args[++i];
      assert.ok(value !== undefined && !value.startsWith('--'), `${tree}: ${a} has a value`);
    }
    assert.ok(!args.includes('--local'), `${tree}: not a MiniCluster run`);
    const cp = args[args.indexOf('--checkpoint-dir') + 1];
    if (args.includes('--checkpoint-dir')) assert.equal(cp, spec.flinkConfiguration['execution.checkpointing.dir'], `${tree}: --checkpoint-dir agrees with Flink configuration`);
  }
});

test('the producer and the Flink job read the same Kafka bootstrap servers', { skip }, () => {
  for (const tree of OVERLAYS) {
    const args = flinkOf(tree).spec.job.args as string[];
    const producer = manifests(tree).find((m) => m.kind === 'Deployment' && m.metadata.name === 'producer') as Manifest;
    const pargs = producer.spec.template.spec.containers[0].args as string[];
    assert.equal(pargs[pargs.indexOf('--brokers') + 1], args[args.indexOf('--bootstrap-servers') + 1], tree);
  }
});

test('each component runs as its own service account, annotated with its IAM role in prod', { skip }, () => {
  const docs = manifests('prod');
  const sa = (name: string): Manifest | undefined => docs.find((m) => m.kind === 'ServiceAccount' && m.metadata.name === name);
  for (const name of ['flink', 'producer']) {
    assert.match(sa(name)?.metadata.annotations?.['eks.amazonaws.com/role-arn'] ?? '', new RegExp(`^arn:aws:iam::\\d{12}:role/.+-${name}$`));
  }
  assert.equal(flinkOf('prod').spec.serviceAccount, 'flink');
  const producer = docs.find((m) => m.kind === 'Deployment' && m.metadata.name === 'producer') as Manifest;
  assert.equal(producer.spec.template.spec.serviceAccountName, 'producer');
});

test('checkov finds no failed Kubernetes check in a rendered overlay, and every skip says why', { skip }, () => {
  for (const tree of OVERLAYS) {
    const r = render(tree);
    const dir = mkdtempSync(join(tmpdir(), 'deploycheck-'));
    try {
      writeFileSync(join(dir, `${tree}.yaml`), r.yaml);
      const out = run(join(t.bin as string, 'checkov'), ['-d', dir, '--framework', 'kubernetes', '--quiet', '--compact', '-o', 'json', '--skip-download']);
      const reports = [JSON.parse(out.stdout)].flat() as { results: { failed_checks: { check_id: string; resource: string }[] }; summary: { passed: number } }[];
      assert.deepEqual(reports.flatMap((x) => x.results.failed_checks.map((f) => `${f.check_id} ${f.resource}`)), [], tree);
      assert.ok(reports.reduce((n, x) => n + x.summary.passed, 0) > 50, `${tree}: checkov ran its checks`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  for (const m of manifests('prod')) {
    for (const [k, v] of Object.entries(m.metadata.annotations ?? {})) {
      if (k.startsWith('checkov.io/skip')) assert.match(v, /^CKV[A-Z0-9_]+=.{15,}/, `${m.kind}/${m.metadata.name} ${k} is justified`);
    }
  }
});

test('the settings the overlays read are exactly what terraform-outputs.sh writes, from outputs Terraform declares', () => {
  const script = readFileSync(join(ROOT, 'k8s/terraform-outputs.sh'), 'utf8');
  const written = [...script.matchAll(/echo "([A-Z_]+)=\$\(tf ([a-z0-9_]+)\)/g)];
  const outputs = new Set([...readFileSync(join(ROOT, 'terraform/envs/prod/outputs.tf'), 'utf8').matchAll(/^output "([a-z0-9_]+)"/gm)].map((m) => m[1]));
  for (const [, key, output] of written) assert.ok(outputs.has(output as string), `${key}: terraform output ${output} exists`);
  const read = new Set([...readFileSync(join(ROOT, 'k8s/components/settings/kustomization.yaml'), 'utf8').matchAll(/fieldPath: data\.([A-Z_]+)/g)].map((m) => m[1]));
  assert.deepEqual([...read].sort(), written.map((m) => m[1]).sort(), 'keys read by the settings component = keys written');
  for (const env of OVERLAYS) {
    const example = readFileSync(join(ROOT, `k8s/overlays/${env}/terraform-outputs.env.example`), 'utf8');
    const keys = [...example.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]);
    assert.deepEqual(keys.sort(), [...read].sort(), `${env}: the example has every key`);
  }
});
