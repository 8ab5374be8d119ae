// Schema, PRNG, byte codec and the base detector's version migration hook.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BaseDetector, ByteReader, ByteWriter, DEFAULT_FEATURES, FeatureSchema, StateFormatError, StateVersionError,
  fnv1a, mulberry32, type FeatureVector,
} from '../src/index.js';
import { vec } from './helpers.js';

describe('FeatureSchema', () => {
  it('vectorises a record in schema order, applying transforms and ignoring unknown keys', () => {
    const s = new FeatureSchema();
    const x = s.vectorise({ volume: Math.E - 1, log_return: 0.01, bogus: 3 });
    assert.equal(x.length, DEFAULT_FEATURES.length);
    assert.equal(x[s.indexOf('log_return')], 0.01);
    assert.ok(Math.abs(x[s.indexOf('volume')]! - 1) < 1e-15);
    assert.ok(Number.isNaN(x[s.indexOf('momentum')]!));
  });

  it('turns non-finite and out-of-domain values into missing ones', () => {
    const s = new FeatureSchema();
    const x = s.vectorise({ log_return: Infinity, volume: -2 });
    assert.ok(Number.isNaN(x[0]!) && Number.isNaN(x[s.indexOf('volume')]!));
  });

  it('changes its fingerprint when a name, the order or a transform changes', () => {
    const a = new FeatureSchema([{ name: 'a', transform: 'identity' }, { name: 'b', transform: 'identity' }]);
    const b = new FeatureSchema([{ name: 'b', transform: 'identity' }, { name: 'a', transform: 'identity' }]);
    const c = new FeatureSchema([{ name: 'a', transform: 'log1p' }, { name: 'b', transform: 'identity' }]);
    assert.equal(new Set([a.fingerprint, b.fingerprint, c.fingerprint]).size, 3);
  });

  it('rejects duplicate or badly named features', () => {
    assert.throws(() => new FeatureSchema([{ name: 'a', transform: 'identity' }, { name: 'a', transform: 'log1p' }]), /duplicate/);
    assert.throws(() => new FeatureSchema([{ name: 'Bad Name', transform: 'identity' }]), /bad feature name/);
  });
});

describe('mulberry32', () => {
  it('repeats the same sequence for the same seed and differs for another', () => {
    const a = mulberry32(5);
    const b = mulberry32(5);
    const c = mulberry32(6);
    const sa = Array.from({ length: 5 }, () => a.next());
    assert.deepEqual(sa, Array.from({ length: 5 }, () => b.next()));
    assert.notDeepEqual(sa, Array.from({ length: 5 }, () => c.next()));
  });

  it('draws uniforms in [0, 1) and standard normals with mean 0 and variance 1', () => {
    const r = mulberry32(1);
    let sum = 0;
    let sq = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const u = r.next();
      assert.ok(u >= 0 && u < 1);
      const z = r.normal();
      sum += z;
      sq += z * z;
    }
    assert.ok(Math.abs(sum / n) < 0.03 && Math.abs(sq / n - 1) < 0.05);
  });

  it('hashes strings with 32-bit FNV-1a', () => {
    assert.equal(fnv1a(''), 0x811c9dc5);
    assert.equal(fnv1a('a'), 0xe40c292c);
  });
});

describe('ByteWriter and ByteReader', () => {
  it('round-trip little-endian integers and float32 values', () => {
    const bytes = new ByteWriter(15).u8(7).u16(0xbeef).u32(0xdeadbeef).f32(1.5).f32s(Float32Array.of(0)).finish();
    assert.deepEqual(Array.from(bytes.subarray(0, 7)), [7, 0xef, 0xbe, 0xef, 0xbe, 0xad, 0xde]);
    const r = new ByteReader(bytes, 't');
    assert.deepEqual([r.u8(), r.u16(), r.u32(), r.f32()], [7, 0xbeef, 0xdeadbeef, 1.5]);
    const f = new Float32Array(1);
    r.f32s(f);
    r.end();
  });

  it('reports reading past the end as a corrupt state naming the detector', () => {
    assert.throws(() => new ByteReader(Uint8Array.of(1), 'zscore').u32(), (e: unknown) => e instanceof StateFormatError && e.message.startsWith('zscore: corrupt state blob'));
  });
});

/**
 * A detector whose state layout changed: version 1 stored the running sum as float32, version 2
 * stores sum and count. It shows the migration hook every detector has.
 */
class MigratingDetector extends BaseDetector {
  protected readonly stateVersion = 2;
  protected override readonly minStateVersion = 1;
  readonly warmUp = 1;
  sum = 0;
  constructor() {
    super('migrating', 'migrating', new FeatureSchema([{ name: 'x', transform: 'identity' }]));
  }
  protected layoutKey(): string { return ''; }
  protected scoreWarm(x: FeatureVector): number { return Math.abs(x[0]! - this.sum / this.n); }
  protected learnOne(x: FeatureVector): void { this.sum = Math.fround(this.sum + x[0]!); }
  protected bodySize(): number { return 8; }
  protected writeBody(w: ByteWriter): void { w.f32(this.sum).f32(0); }
  protected readBody(r: ByteReader, version: number): void {
    this.sum = r.f32();
    if (version >= 2) r.f32(); // version 1 had no second field: nothing to read, default applies
  }
  protected resetBody(): void { this.sum = 0; }
}

describe('BaseDetector state versions', () => {
  it('migrates a state written in an older supported version', () => {
    const d = new MigratingDetector();
    d.learn(vec(2));
    d.learn(vec(4));
    const v2 = d.saveState();
    const v1 = Uint8Array.from(v2.subarray(0, v2.length - 4));
    v1[0] = 1;
    const restored = new MigratingDetector();
    restored.loadState(v1);
    assert.equal(restored.score(vec(5)), d.score(vec(5)));
  });

  it('rejects a version newer than it knows and one older than it can migrate', () => {
    const blob = new MigratingDetector().saveState();
    for (const v of [0, 3]) {
      blob[0] = v;
      assert.throws(() => new MigratingDetector().loadState(blob), (e: unknown) => e instanceof StateVersionError && e.message.includes('reads versions 1..2'));
    }
  });
});
