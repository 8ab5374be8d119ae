import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { medianInPlace, mulberry32 } from '../src/index.js';

describe('medianInPlace (quickselect)', () => {
  it('equals the median of a sort for random, tied and sorted inputs of every length up to 80', () => {
    const rng = mulberry32(9);
    for (let k = 1; k <= 80; k++) {
      for (const kind of ['random', 'ties', 'sorted', 'reversed']) {
        const a = Float64Array.from({ length: k }, (_, i) => (kind === 'random' ? rng.normal() : kind === 'ties' ? Math.floor(rng.next() * 3) : kind === 'sorted' ? i : k - i));
        const s = Array.from(a).sort((x, y) => x - y);
        const want = k % 2 === 1 ? s[k >> 1]! : (s[(k >> 1) - 1]! + s[k >> 1]!) / 2;
        const buf = new Float64Array(k + 5).fill(99);
        buf.set(a);
        assert.equal(medianInPlace(buf, k), want, `${kind} k=${k}`);
        assert.deepEqual(Array.from(buf.subarray(0, k)).sort((x, y) => x - y), s, 'a permutation of the input');
      }
    }
    assert.ok(Number.isNaN(medianInPlace(new Float64Array(0), 0)));
  });
});
