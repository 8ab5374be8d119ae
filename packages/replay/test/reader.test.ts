import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { gzipSync, gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRecording, parseLine } from '../src/reader.js';
import type { RecordedMessage } from '../src/types.js';
import { RECORDINGS, collect } from './helpers.js';

const countBy = (ms: RecordedMessage[]): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const m of ms) out[m.stream] = (out[m.stream] ?? 0) + 1;
  return out;
};

describe('gzipped receive-time recordings (hftbacktest collector format)', () => {
  it('reads btcusdt_20240809.gz with the stream counts documented in SOURCE.md', async () => {
    const reader = readRecording(join(RECORDINGS, 'btcusdt_20240809.gz'));
    const items = await collect(reader);
    assert.deepEqual(countBy(items), { 'btcusdt@trade': 10_147, 'btcusdt@bookTicker': 45_134, 'btcusdt@depth@100ms': 3_044 });
    assert.equal(items.length, 58_325);
    assert.equal(reader.stats.skipped, 0);
    assert.equal(reader.stats.compressed, true);
    assert.equal(reader.stats.format, 'receive-int');
    assert.equal(reader.stats.estimated, 45_134);
  });

  it('reads ethusdt_20240809.gz with the stream counts documented in SOURCE.md', async () => {
    const items = await collect(readRecording(join(RECORDINGS, 'ethusdt_20240809.gz')));
    assert.deepEqual(countBy(items), { 'ethusdt@trade': 8_409, 'ethusdt@bookTicker': 34_681, 'ethusdt@depth@100ms': 3_036 });
  });

  it('skips and counts the REST depth snapshot line in the 20240808 files', async () => {
    for (const [file, total] of [
      ['btcusdt_20240808.gz', 41_249],
      ['ethusdt_20240808.gz', 33_618],
    ] as const) {
      const reader = readRecording(join(RECORDINGS, file));
      const items = await collect(reader);
      assert.equal(reader.stats.lines, total, file);
      assert.equal(reader.stats.skipped, 1, file);
      assert.equal(reader.stats.skippedByReason['not-envelope'], 1, file);
      assert.equal(items.length, total - 1, file);
      assert.ok(items.every((m) => !m.raw.includes('lastUpdateId')));
    }
  });

  it('yields the recorded JSON byte-identical, so the re-assembled file hashes the same', async () => {
    // Rebuild "<ns> <raw>\n" lines from the receive time's exact digits and compare with the file.
    const file = join(RECORDINGS, 'btcusdt_20240809.gz');
    const lines = gunzipSync(readFileSync(file)).toString('utf8').split('\n');
    const items = await collect(readRecording(file));
    assert.equal(items.length, lines.length - 1); // trailing newline
    const hashFile = createHash('sha256');
    const hashItems = createHash('sha256');
    for (let i = 0; i < items.length; i++) {
      const line = lines[i] as string;
      hashFile.update(line.slice(line.indexOf(' ') + 1));
      hashItems.update((items[i] as RecordedMessage).raw);
    }
    assert.equal(hashItems.digest('hex'), hashFile.digest('hex'));
  });

  it('converts nanosecond receive times to fractional milliseconds without losing precision', () => {
    const p = parseLine('1723161253937085768 {"stream":"x@trade","data":{"E":1}}');
    assert.equal(p.kind, 'message');
    if (p.kind !== 'message') return;
    assert.equal(p.format, 'receive-int');
    assert.ok(Math.abs(p.receivedAtMs - 1723161253937.085768) < 1e-3);
    assert.equal(p.raw, '{"stream":"x@trade","data":{"E":1}}');
  });

  it('uses the payload E as event time and marks it as not estimated', async () => {
    const items = await collect(readRecording(join(RECORDINGS, 'btcusdt_20240809.gz')));
    const trade = items.find((m) => m.stream === 'btcusdt@trade') as RecordedMessage;
    const payload = (JSON.parse(trade.raw) as { data: { E: number } }).data;
    assert.equal(trade.eventTimeMs, payload.E);
    assert.equal(trade.eventTimeEstimated, false);
    // The collector clock is ~1.27 s behind Binance.
    assert.ok(trade.eventTimeMs - trade.receivedAtMs > 1200 && trade.eventTimeMs - trade.receivedAtMs < 1300);
  });

  it('estimates bookTicker event times within a second of neighbouring E values, monotone per stream', async () => {
    for (const file of ['btcusdt_20240809.gz', 'ethusdt_20240808.gz']) {
      const items = await collect(readRecording(join(RECORDINGS, file)));
      let prevEstimated = -Infinity;
      let lastReal: number | undefined;
      let worst = 0;
      for (let i = 0; i < items.length; i++) {
        const m = items[i] as RecordedMessage;
        if (!m.eventTimeEstimated) {
          lastReal = m.eventTimeMs;
          continue;
        }
        assert.equal(m.stream.endsWith('@bookTicker'), true);
        assert.ok(m.eventTimeMs >= prevEstimated, `${file}: estimated time went back at item ${i}`);
        prevEstimated = m.eventTimeMs;
        // The nearest real E after it (looking a little ahead) and before it.
        const next = items.slice(i + 1, i + 200).find((x) => !x.eventTimeEstimated);
        for (const ref of [lastReal, next?.eventTimeMs]) {
          if (ref === undefined) continue;
          worst = Math.max(worst, Math.abs(m.eventTimeMs - ref));
        }
      }
      assert.ok(worst < 1000, `${file}: an estimate is ${worst} ms away from a neighbouring E`);
    }
  });

  it('holds E-less messages before the first E until the clock offset is known', async () => {
    // ethusdt_20240808.gz starts with a bookTicker, before any message with E.
    const items = await collect(readRecording(join(RECORDINGS, 'ethusdt_20240808.gz')));
    const first = items[0] as RecordedMessage;
    assert.equal(first.stream, 'ethusdt@bookTicker');
    assert.equal(first.eventTimeEstimated, true);
    assert.ok(first.eventTimeMs - first.receivedAtMs > 1200, 'the first estimate uses the real offset, not 0');
    // File order is kept: the receive times never go backwards.
    for (let i = 1; i < items.length; i++) assert.ok((items[i] as RecordedMessage).receivedAtMs >= (items[i - 1] as RecordedMessage).receivedAtMs);
  });
});

