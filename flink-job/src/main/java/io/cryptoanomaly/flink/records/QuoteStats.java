package io.cryptoanomaly.flink.records;

/**
 * The quote part of the window accumulator: running aggregates of one open window's book-ticker
 * updates, folded in arrival order. No quote is kept; the state is a fixed 18 primitives per
 * window whatever the quote rate (book tickers arrive 10-100x more often than trades).
 *
 * <p>Definitions (also in scoring.proto, {@code BookSummary}): relative spread s = (ask - bid) /
 * mid x 10^4 bps, mid = (bid + ask) / 2; top-of-book depth d = min(bid x bid size, ask x ask size),
 * quote currency. Each VALID quote (ask > bid) holds from its event time until the next valid
 * quote's; the last one until the window end ({@link #finish}). A quote that arrives with an
 * earlier event time than the previous one holds for 0 ms (arrival order decides; the producer
 * sends a symbol's quotes in order, so this only absorbs clock-offset jitter of estimated times).
 * Crossed or locked quotes (ask <= bid) are counted and otherwise ignored.
 *
 * <p>A mutable Flink POJO (public fields, no-arg constructor), a field of {@link TradeBuffer}.
 */
public class QuoteStats {
  /** Every quote, crossed/locked ones included. */
  public int count;
  public int crossed;
  /** Valid quotes (ask > bid). */
  public int valid;
  /** Earliest and latest event time of any quote, ms; longest arrival-order gap between two quotes. */
  public long firstMs;
  public long lastMs;
  public long maxGapMs;
  /** Event time of the first and of the latest valid quote, ms. */
  public long validFirstMs;
  public long validLastMs;
  /** The latest valid quote. */
  public double lastSpreadBps;
  public double lastBid;
  public double lastAsk;
  public double lastDepth;
  /** Integrals over time of s, ln s and d (unit x ms) up to validLastMs, and the ms they cover. */
  public double spreadMs;
  public double logSpreadMs;
  public double depthMs;
  public long weightMs;
  public double spreadMax;
  public double depthMin;

  public QuoteStats() {}

  /** Folds one quote in (arrival order). */
  public void add(long timeMs, double bid, double bidQty, double ask, double askQty) {
    if (count == 0) {
      firstMs = timeMs;
      lastMs = timeMs;
    } else {
      maxGapMs = Math.max(maxGapMs, timeMs - lastMs);
      firstMs = Math.min(firstMs, timeMs);
      lastMs = Math.max(lastMs, timeMs);
    }
    count++;
    if (!(ask > bid)) {
      crossed++;
      return;
    }
    double spread = (ask - bid) / ((ask + bid) / 2) * 10_000;
    double depth = Math.min(bid * bidQty, ask * askQty);
    if (valid == 0) {
      validFirstMs = timeMs;
      validLastMs = timeMs;
      spreadMax = spread;
      depthMin = depth;
    } else {
      hold(Math.max(0, timeMs - validLastMs));
      validLastMs = Math.max(validLastMs, timeMs);
      spreadMax = Math.max(spreadMax, spread);
      depthMin = Math.min(depthMin, depth);
    }
    valid++;
    lastSpreadBps = spread;
    lastBid = bid;
    lastAsk = ask;
    lastDepth = depth;
  }

  /** The latest valid quote held for {@code ms} more milliseconds. */
  private void hold(long ms) {
    spreadMs += lastSpreadBps * ms;
    logSpreadMs += Math.log(lastSpreadBps) * ms;
    depthMs += lastDepth * ms;
    weightMs += ms;
  }

  /**
   * Appends {@code other}'s quotes as if they arrived after this one's (window merging; tumbling
   * windows never merge, so this only keeps the AggregateFunction contract).
   */
  public void merge(QuoteStats other) {
    if (other.count == 0) {
      return;
    }
    if (count == 0) {
      copyFrom(other);
      return;
    }
    maxGapMs = Math.max(Math.max(maxGapMs, other.maxGapMs), other.firstMs - lastMs);
    firstMs = Math.min(firstMs, other.firstMs);
    lastMs = Math.max(lastMs, other.lastMs);
    count += other.count;
    crossed += other.crossed;
    if (other.valid == 0) {
      return;
    }
    if (valid == 0) {
      int keepCount = count;
      int keepCrossed = crossed;
      long keepFirst = firstMs;
      long keepLast = lastMs;
      long keepGap = maxGapMs;
      copyFrom(other);
      count = keepCount;
      crossed = keepCrossed;
      firstMs = keepFirst;
      lastMs = keepLast;
      maxGapMs = keepGap;
      return;
    }
    hold(Math.max(0, other.validFirstMs - validLastMs));
    spreadMs += other.spreadMs;
    logSpreadMs += other.logSpreadMs;
    depthMs += other.depthMs;
    weightMs += other.weightMs;
    validLastMs = Math.max(validLastMs, other.validLastMs);
    spreadMax = Math.max(spreadMax, other.spreadMax);
    depthMin = Math.min(depthMin, other.depthMin);
    valid += other.valid;
    lastSpreadBps = other.lastSpreadBps;
    lastBid = other.lastBid;
    lastAsk = other.lastAsk;
    lastDepth = other.lastDepth;
  }

  public QuoteStats copy() {
    QuoteStats c = new QuoteStats();
    c.copyFrom(this);
    return c;
  }

  private void copyFrom(QuoteStats o) {
    count = o.count;
    crossed = o.crossed;
    valid = o.valid;
    firstMs = o.firstMs;
    lastMs = o.lastMs;
    maxGapMs = o.maxGapMs;
    validFirstMs = o.validFirstMs;
    validLastMs = o.validLastMs;
    lastSpreadBps = o.lastSpreadBps;
    lastBid = o.lastBid;
    lastAsk = o.lastAsk;
    lastDepth = o.lastDepth;
    spreadMs = o.spreadMs;
    logSpreadMs = o.logSpreadMs;
    depthMs = o.depthMs;
    weightMs = o.weightMs;
    spreadMax = o.spreadMax;
    depthMin = o.depthMin;
  }

  /**
   * The window's summary, the last valid quote held until {@code windowEndMs}; null when the
   * window saw no quote. Pure: the accumulator is left as it is (a window may fire again).
   */
  public BookStats finish(long windowStartMs, long windowEndMs) {
    if (count == 0) {
      return null;
    }
    long gap = Math.max(maxGapMs, Math.max(firstMs - windowStartMs, windowEndMs - lastMs));
    if (valid == 0) {
      return new BookStats(count, 0, 0, 0, 0, 0, 0, 0, 0, gap, crossed);
    }
    long tail = Math.max(0, windowEndMs - validLastMs);
    long weight = weightMs + tail;
    double twa;
    double geo;
    double depth;
    if (weight > 0) {
      twa = (spreadMs + lastSpreadBps * tail) / weight;
      geo = Math.exp((logSpreadMs + Math.log(lastSpreadBps) * tail) / weight);
      depth = (depthMs + lastDepth * tail) / weight;
    } else {
      twa = lastSpreadBps;
      geo = lastSpreadBps;
      depth = lastDepth;
    }
    return new BookStats(count, twa, geo, spreadMax, lastSpreadBps, lastBid, lastAsk, depth, depthMin, gap, crossed);
  }
}
