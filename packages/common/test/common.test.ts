import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError, ConfigError, backoffDelay, describeError, parseConfig, retry, z } from '../src/index.js';

test('backoff doubles per attempt up to the maximum, with full jitter below the ceiling', () => {
  const policy = { initialMs: 100, maxMs: 1_000, factor: 2, jitter: 1 };
  assert.deepEqual([0, 1, 2, 3, 4, 5].map((a) => backoffDelay(a, policy, () => 1)), [100, 200, 400, 800, 1_000, 1_000]);
  assert.equal(backoffDelay(3, policy, () => 0), 0);
  assert.equal(backoffDelay(3, { ...policy, jitter: 0 }, () => 0.3), 800, 'no jitter is deterministic');
});

test('retry retries retriable errors and gives up on the others at once', async () => {
  let calls = 0;
  const result = await retry(
    async () => {
      calls++;
      if (calls < 3) throw new AppError('FLAKY', 'try again', { retriable: true });
      return 'ok';
    },
    { sleep: async () => {} },
  );
  assert.equal(result, 'ok');
  assert.equal(calls, 3);
  calls = 0;
  await assert.rejects(retry(async () => { calls++; throw new AppError('FATAL', 'no'); }, { sleep: async () => {} }), /no/);
  assert.equal(calls, 1);
});

test('retry stops when the attempt count or the time budget is spent', async () => {
  let calls = 0;
  const flaky = async (): Promise<never> => {
    calls++;
    throw new AppError('FLAKY', 'down', { retriable: true });
  };
  await assert.rejects(retry(flaky, { maxAttempts: 4, sleep: async () => {} }), /down/);
  assert.equal(calls, 4);
  let t = 0;
  calls = 0;
  const policy = { initialMs: 100, maxMs: 100, factor: 1, jitter: 0 };
  await assert.rejects(retry(flaky, { policy, budgetMs: 350, now: () => t, sleep: async (ms) => { t += ms; } }), /down/);
  assert.equal(calls, 4, 'three 100 ms waits fit in 350 ms, a fourth does not');
});

test('describeError follows the cause chain', () => {
  const err = new AppError('PUBLISH', 'publish failed', { cause: new Error('ECONNREFUSED') });
  assert.equal(describeError(err), 'publish failed: ECONNREFUSED');
});

test('parseConfig names every bad field and freezes the result', () => {
  const schema = z.object({ port: z.number().int(), nested: z.object({ name: z.string().min(1) }) });
  assert.throws(() => parseConfig(schema, { port: 'x', nested: { name: '' } }, 'demo'), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /^invalid demo config: port: .*; nested\.name: /);
    return true;
  });
  const ok = parseConfig(schema, { port: 1, nested: { name: 'a' } }, 'demo');
  assert.ok(Object.isFrozen(ok.nested));
});
