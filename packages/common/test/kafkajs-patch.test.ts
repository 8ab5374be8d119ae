import '../src/kafkajs-patch.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { filterAbortedMessages, kafkajsPatched } from '../src/kafkajs-patch.js';

const msg = (offset: number, producerId: string, opts: { marker?: boolean; tx?: boolean } = {}) => ({
  offset: String(offset),
  key: opts.marker ? Buffer.from([0, 0, 0, 0]) : Buffer.from('k'),
  isControlRecord: opts.marker === true,
  batchContext: { producerId, inTransaction: opts.tx ?? true },
});

test('kafkajs loads the fixed filter when the patch is imported first', async () => {
  await import('kafkajs');
  assert.ok(kafkajsPatched());
});

test('committed records survive when the broker lists aborted transactions out of firstOffset order', () => {
  // Producer 7 wrote 10-11 and aborted (marker at 12); producer 9 wrote 5 and aborted (marker at 13).
  // The broker lists them by marker offset: 7 first, although 9's range starts earlier.
  const messages = [
    msg(5, '9'), msg(10, '7'), msg(11, '7'), msg(12, '7', { marker: true }), msg(13, '9', { marker: true }),
    msg(20, '7'), msg(21, '9'), // later committed transactions of both producers
  ];
  const kept = filterAbortedMessages({ messages, abortedTransactions: [{ producerId: '7', firstOffset: '10' }, { producerId: '9', firstOffset: '5' }] });
  assert.deepEqual(kept.filter((m) => !m.isControlRecord).map((m) => m.offset), ['20', '21']);
});

test('several aborted ranges starting before one record are all activated at once', () => {
  const messages = [msg(8, '1'), msg(8, '2'), msg(9, '1', { marker: true }), msg(10, '2', { marker: true }), msg(11, '1'), msg(11, '2')];
  const kept = filterAbortedMessages({ messages, abortedTransactions: [{ producerId: '1', firstOffset: '3' }, { producerId: '2', firstOffset: '4' }] });
  assert.deepEqual(kept.filter((m) => !m.isControlRecord).map((m) => `${m.batchContext.producerId}@${m.offset}`), ['1@11', '2@11']);
});

test('records outside transactions are never filtered', () => {
  const messages = [msg(1, '5', { tx: false })];
  assert.equal(filterAbortedMessages({ messages, abortedTransactions: [{ producerId: '5', firstOffset: '0' }] }).length, 1);
});
