import { fileURLToPath } from 'node:url';
import type { PaceClock } from '../src/pace.js';

/** data/recordings/ seen from dist/test/*.js. */
export const RECORDINGS = fileURLToPath(new URL('../../../../data/recordings/', import.meta.url));

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of items) out.push(x);
  return out;
}

/** A fake clock: sleep() advances time instantly and records each request. */
export function fakeClock(start = 0): PaceClock & { sleeps: number[]; t: number } {
  const c = {
    t: start,
    sleeps: [] as number[],
    now: () => c.t,
    sleep: async (ms: number) => {
      c.sleeps.push(ms);
      if (ms > 0) c.t += ms;
    },
  };
  return c;
}
