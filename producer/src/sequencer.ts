import type { Gap, GapStream } from '@crypto-anomaly/contract';

/**
 * Keeps each (stream kind, symbol) sequence in order across connections:
 * - drops duplicates (an id at or below the last one seen), which is how the overlap of two
 *   connections during a rotation is de-duplicated;
 * - turns a hole in a contiguous id sequence (trade ids, aggregate trade ids) into a Gap
 *   record, so a missing trade is never silent.
 * Sequences that are monotone but not contiguous (book ticker update ids, kline event times)
 * are only de-duplicated.
 */
export type SequenceVerdict =
  | { readonly accept: true; readonly gap?: Gap }
  | { readonly accept: false; readonly reason: 'duplicate' };

interface SeqState {
  lastId: number;
  lastEventTimeMs: number;
  /** A reconnect happened after the last record of this sequence. */
  reconnectedSince: boolean;
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
    if (s === undefined) {
      this.seqs.set(key, { lastId: id, lastEventTimeMs: eventTimeMs, reconnectedSince: false });
      return { accept: true };
    }
    if (id <= s.lastId) return { accept: false, reason: 'duplicate' };
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
    s.reconnectedSince = false;
    return gap === undefined ? { accept: true } : { accept: true, gap };
  }
}
