import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { isAlive } from '../src/index.js';

/** The CLI that scripts/run.sh uses: a detached broker that outlives the command that started it. */
const CLI = fileURLToPath(new URL('../src/kafka-cli.js', import.meta.url));

interface Run { code: number; stdout: string; stderr: string }

function cli(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 180_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

let dataDir: string;
let pid: number | undefined;

describe('the kafka-cli command', () => {
  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'devkit-cli-it-'));
  });

  after(async () => {
    // Whatever happened above, leave no JVM behind.
    if (pid !== undefined && isAlive(pid)) await cli('stop', '--data-dir', dataDir);
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('start returns once the broker accepts clients, leaves it running detached and records pid and bootstrap', async () => {
    const run = await cli('start', '--data-dir', dataDir, '--port', '0', '--partitions', '2');
    assert.equal(run.code, 0, run.stderr);
    const state = JSON.parse(readFileSync(join(dataDir, 'broker.json'), 'utf8')) as { pid: number; bootstrap: string };
    pid = state.pid;
    assert.equal(run.stdout.trim(), state.bootstrap);
    assert.ok(isAlive(state.pid), 'the broker outlives the start command');
    const admin = new Kafka({ clientId: 'cli-it', brokers: [state.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: ['raw-trades', 'alerts', 'dead-letter'] });
      assert.deepEqual(topics.map((t) => t.partitions.length), [2, 2, 2], 'the default topics exist with --partitions each');
      assert.equal((await admin.listTopics()).filter((t) => !t.startsWith('__')).length, 9);
    } finally {
      await admin.disconnect();
    }
  });

  test('a second start finds the running broker instead of starting another', async () => {
    const run = await cli('start', '--data-dir', dataDir, '--port', '0');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /already running/);
    assert.equal(JSON.parse(readFileSync(join(dataDir, 'broker.json'), 'utf8')).pid, pid);
  });

  test('status reports a running broker that accepts clients with exit code 0', async () => {
    const run = await cli('status', '--data-dir', dataDir, '--json');
    assert.equal(run.code, 0, run.stderr);
    const status = JSON.parse(run.stdout) as { running: boolean; accepting: boolean; pid: number };
    assert.deepEqual([status.running, status.accepting, status.pid], [true, true, pid]);
  });

  test('stop ends the broker by its pid and removes broker.json; status then exits 1 and stop again is harmless', async () => {
    const run = await cli('stop', '--data-dir', dataDir);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(!isAlive(pid!), `pid ${pid} must be gone`);
    assert.ok(!existsSync(join(dataDir, 'broker.json')));
    assert.equal((await cli('status', '--data-dir', dataDir)).code, 1);
    assert.equal((await cli('stop', '--data-dir', dataDir)).code, 0);
  });

  test('bad arguments exit with code 2 and say what is wrong', async () => {
    const run = await cli('start', '--data-dir', dataDir, '--partitions', 'zero');
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--partitions must be an integer/);
    assert.equal((await cli('launch', '--data-dir', dataDir)).code, 2);
  });
});