describe('plain receive-seconds recordings (cryptofeed BINANCE.ws.* format)', () => {
  it('reads BINANCE.ws.1.0: header skipped, 265 messages with the documented counts', async () => {
    const reader = readRecording(join(RECORDINGS, 'BINANCE.ws.1.0'));
    const items = await collect(reader);
    assert.equal(reader.stats.compressed, false);
    assert.equal(reader.stats.format, 'receive-seconds');
    assert.equal(reader.stats.headerLines, 1);
    assert.equal(reader.stats.skipped, 0);
    assert.equal(items.length, 265);
    const kinds: Record<string, number> = {};
    for (const m of items) {
      const kind = m.stream.slice(m.stream.indexOf('@') + 1);
      kinds[kind] = (kinds[kind] ?? 0) + 1;
    }
    assert.deepEqual(kinds, { 'depth@100ms': 177, bookTicker: 84, aggTrade: 2, kline_1m: 2 });
    assert.deepEqual(
      items.filter((m) => m.stream.endsWith('@aggTrade')).map((m) => m.stream),
      ['nknusdt@aggTrade', 'lrcbtc@aggTrade'],
    );
  });

  it('parses fractional-second receive times to milliseconds', async () => {
    const items = await collect(readRecording(join(RECORDINGS, 'BINANCE.ws.1.0')));
    const first = items[0] as RecordedMessage;
    assert.ok(Math.abs(first.receivedAtMs - 1633998512063.3569) < 1e-3);
    assert.equal(first.eventTimeMs, 1633998512068);
  });
});

describe('format detection from content', () => {
  it('reads an uncompressed ns file and a gzipped seconds file alike, skipping garbage lines', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'replay-'));
    try {
      const ns = [
        '1723161253000000000 {"stream":"a@bookTicker","data":{"u":1}}',
        'garbage line',
        '1723161253100000000 {"stream":"a@trade","data":{"e":"trade","E":1723161254100}}',
        '1723161253200000000 {not json',
        '1723161253300000000 {"stream":"a@bookTicker","data":{"u":2}}',
        '',
      ].join('\n');
      await writeFile(join(dir, 'plain-ns'), ns);
      const r1 = readRecording(join(dir, 'plain-ns'));
      const a = await collect(r1);
      assert.deepEqual(
        a.map((m) => [m.stream, m.eventTimeMs, m.eventTimeEstimated]),
        [
          ['a@bookTicker', 1723161254000, true],
          ['a@trade', 1723161254100, false],
          ['a@bookTicker', 1723161254300, true],
        ],
      );
      assert.equal(r1.stats.compressed, false);
      assert.deepEqual(r1.stats.skippedByReason, { 'not-envelope': 0, 'invalid-json': 1, 'unrecognised-line': 1 });

      const secs = ['wss://example/stream?streams=a@trade <-> 1633998511.1', '1633998512.5: {"stream":"a@trade","data":{"E":1633998512501}}', ''].join('\n');
      await writeFile(join(dir, 'gz-secs'), gzipSync(secs));
      const r2 = readRecording(join(dir, 'gz-secs'));
      const b = await collect(r2);
      assert.equal(r2.stats.compressed, true);
      assert.equal(r2.stats.format, 'receive-seconds');
      assert.deepEqual(b.map((m) => [m.receivedAtMs, m.eventTimeMs]), [[1633998512500, 1633998512501]]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('estimates with offset 0 when a file never carries an E', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'replay-'));
    try {
      await writeFile(join(dir, 'bt'), '1000000000000000000 {"stream":"a@bookTicker","data":{"u":1}}\n');
      const [m] = await collect(readRecording(join(dir, 'bt')));
      assert.deepEqual(m, { receivedAtMs: 1e12, eventTimeMs: 1e12, eventTimeEstimated: true, stream: 'a@bookTicker', raw: '{"stream":"a@bookTicker","data":{"u":1}}' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('yields what a truncated gzip file holds, then fails with the zlib error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'replay-'));
    try {
      const path = join(dir, 'trunc.gz');
      await writeFile(path, readFileSync(join(RECORDINGS, 'btcusdt_20240809.gz')).subarray(0, 100_000));
      let n = 0;
      await assert.rejects(async () => {
        for await (const _ of readRecording(path)) n++;
      }, /unexpected end of file/);
      assert.ok(n > 1000, `${n} messages before the error`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('stops reading (and closes the file) when the consumer breaks early', async () => {
    const reader = readRecording(join(RECORDINGS, 'btcusdt_20240809.gz'));
    let n = 0;
    for await (const _ of reader) if (++n === 10) break;
    assert.equal(reader.stats.messages, 10);
  });
});
