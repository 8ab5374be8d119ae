import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '@crypto-anomaly/common';
import { ValidationError } from '@crypto-anomaly/scoring';
import { UdfMetrics } from '../src/metrics.js';
import { unary } from '../src/service.js';
import { createRegistry } from '@crypto-anomaly/common';

interface Answer { err: (Error & { code?: number; details?: string; metadata?: grpc.Metadata }) | null; res?: unknown }

/** Runs a handler through the adapter with a fake call and callback; collects logs and answers. */
async function run(fn: () => Promise<string>): Promise<{ answers: Answer[]; logs: string[] }> {
  const logs: string[] = [];
  const answers: Answer[] = [];
  const log = (level: string) => (obj: unknown, msg?: string) => void logs.push(`${level}:${msg ?? ''}`);
  const logger = { error: log('error'), warn: log('warn'), info: log('info'), debug: log('debug') } as unknown as Logger;
  const handler = unary<string, string>({ logger, metrics: new UdfMetrics(createRegistry('t', false)) }, 'Test', fn);
  handler({ request: 'req' } as unknown as grpc.ServerUnaryCall<string, string>, (err, res) => {
    logs.push('answered');
    answers.push({ err: err as Answer['err'], res });
  });
  await new Promise((r) => setTimeout(r, 10));
  return { answers, logs };
}

describe('the async-to-callback adapter', () => {
  it('answers a result once', async () => {
    const { answers } = await run(async () => 'ok');
    assert.deepEqual(answers, [{ err: null, res: 'ok' }]);
  });

  it('maps a validation error to INVALID_ARGUMENT with its message and reason', async () => {
    const { answers } = await run(async () => {
      throw new ValidationError('NO_WINDOWS', 'request has no windows');
    });
    assert.equal(answers.length, 1);
    assert.equal(answers[0]!.err?.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(answers[0]!.err?.details, 'request has no windows');
    assert.deepEqual(answers[0]!.err?.metadata?.get('x-reason'), ['NO_WINDOWS']);
  });

  it('logs an unexpected error before answering INTERNAL without leaking its message', async () => {
    const { answers, logs } = await run(async () => {
      throw new TypeError('secret internals');
    });
    assert.deepEqual(logs, ['error:unexpected error while handling a call', 'answered']);
    assert.equal(answers[0]!.err?.code, grpc.status.INTERNAL);
    assert.doesNotMatch(answers[0]!.err?.details ?? '', /secret/);
  });

  it('treats a synchronous throw like a rejection', async () => {
    const { answers } = await run((() => {
      throw new Error('sync');
    }) as () => Promise<string>);
    assert.equal(answers.length, 1);
    assert.equal(answers[0]!.err?.code, grpc.status.INTERNAL);
  });
});
