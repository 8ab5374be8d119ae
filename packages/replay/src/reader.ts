import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { silentLogger, type Logger } from '@crypto-anomaly/common';
import { isEnvelope } from './envelope.js';
import type { RecordedMessage } from './types.js';

/**
 * Line formats seen in the bundled recordings (the format is detected per line, so a file could
 * even mix them; the container — gzip or plain — is detected from the magic bytes):
 *  - `receive-int`: `<local_receive_time> <raw json>` with an integer timestamp; hftbacktest's
 *    collector writes nanoseconds (19 digits). Micro- and milliseconds are told apart by digit count.
 *  - `receive-seconds`: `<local_unix_seconds_float>: <raw json>` (cryptofeed's BINANCE.ws.* capture),
 *    whose first line is a header `wss://... <-> <connect_ts>`.
 */
export type LineFormat = 'receive-int' | 'receive-seconds';

export type SkipReason = 'not-envelope' | 'invalid-json' | 'unrecognised-line';

export interface ReaderStats {
  readonly path: string;
  /** True when the file is gzip (magic bytes 1f 8b). */
  compressed: boolean;
  /** Line format of the first message line; undefined until one was read. */
  format: LineFormat | undefined;
  /** Every line read, including header, empty and skipped lines. */
  lines: number;
  /** Messages yielded. */
  messages: number;
  /** Non-empty lines that are not messages (REST snapshots, garbage); by reason in `skippedByReason`. */
  skipped: number;
  skippedByReason: Record<SkipReason, number>;
  headerLines: number;
  emptyLines: number;
  /** Messages whose event time was estimated (no `E` in the payload). */
  estimated: number;
  /** Messages per stream name, as recorded. */
  byStream: Record<string, number>;
  /** Latest observed `E - receivedAtMs`: the collector clock's lag behind Binance. */
  clockOffsetMs: number | undefined;
}

export interface ReadRecordingOptions {
  /**
   * How many E-less messages may wait for the file's first `E` (to learn the clock offset).
   * If none shows up within this many, they are released with offset 0 (event time = receive time).
   */
  readonly lookaheadLimit?: number;
  readonly logger?: Logger;
}

/**
 * Streams one recording file line by line (readline over zlib; never the whole file in memory).
 * Iterable more than once: each iteration re-opens the file and resets `stats`.
 *
 * Event time is the payload's `E`. Spot `@bookTicker` payloads have none, so their event time is
 * estimated as `receivedAtMs + offset`, where offset is the latest observed `E - receivedAtMs` in
 * the file (the recordings' collector clock is ~1.27 s behind Binance; the offset absorbs that).
 * Messages before the first `E` wait in a small lookahead buffer until the offset is known.
 * An estimate is clamped to be >= the previous event time of the same stream: the offset jitters
 * by tens of ms, and a per-stream time going backwards would let a later sort by event time swap
 * two updates of one stream (their `u` ids would then regress).
 */
export class RecordingReader implements AsyncIterable<RecordedMessage> {
  readonly path: string;
  stats: ReaderStats;
  private readonly lookaheadLimit: number;
  private readonly logger: Logger;

  constructor(path: string, options: ReadRecordingOptions = {}) {
    this.path = path;
    this.lookaheadLimit = options.lookaheadLimit ?? 10_000;
    this.logger = options.logger ?? silentLogger();
    this.stats = emptyStats(path);
  }

  [Symbol.asyncIterator](): AsyncIterator<RecordedMessage> {
    return this.read();
  }

