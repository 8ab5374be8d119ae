import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));

describe('crypto-backtest on the bundled real tape', () => {
  it('prints a table, writes the JSON report and a self-contained HTML page', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bt-'));
    const out = execFileSync(process.execPath, [CLI, '--loop', '3', '--types', 'PRICE_SPIKE', '--out', join(dir, 'r.json'), '--html', join(dir, 'r.html')], { encoding: 'utf8' });
    assert.match(out, /PRICE_SPIKE/);
    assert.match(out, /false alerts per symbol-hour/);
    const report = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as { types: { type: string; events: number; recall: number }[]; tape: { passes: number }; notCovered: { type: string }[] };
    assert.equal(report.tape.passes, 3);
    assert.equal(report.types[0]!.type, 'PRICE_SPIKE');
    assert.ok(report.types[0]!.events > 0);
    assert.ok(report.types[0]!.recall > 0.5, `recall ${report.types[0]!.recall}`);
    assert.deepEqual(report.notCovered, [], 'the bundled tape has book tickers: every type is measured');
    const html = readFileSync(join(dir, 'r.html'), 'utf8');
    assert.match(html, /<svg /);
    assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org)/);
  });

  it('exits 2 naming a bad option', () => {
    assert.throws(() => execFileSync(process.execPath, [CLI, '--types', 'NOPE'], { stdio: 'pipe' }), (err: { status: number; stderr: Buffer }) => err.status === 2 && /unknown type NOPE/.test(err.stderr.toString()));
  });
});
