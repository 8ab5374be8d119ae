import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';

/** Polls `predicate` every 20 ms until it holds or `timeoutMs` passes (then throws with `what`). */
export async function waitFor(what: string, predicate: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Reads a topic from the beginning with read_committed isolation until no new record has
 * arrived for `quietMs` (after at least `atLeast` records) or `timeoutMs` passes.
 */
export async function readTopic(bootstrap: string, topic: string, opts: { atLeast: number; quietMs?: number; timeoutMs?: number }): Promise<Buffer[]> {
  const kafka = new Kafka({ clientId: 'it-reader', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `it-${randomUUID()}`, readUncommitted: false, maxWaitTimeInMs: 100 });
  const out: Buffer[] = [];
  let lastAt = Date.now();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) if (m.value) out.push(m.value);
      lastAt = Date.now();
    },
  });
  const quiet = opts.quietMs ?? 1_500;
  try {
    await waitFor(`${opts.atLeast} records on ${topic} (have ${out.length})`, () => out.length >= opts.atLeast && Date.now() - lastAt > quiet, opts.timeoutMs ?? 60_000);
  } finally {
    await consumer.disconnect();
  }
  return out;
}

export const uniqueSuffix = (): string => randomUUID().slice(0, 8);