  private async *read(): AsyncGenerator<RecordedMessage> {
    const stats = (this.stats = emptyStats(this.path));
    stats.compressed = await isGzip(this.path);
    const file = createReadStream(this.path);
    const input: Readable = stats.compressed ? file.pipe(createGunzip()) : file;
    // A gunzip error (truncated file) must reach the consumer, not crash the process.
    file.on('error', (err) => input.destroy(err));
    const rl = createInterface({ input, crlfDelay: Infinity });

    let offset: number | undefined;
    const lastEventTime = new Map<string, number>();
    // E-less messages seen before the first E: their estimate needs the offset.
    let pending: Array<{ receivedAtMs: number; stream: string; raw: string }> = [];

    const estimate = (receivedAtMs: number, stream: string, raw: string, off: number): RecordedMessage => {
      const prev = lastEventTime.get(stream);
      const guess = receivedAtMs + off;
      const eventTimeMs = prev !== undefined && prev > guess ? prev : guess;
      lastEventTime.set(stream, eventTimeMs);
      stats.estimated++;
      return count({ receivedAtMs, eventTimeMs, eventTimeEstimated: true, stream, raw });
    };
    const count = (m: RecordedMessage): RecordedMessage => {
      stats.messages++;
      stats.byStream[m.stream] = (stats.byStream[m.stream] ?? 0) + 1;
      return m;
    };
    const flushPending = function* (off: number): Generator<RecordedMessage> {
      const items = pending;
      pending = [];
      for (const p of items) yield estimate(p.receivedAtMs, p.stream, p.raw, off);
    };

    try {
      for await (const line of rl) {
        stats.lines++;
        const parsed = parseLine(line);
        if (parsed.kind === 'empty') {
          stats.emptyLines++;
          continue;
        }
        if (parsed.kind === 'header') {
          stats.headerLines++;
          continue;
        }
        if (parsed.kind === 'unrecognised') {
          this.skip('unrecognised-line', stats, line);
          continue;
        }
        stats.format ??= parsed.format;
        let doc: unknown;
        try {
          doc = JSON.parse(parsed.raw);
        } catch {
          this.skip('invalid-json', stats, line);
          continue;
        }
        if (!isEnvelope(doc)) {
          // e.g. the REST depth snapshot `{"lastUpdateId":..,"bids":..,"asks":..}` in the 20240808 files
          this.skip('not-envelope', stats, line);
          continue;
        }
        const stream = doc.stream;
        const e = doc.data['E'];
        if (typeof e === 'number' && Number.isFinite(e)) {
          offset = e - parsed.receivedAtMs;
          stats.clockOffsetMs = offset;
          if (pending.length > 0) yield* flushPending(offset);
          lastEventTime.set(stream, e);
          yield count({ receivedAtMs: parsed.receivedAtMs, eventTimeMs: e, eventTimeEstimated: false, stream, raw: parsed.raw });
        } else if (offset !== undefined) {
          yield estimate(parsed.receivedAtMs, stream, parsed.raw, offset);
        } else {
          pending.push({ receivedAtMs: parsed.receivedAtMs, stream, raw: parsed.raw });
          if (pending.length >= this.lookaheadLimit) {
            this.logger.warn({ path: this.path, lookaheadLimit: this.lookaheadLimit }, 'no event time E within lookahead; estimating with offset 0');
            yield* flushPending(0);
          }
        }
      }
      if (pending.length > 0) yield* flushPending(offset ?? 0);
    } finally {
      rl.close();
      input.destroy();
      file.destroy();
    }
  }

  private skip(reason: SkipReason, stats: ReaderStats, line: string): void {
    stats.skipped++;
    stats.skippedByReason[reason]++;
    this.logger.debug({ path: this.path, line: stats.lines, reason, text: line.slice(0, 80) }, 'skipped recording line');
  }
}

/** Opens one recording file (either format, gzip or plain). */
export function readRecording(path: string, options?: ReadRecordingOptions): RecordingReader {
  return new RecordingReader(path, options);
}

export type ParsedLine =
  | { kind: 'message'; format: LineFormat; receivedAtMs: number; raw: string }
  | { kind: 'header' }
  | { kind: 'empty' }
  | { kind: 'unrecognised' };

const INT_TS = /^\d{9,20}$/;
const FLOAT_TS = /^\d{9,11}(\.\d+)?$/;

/** Classifies one line; exported for unit tests. */
export function parseLine(line: string): ParsedLine {
  if (line.length === 0 || line.trim().length === 0) return { kind: 'empty' };
  if ((line.startsWith('wss://') || line.startsWith('ws://')) && line.includes(' <-> ')) return { kind: 'header' };
  const sp = line.indexOf(' ');
  if (sp <= 0) return { kind: 'unrecognised' };
  const prefix = line.slice(0, sp);
  if (prefix.endsWith(':') && FLOAT_TS.test(prefix.slice(0, -1))) {
    return { kind: 'message', format: 'receive-seconds', receivedAtMs: secondsToMs(prefix.slice(0, -1)), raw: line.slice(sp + 1) };
  }
  if (INT_TS.test(prefix)) {
    return { kind: 'message', format: 'receive-int', receivedAtMs: intTimestampToMs(prefix), raw: line.slice(sp + 1) };
  }
  return { kind: 'unrecognised' };
}

/** "1633998512.0633569" -> 1633998512063.3569, splitting to keep the fraction's precision. */
function secondsToMs(text: string): number {
  const dot = text.indexOf('.');
  if (dot < 0) return Number(text) * 1000;
  return Number(text.slice(0, dot)) * 1000 + Number(`0${text.slice(dot)}`) * 1000;
}

/**
 * An integer epoch timestamp whose unit follows from its length (ns 19 digits, us 16, ms 13,
 * s 10). Nanoseconds exceed 2^53, so the string is split instead of going through one Number.
 */
function intTimestampToMs(text: string): number {
  const n = text.length;
  if (n >= 18) return Number(text.slice(0, n - 6)) + Number(text.slice(n - 6)) / 1e6;
  if (n >= 15) return Number(text.slice(0, n - 3)) + Number(text.slice(n - 3)) / 1e3;
  if (n >= 12) return Number(text);
  return Number(text) * 1000;
}

async function isGzip(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await fh.read(buf, 0, 2, 0);
    return bytesRead === 2 && buf[0] === 0x1f && buf[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

function emptyStats(path: string): ReaderStats {
  return {
    path,
    compressed: false,
    format: undefined,
    lines: 0,
    messages: 0,
    skipped: 0,
    skippedByReason: { 'not-envelope': 0, 'invalid-json': 0, 'unrecognised-line': 0 },
    headerLines: 0,
    emptyLines: 0,
    estimated: 0,
    byStream: {},
    clockOffsetMs: undefined,
  };
}
