import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { silentLogger } from '@crypto-anomaly/common';
import { parseUdfConfig } from '../src/config.js';
import { startUdfServer, type RunningUdfServer } from '../src/server.js';
import { createScoringClient, REASON_TRAILER, SCORING_SERVICE_NAME, scoreBundle, type ScoringClient } from '../src/service.js';
import { syntheticSeries } from '../src/synthetic.js';
import { encodeResponse } from '../src/wire.js';
import { requestOf, T0 } from './helpers.js';

const MAIN_JS = fileURLToPath(new URL('../src/main.js', import.meta.url));
const DEADLINE_MS = 5_000;

type HealthClient = grpc.Client & { check(req: { service: string }, cb: (err: grpc.ServiceError | null, res?: { status: string }) => void): void };

function healthClient(address: string): HealthClient {
  const Ctor = grpc.makeClientConstructor(healthService as unknown as grpc.ServiceDefinition, 'Health');
  return new Ctor(address, grpc.credentials.createInsecure()) as unknown as HealthClient;
}

function checkHealth(client: HealthClient, service: string): Promise<string> {
  return new Promise((resolve, reject) => client.check({ service }, (err, res) => (err !== null ? reject(err) : resolve(res!.status))));
}

describe('ScoringService over a real gRPC server', () => {
  let server: RunningUdfServer;
  let client: ScoringClient;
  let health: HealthClient;

  before(async () => {
    server = await startUdfServer(parseUdfConfig({ server: { host: '127.0.0.1', port: 0 }, metrics: { host: '127.0.0.1', port: 0 } }), { logger: silentLogger() });
    client = createScoringClient(`127.0.0.1:${server.port}`);
    health = healthClient(`127.0.0.1:${server.port}`);
  });

  after(async () => {
    client.close();
    health.close();
    await server.shutdown(1_000);
  });

  it('scores a valid bundle and returns one result per window and the state per key', async () => {
    const windows = syntheticSeries(41, 'BTCUSDT', 3, T0);
    const res = await scoreBundle(client, requestOf(windows), DEADLINE_MS);
    assert.equal(res.results.length, 3);
    assert.deepEqual(res.results.map((r) => r.windowStartMs), windows.map((w) => w.windowStartMs));
    assert.equal(res.states.length, 1);
    assert.ok(res.states[0]!.state.length > 0);
    assert.equal(res.configVersion, server.scorer.configVersion);
    assert.equal(res.modelVersion, 'none');
    // Same answer as the scorer in-process: the wire adds nothing and loses nothing.
    assert.deepEqual(encodeResponse(res), encodeResponse(server.scorer.scoreBundle(requestOf(windows)).response));
  });

  it('answers INVALID_ARGUMENT with the reason for a window without state', async () => {
    const [w] = syntheticSeries(42, 'BTCUSDT', 1, T0);
    const err = await scoreBundle(client, requestOf([w!], [{ key: 'ETHUSDT/10s', state: new Uint8Array(0) }]), DEADLINE_MS).then(
      () => assert.fail('expected an error'),
      (e: grpc.ServiceError) => e,
    );
    assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
    assert.match(err.details, /key "BTCUSDT\/10s" has no entry in states/);
    assert.deepEqual(err.metadata.get(REASON_TRAILER), ['MISSING_STATE']);
  });

  it('answers INVALID_ARGUMENT for an empty bundle and keeps serving afterwards', async () => {
    const err = await scoreBundle(client, requestOf([], []), DEADLINE_MS).catch((e: grpc.ServiceError) => e);
    assert.equal((err as grpc.ServiceError).code, grpc.status.INVALID_ARGUMENT);
    const ok = await scoreBundle(client, requestOf(syntheticSeries(43, 'ETHUSDT', 1, T0)), DEADLINE_MS);
    assert.equal(ok.results.length, 1);
  });

  it('reports SERVING on the standard health service', async () => {
    assert.equal(await checkHealth(health, ''), 'SERVING');
    assert.equal(await checkHealth(health, SCORING_SERVICE_NAME), 'SERVING');
  });

  it('exposes scoring metrics over HTTP', async () => {
    const body = await (await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`)).text();
    const has = (name: string, labels: Record<string, string>, value: RegExp): void => {
      const line = body.split('\n').find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
      assert.ok(line !== undefined, `no ${name} ${JSON.stringify(labels)}`);
      assert.match(line.slice(line.lastIndexOf(' ') + 1), value);
    };
    has('udf_windows_total', { interval: '10s', outcome: 'scored' }, /^[1-9]\d*$/);
    has('udf_errors_total', { code: 'INVALID_ARGUMENT', reason: 'MISSING_STATE' }, /^1$/);
    has('udf_bundle_seconds_count', { outcome: 'ok' }, /^[1-9]\d*$/);
    assert.match(body, /udf_window_seconds_bucket/);
    assert.match(body, /udf_state_bytes_bucket/);
    assert.match(body, /udf_bundle_windows_bucket/);
  });
});

describe('the udf-server process', () => {
  it('starts from flags, serves health, and exits 0 after SIGTERM', async () => {
    const child = spawn(process.execPath, [MAIN_JS, '--host', '127.0.0.1', '--port', '0', '--metrics-port=-1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const first = JSON.parse(String((await lines.next()).value)) as { event: string; port: number };
    assert.equal(first.event, 'listening');
    const health = healthClient(`127.0.0.1:${first.port}`);
    assert.equal(await checkHealth(health, ''), 'SERVING');
    health.close();
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    assert.equal(code, 0);
  });

  it('fails at start with exit code 2 naming the bad config field', async () => {
    const child = spawn(process.execPath, [MAIN_JS, '--port', '99999'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 2);
    assert.match(stderr, /server\.port/);
  });
});
