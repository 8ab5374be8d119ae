import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { MinHeap } from './heap.js';
import { readRecording, type ReadRecordingOptions } from './reader.js';
import type { RecordedMessage, Timed } from './types.js';

/** Default reorder window: the bundled files' worst in-file inversion is 4 ms (plus ~26 ms estimate jitter). */
export const DEFAULT_REORDER_WINDOW_MS = 100;

export interface MergeOptions {
  /**
   * Within one file, messages are in arrival order, and `E` is not quite monotone across streams
   * (a `@depth@100ms` event stamped on the 100 ms grid arrives after trades a few ms newer).
   * Each source is first sorted by event time within this window (stable, so the order of one
   * stream — whose `E` is monotone — is never changed). 0 disables it; the merge then follows
   * each source's own order and the output may step back by those few ms.
   */
  readonly reorderWindowMs?: number;
}

/**
 * K-way merge of several time-ordered sources into one stream ordered by `eventTimeMs`.
 * Stable: on equal event times the earlier source (in the `sources` array) goes first, and one
 * source's items keep their relative order. Pulls at most one item ahead per source.
 */
export async function* mergeByEventTime<T extends Timed>(
  sources: ReadonlyArray<AsyncIterable<T> | Iterable<T>>,
  options: MergeOptions = {},
): AsyncGenerator<T> {
  const window = options.reorderWindowMs ?? DEFAULT_REORDER_WINDOW_MS;
  const iterators = sources.map((s) => toAsync(window > 0 ? reorderByEventTime(s, window) : s)[Symbol.asyncIterator]());
  const done = iterators.map(() => false);
  type Head = { item: T; src: number };
  const heap = new MinHeap<Head>((a, b) => a.item.eventTimeMs < b.item.eventTimeMs || (a.item.eventTimeMs === b.item.eventTimeMs && a.src < b.src));
  const advance = async (src: number): Promise<void> => {
    const r = await (iterators[src] as AsyncIterator<T>).next();
    if (r.done === true) done[src] = true;
    else heap.push({ item: r.value, src });
  };
  try {
    await Promise.all(iterators.map((_, i) => advance(i)));
    while (heap.size > 0) {
      const head = heap.pop() as Head;
      yield head.item;
      await advance(head.src);
    }
  } finally {
    // Early exit by the consumer (break/return): close every source still open (files, gunzip).
    await Promise.all(iterators.map((it, i) => (done[i] ? undefined : it.return?.())));
  }
}

/**
 * Sorts a nearly-sorted stream by `eventTimeMs` with a bounded buffer: an item is released once
 * an item at least `windowMs` newer has been seen. Stable (ties keep input order). An item more
 * than `windowMs` late cannot be fixed and is passed on as soon as possible.
 */
export async function* reorderByEventTime<T extends Timed>(source: AsyncIterable<T> | Iterable<T>, windowMs: number): AsyncGenerator<T> {
  type Entry = { item: T; seq: number };
  const heap = new MinHeap<Entry>((a, b) => a.item.eventTimeMs < b.item.eventTimeMs || (a.item.eventTimeMs === b.item.eventTimeMs && a.seq < b.seq));
  let seq = 0;
  let maxSeen = -Infinity;
  for await (const item of source) {
    heap.push({ item, seq: seq++ });
    if (item.eventTimeMs > maxSeen) maxSeen = item.eventTimeMs;
    while (heap.size > 0 && (heap.peek() as Entry).item.eventTimeMs <= maxSeen - windowMs) yield (heap.pop() as Entry).item;
  }
  while (heap.size > 0) yield (heap.pop() as Entry).item;
}

/** Passes only messages of the given streams (compared case-insensitively: "btcusdt@bookticker" matches). */
export async function* filterStreams<T extends { readonly stream: string }>(items: AsyncIterable<T> | Iterable<T>, streams: Iterable<string>): AsyncGenerator<T> {
  const wanted = new Set([...streams].map((s) => s.toLowerCase()));
  const cache = new Map<string, boolean>();
  for await (const item of items) {
    let ok = cache.get(item.stream);
    if (ok === undefined) {
      ok = wanted.has(item.stream.toLowerCase());
      cache.set(item.stream, ok);
    }
    if (ok) yield item;
  }
}

/** The four bundled gz files: 11 contiguous minutes (2024-08-08 23:54:13 -> 2024-08-09 00:05:05 UTC) of BTCUSDT and ETHUSDT. */
export const BUNDLED_RECORDING_FILES: readonly string[] = Object.freeze([
  'btcusdt_20240808.gz',
  'ethusdt_20240808.gz',
  'btcusdt_20240809.gz',
  'ethusdt_20240809.gz',
]);

/** data/recordings/ of this repository (from dist/src/merge.js: four levels up is the repo root). */
export const BUNDLED_RECORDINGS_DIR: string = fileURLToPath(new URL('../../../../data/recordings/', import.meta.url));

export function bundledRecordingPaths(dir: string = BUNDLED_RECORDINGS_DIR): string[] {
  return BUNDLED_RECORDING_FILES.map((f) => join(dir, f));
}

export interface OpenRecordingsOptions extends MergeOptions, ReadRecordingOptions {
  /** Only these streams (case-insensitive). */
  readonly streams?: Iterable<string>;
}

/** Several recording files merged by event time, optionally filtered to some streams. */
export function openRecordings(paths: readonly string[], options: OpenRecordingsOptions = {}): AsyncIterable<RecordedMessage> {
  const merged = mergeByEventTime(
    paths.map((p) => readRecording(p, options)),
    options,
  );
  return options.streams === undefined ? merged : filterStreams(merged, options.streams);
}

/**
 * "The bundled 11-minute BTCUSDT+ETHUSDT recording": all four gz files merged by event time
 * (streams btcusdt@trade, btcusdt@bookTicker, btcusdt@depth@100ms and the same for ethusdt;
 * 179,316 messages). `dir` overrides where the files are.
 */
export function openBundledRecording(options: OpenRecordingsOptions & { readonly dir?: string } = {}): AsyncIterable<RecordedMessage> {
  return openRecordings(bundledRecordingPaths(options.dir), options);
}

function toAsync<T>(source: AsyncIterable<T> | Iterable<T>): AsyncIterable<T> {
  if (Symbol.asyncIterator in source) return source;
  return (async function* () {
    yield* source;
  })();
}
