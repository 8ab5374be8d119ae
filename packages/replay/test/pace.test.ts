import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Pacer, pace, parseSpeed } from '../src/pace.js';
import { collect, fakeClock } from './helpers.js';

const items = (...times: number[]) => times.map((eventTimeMs, i) => ({ eventTimeMs, i }));

describe('pace', () => {
  it('spaces items by event-time differences at speed 1, the first at once', async () => {
    const clock = fakeClock(1000);
    const seen: number[] = [];
    for await (const _ of pace(items(5000, 5100, 5100, 5350, 6000), { speed: 1, clock })) seen.push(clock.now());
    assert.deepEqual(seen, [1000, 1100, 1100, 1350, 2000]);
  });

  it('divides the spacing by the speed', async () => {
    const clock = fakeClock();
    const seen: number[] = [];
    for await (const _ of pace(items(0, 1000, 3000), { speed: 10, clock })) seen.push(clock.now());
    assert.deepEqual(seen, [0, 100, 300]);
  });

  it('schedules on an absolute timeline, so time spent by the consumer is not added', async () => {
    const clock = fakeClock();
    const seen: number[] = [];
    for await (const _ of pace(items(0, 100, 200, 300), { speed: 1, clock })) {
      seen.push(clock.now());
      clock.t += 30; // slow consumer
    }
    assert.deepEqual(seen, [0, 100, 200, 300]);
    assert.deepEqual(clock.sleeps, [70, 70, 70]);
  });

  it('does not sleep when behind schedule and never sleeps negative', async () => {
    const clock = fakeClock();
    for await (const _ of pace(items(0, 10, 20), { speed: 1, clock })) clock.t += 50;
    assert.deepEqual(clock.sleeps, []);
  });

  it('at max speed never sleeps but yields to the event loop periodically', async () => {
    const clock = fakeClock();
    const out = await collect(pace(items(...Array.from({ length: 1000 }, (_, i) => i * 1000)), { speed: 'max', clock, yieldEvery: 100 }));
    assert.equal(out.length, 1000);
    assert.equal(clock.t, 0);
    assert.equal(clock.sleeps.length, 10);
    assert.ok(clock.sleeps.every((ms) => ms === 0));
  });

  it('caps long quiet gaps when maxGapMs is set', async () => {
    const clock = fakeClock();
    const seen: number[] = [];
    for await (const _ of pace(items(0, 100, 60_100, 60_200), { speed: 1, clock, maxGapMs: 500 })) seen.push(clock.now());
    assert.deepEqual(seen, [0, 100, 600, 700]);
  });

  it('re-anchors after rebase so a stall does not cause a catch-up burst', async () => {
    const clock = fakeClock();
    const pacer = new Pacer({ speed: 1, clock });
    await pacer.wait(0);
    clock.t += 5000; // paused for 5 s
    pacer.rebase(100);
    await pacer.wait(100);
    assert.equal(clock.t, 5000);
    await pacer.wait(300);
    assert.equal(clock.t, 5200);
  });

  it('rejects invalid speeds', () => {
    assert.throws(() => parseSpeed('0'), /invalid replay speed/);
    assert.throws(() => parseSpeed('fast'), /invalid replay speed/);
    assert.throws(() => new Pacer({ speed: -1 }), /invalid replay speed/);
    assert.equal(parseSpeed('MAX'), 'max');
    assert.equal(parseSpeed('2.5'), 2.5);
  });

  it('paces in real time with the real clock (coarse check)', async () => {
    const start = performance.now();
    await collect(pace(items(0, 20, 40, 60), { speed: 1 }));
    const took = performance.now() - start;
    assert.ok(took >= 55 && took < 500, `took ${took} ms`);
  });
});
