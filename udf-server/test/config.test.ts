import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configVersion, loadUdfConfig, parseUdfConfig } from '../src/config.js';

describe('udf-server config', () => {
  it('has defaults for everything and is frozen', () => {
    const c = parseUdfConfig({});
    assert.equal(c.server.port, 50051);
    assert.equal(c.scoring.momentumWindows, 5);
    assert.equal(c.scoring.consensus.minVotes, 2);
    assert.equal(c.scoring.modelVersion, 'none');
    assert.ok(Object.isFrozen(c.scoring.detectors.zscore));
  });

  it('names the offending field of a bad value', () => {
    assert.throws(() => parseUdfConfig({ server: { port: 70_000 } }), /invalid udf-server config: server\.port/);
    assert.throws(() => parseUdfConfig({ scoring: { detectors: { zscore: { threshold: -1 } } } }), /scoring\.detectors\.zscore\.threshold/);
    assert.throws(() => parseUdfConfig({ scoring: { detectors: { mad: { threshold: 12 } } } }), /scoring\.detectors\.mad\.gate: gate \(10\) must be >= threshold \(12\)/);
  });

  it('reads the environment and lets flags override it', () => {
    const c = loadUdfConfig({ env: { UDF_PORT: '6000', UDF_MIN_VOTES: '3' }, overrides: [[['server', 'port'], 7000]] });
    assert.equal(c.server.port, 7000);
    assert.equal(c.scoring.consensus.minVotes, 3);
    assert.throws(() => loadUdfConfig({ env: { UDF_PORT: 'abc' } }), /server\.port/);
  });

  it('refuses unknown fields at every level, naming them (issue 12)', () => {
    assert.throws(() => parseUdfConfig({ sever: {} }), /\(root\).*sever|sever/);
    assert.throws(() => parseUdfConfig({ scoring: { detectors: { zscore: { treshold: 3 } } } }), /scoring\.detectors\.zscore.*treshold/);
    assert.throws(() => parseUdfConfig({ scoring: { budget: { alertsPerDya: 3 } } }), /alertsPerDya/);
  });

  it('versions only the scoring section, stably', () => {
    const a = parseUdfConfig({});
    assert.equal(configVersion(a.scoring), configVersion(parseUdfConfig({ server: { port: 1 } }).scoring));
    assert.notEqual(configVersion(a.scoring), configVersion(parseUdfConfig({ scoring: { momentumWindows: 6 } }).scoring));
    assert.match(configVersion(a.scoring), /^cfg-[0-9a-f]{12}$/);
  });
});
