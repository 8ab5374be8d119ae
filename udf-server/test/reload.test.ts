import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { configVersion, loadUdfConfig } from '../src/config.js';
import { startUdfServer } from '../src/server.js';
import { capturingLogger, until } from './helpers.js';

const POLL_MS = 50;

describe('config hot reload', () => {
  it('swaps the scorer when the file changes, rejects an invalid file with a log line naming the field and keeps the previous', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'udf-reload-'));
    const file = join(dir, 'udf.json');
    const write = (scoring: unknown): void => writeFileSync(file, JSON.stringify({ server: { port: 0, host: '127.0.0.1' }, metrics: { port: -1 }, scoring }));
    write({ consensus: { coolDownWindows: 3 } });
    const lines: { level: string; obj: unknown; msg: string }[] = [];
    const config = loadUdfConfig({ file });
    const server = await startUdfServer(config, { logger: capturingLogger(lines), reload: { file, pollMs: POLL_MS } });
    try {
      const v1 = server.scorer.configVersion;
      assert.equal(v1, configVersion(config.scoring));
      write({ consensus: { coolDownWindows: 5 } });
      await until(() => server.scorer.configVersion !== v1);
      const v2 = server.scorer.configVersion;
      assert.equal(server.scorer.config.consensus.coolDownWindows, 5);
      assert.ok(lines.some((l) => l.msg === 'config reloaded'));

      write({ detectors: { zscore: { threshold: -1 } } });
      await until(() => lines.some((l) => l.level === 'error'));
      const rejected = lines.find((l) => l.level === 'error')!;
      assert.match(rejected.msg, /rejected; keeping the previous/);
      assert.match(JSON.stringify(rejected.obj), /detectors\.zscore\.threshold/);
      assert.equal(server.scorer.configVersion, v2, 'previous config stays in force');
    } finally {
      await server.shutdown(1_000);
    }
  });
});
