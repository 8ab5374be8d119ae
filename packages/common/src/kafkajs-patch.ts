import { createRequire } from 'node:module';

/**
 * Fixes kafkajs 2.2.4's read_committed filtering, which can DROP COMMITTED RECORDS.
 *
 * A fetch response lists a partition's aborted transactions as (producerId, firstOffset). The
 * broker orders that list by the abort markers' offsets, not by firstOffset; the Java client
 * sorts it by firstOffset before use. kafkajs assumes it is sorted and activates at most one
 * entry per record, so with several aborted transactions (a Flink job restored from a
 * checkpoint aborts its lingering ones) an entry can be activated after its abort marker has
 * passed: every later transactional record of that producer id in the batch is then skipped,
 * committed or not (found while chasing missing alerts after a restore, which turned out to
 * be the broker's retention: docs/decisions/041).
 *
 * kafkajs's Batch takes the filter with `require('./filterAbortedMessages')` when it is first
 * loaded, so this module must be imported BEFORE anything loads kafkajs: make it the first
 * import of an entry point (`import '@crypto-anomaly/common/kafkajs-patch';`). It loads no
 * kafkajs module except the filter itself.
 */
interface KafkaMessage {
  offset: string;
  key?: Buffer | null;
  isControlRecord?: boolean;
  batchContext: { producerId: string; inTransaction: boolean };
}
interface AbortedTransaction {
  producerId: string;
  firstOffset: string;
}

const ABORT_MARKER_KEY = Buffer.from([0, 0, 0, 0]);
const isAbortMarker = (m: KafkaMessage): boolean => m.key != null && Buffer.from(m.key).equals(ABORT_MARKER_KEY);

/** Java's semantics (Fetcher/CompletedFetch): aborted ranges sorted by firstOffset, all due ones activated. */
export function filterAbortedMessages({ messages, abortedTransactions }: { messages: KafkaMessage[]; abortedTransactions?: AbortedTransaction[] }): KafkaMessage[] {
  if (!abortedTransactions || abortedTransactions.length === 0) return messages;
  const pending = [...abortedTransactions].sort((a, b) => {
    const d = BigInt(a.firstOffset) - BigInt(b.firstOffset);
    return d < 0n ? -1 : d > 0n ? 1 : 0;
  });
  const aborted = new Set<string>();
  return messages.filter((message) => {
    const offset = BigInt(message.offset);
    while (pending.length > 0 && offset >= BigInt(pending[0]!.firstOffset)) aborted.add(String(pending.shift()!.producerId));
    const producerId = String(message.batchContext.producerId);
    if (isAbortMarker(message)) {
      aborted.delete(producerId);
      return true;
    }
    return !(aborted.has(producerId) && message.batchContext.inTransaction);
  });
}

const require = createRequire(import.meta.url);
const path = require.resolve('kafkajs/src/consumer/filterAbortedMessages.js');
const batchPath = require.resolve('kafkajs/src/consumer/batch.js');
if (require.cache[batchPath] !== undefined && require('kafkajs/src/consumer/filterAbortedMessages.js') !== filterAbortedMessages) {
  // Too late: Batch already holds the original filter. Fail loudly rather than read wrongly.
  throw new Error('kafkajs-patch was imported after kafkajs was loaded; import it first in the entry point');
}
require(path);
require.cache[path]!.exports = filterAbortedMessages;

/** True when kafkajs will use the fixed filter (for tests). */
export function kafkajsPatched(): boolean {
  return require('kafkajs/src/consumer/filterAbortedMessages.js') === filterAbortedMessages;
}
