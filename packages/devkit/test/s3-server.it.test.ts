import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { S3Server, S3_LOCAL_CREDENTIALS, isAlive } from '../src/index.js';

const CLI = fileURLToPath(new URL('../src/s3-cli.js', import.meta.url));

function client(endpoint: string): S3Client {
  // Path-style, as Flink's s3.path.style.access: true: the bucket is a path segment, not a host name.
  return new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { ...S3_LOCAL_CREDENTIALS } }); // a copy: the SDK tags the object it is given
}

let dataDir: string;
let server: S3Server | undefined;

describe('the local S3 server', () => {
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'devkit-s3-it-'));
    server = await S3Server.start({ dataDir, buckets: ['flink-checkpoints', 'other'] });
  });

  after(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('stores, lists and returns objects in the buckets it was started with', async () => {
    const s3 = client(server!.endpoint);
    await s3.send(new PutObjectCommand({ Bucket: 'flink-checkpoints', Key: 'job/chk-1/_metadata', Body: 'meta-1' }));
    await s3.send(new PutObjectCommand({ Bucket: 'flink-checkpoints', Key: 'job/chk-2/_metadata', Body: 'meta-2' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'flink-checkpoints', Key: 'job/chk-2/_metadata' }));
    assert.equal(await got.Body!.transformToString(), 'meta-2');
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'flink-checkpoints', Prefix: 'job/' }));
    assert.deepEqual(listed.Contents?.map((o) => o.Key), ['job/chk-1/_metadata', 'job/chk-2/_metadata']);
    const other = await s3.send(new ListObjectsV2Command({ Bucket: 'other' }));
    assert.equal(other.KeyCount, 0);
  });

  test('assembles a multipart upload (how large checkpoint files are written) byte for byte', async () => {
    const s3 = client(server!.endpoint);
    const part1 = Buffer.alloc(5 * 1024 * 1024, 'a'); // S3's minimum size for every part but the last
    const part2 = Buffer.from('tail');
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'flink-checkpoints', Key: 'big' }));
    const parts = [];
    for (const [i, body] of [part1, part2].entries()) {
      const { ETag } = await s3.send(new UploadPartCommand({ Bucket: 'flink-checkpoints', Key: 'big', UploadId, PartNumber: i + 1, Body: body }));
      parts.push({ ETag, PartNumber: i + 1 });
    }
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: 'flink-checkpoints', Key: 'big', UploadId, MultipartUpload: { Parts: parts } }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'flink-checkpoints', Key: 'big' }));
    const bytes = Buffer.from(await got.Body!.transformToByteArray());
    assert.equal(bytes.length, part1.length + part2.length);
    assert.ok(bytes.equals(Buffer.concat([part1, part2])));
  });

  test('keeps objects across a stop and a new start on the same data dir, like checkpoints must', async () => {
    await server!.stop();
    assert.ok(!isAlive(server!.pid), 'stopped by its pid');
    server = await S3Server.start({ dataDir, buckets: ['flink-checkpoints'] });
    const got = await client(server.endpoint).send(new GetObjectCommand({ Bucket: 'flink-checkpoints', Key: 'job/chk-1/_metadata' }));
    assert.equal(await got.Body!.transformToString(), 'meta-1');
  });
});

interface Run { code: number; stdout: string; stderr: string }
function cli(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 180_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
    });
  });
}

describe('the s3-cli command', () => {
  let cliDir: string;
  let pid: number | undefined;
  before(() => {
    cliDir = mkdtempSync(join(tmpdir(), 'devkit-s3-cli-it-'));
  });
  after(async () => {
    if (pid !== undefined && isAlive(pid)) await cli('stop', '--data-dir', cliDir);
    rmSync(cliDir, { recursive: true, force: true });
  });

  test('start leaves a detached server that answers, status reports it, stop ends it by its pid', async () => {
    const start = await cli('start', '--data-dir', cliDir, '--port', '0', '--buckets', 'ckpt');
    assert.equal(start.code, 0, start.stderr);
    const state = JSON.parse(readFileSync(join(cliDir, 's3.json'), 'utf8')) as { pid: number; endpoint: string };
    pid = state.pid;
    assert.equal(start.stdout.trim(), state.endpoint);
    assert.ok(isAlive(state.pid), 'the server outlives the start command');
    const listed = await client(state.endpoint).send(new ListObjectsV2Command({ Bucket: 'ckpt' }));
    assert.equal(listed.KeyCount, 0);
    const status = await cli('status', '--data-dir', cliDir);
    assert.equal(status.code, 0, status.stdout);
    assert.match(status.stdout, /answering/);
    const stop = await cli('stop', '--data-dir', cliDir);
    assert.equal(stop.code, 0, stop.stderr);
    assert.ok(!isAlive(state.pid));
    assert.equal((await cli('status', '--data-dir', cliDir)).code, 1);
  });

  test('rejects a bad port with exit 2 naming the option', async () => {
    const run = await cli('start', '--data-dir', cliDir, '--port', 'x');
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--port/);
  });
});
