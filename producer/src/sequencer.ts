import type { Gap, GapStream } from '@crypto-anomaly/contract';

/**
 * Keeps each (stream kind, symbol) sequence in order across connections:
 * - drops duplicates (an id at or below the last one seen), which is how the overlap of two
 *   connections during a rotation is de-duplicated;
 * - turns a hole in a contiguous id sequence (trade ids, aggregate trade ids) into a Gap
 *   record, so a missing trade is never silent.
 * Sequences that are monotone but not contiguous (book ticker update ids, kline event times)
 * are only de-duplicated.
 *
 * It cannot be poisoned by one frame (issue 12, decision 090): the high-water mark is the id every
 * later record must exceed, so a single id far ahead (2^53 - 1 after 1,000,000) used to silence the
 * market until a restart. Now
 * - an id ahead of the last by more than PLAUSIBLE_JUMP + JUMP_RATE_FACTOR x (the sequence's own id
 *   rate, at least 1 per ms) x (wall-clock ms since its last record) is 'implausible': not
 *   published (the caller dead-letters it) and the mark does not move. A reconnect after an outage
 *   of any length still passes: the allowance grows with the time the feed was away.
 * - should the mark itself be bogus (the first record of a sequence was), RESYNC_AFTER
 *   consecutive increasing ids below it prove the real sequence is elsewhere: the mark is reset to
 *   the newest of them, which is accepted.
 */
export type SequenceVerdict =
  | { readonly accept: true; readonly gap?: Gap }
  | { readonly accept: false; readonly reason: 'duplicate' | 'implausible'; readonly detail?: string };

/** Ids a sequence may jump without any elapsed time (a burst, a short reconnect). */
export const PLAUSIBLE_JUMP = 1_000_000;
export const JUMP_RATE_FACTOR = 100;
export const RESYNC_AFTER = 20;

interface SeqState {
  lastId: number;
  lastEventTimeMs: number;
  /** A reconnect happened after the last record of this sequence. */
  reconnectedSince: boolean;
  /** Wall-clock time of the last accepted record, and the sequence's EW id rate per wall-clock ms. */
  lastSeenAtMs: number;
  ratePerMs: number;
  /** Consecutive ids rejected as duplicates that were each above the previous one, and the last of them. */
  belowRun: number;
  belowLastId: number;
}

export class Sequencer {
  private readonly seqs = new Map<string, SeqState>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Marks that the feed was interrupted: the next gap in each sequence spans a reconnect. */
  markReconnect(): void {
    for (const s of this.seqs.values()) s.reconnectedSince = true;
  }

  /**
   * @param key   sequence name, e.g. "trade:BTCUSDT"
   * @param gapStream when set, ids are contiguous and holes become Gap records
   */
  observe(key: string, symbol: string, id: number, eventTimeMs: number, gapStream?: GapStream): SequenceVerdict {
    const s = this.seqs.get(key);
    const now = this.now();
    if (s === undefined) {
      this.seqs.set(key, { lastId: id, lastEventTimeMs: eventTimeMs, reconnectedSince: false, lastSeenAtMs: now, ratePerMs: 0, belowRun: 0, belowLastId: -Infinity });
      return { accept: true };
    }
    if (id <= s.lastId) {
      // A run of fresh, increasing ids below the mark: the mark was the bogus one.
      s.belowRun = id > s.belowLastId ? s.belowRun + 1 : 0;
      s.belowLastId = id;
      if (s.belowRun < RESYNC_AFTER) return { accept: false, reason: 'duplicate' };
      s.lastId = id;
      s.lastEventTimeMs = eventTimeMs;
      s.lastSeenAtMs = now;
      s.belowRun = 0;
      s.belowLastId = -Infinity;
      return { accept: true };
    }
    const elapsed = Math.max(0, now - s.lastSeenAtMs);
    const allowed = PLAUSIBLE_JUMP + JUMP_RATE_FACTOR * Math.max(s.ratePerMs, 1) * elapsed;
    if (id - s.lastId > allowed) {
      return { accept: false, reason: 'implausible', detail: `id ${id} is ${id - s.lastId} ahead of the last (${s.lastId}); at most ${Math.round(allowed)} is plausible after ${elapsed} ms` };
    }
    s.belowRun = 0;
    s.belowLastId = -Infinity;
    if (elapsed > 0) s.ratePerMs += 0.05 * ((id - s.lastId) / elapsed - s.ratePerMs);
    let gap: Gap | undefined;
    if (gapStream !== undefined && id > s.lastId + 1) {
      gap = {
        symbol,
        stream: gapStream,
        firstMissingId: s.lastId + 1,
        lastMissingId: id - 1,
        missingCount: id - 1 - s.lastId,
        beforeEventTimeMs: s.lastEventTimeMs,
        afterEventTimeMs: eventTimeMs,
        detectedAtMs: this.now(),
        acrossReconnect: s.reconnectedSince,
      };
    }
    s.lastId = id;
    s.lastEventTimeMs = eventTimeMs;
    s.lastSeenAtMs = now;
    s.reconnectedSince = false;
    return gap === undefined ? { accept: true } : { accept: true, gap };
  }
}
