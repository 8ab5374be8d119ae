package io.cryptoanomaly.flink.records;

/**
 * One symbol's tumbling window after the watermark passed its end: everything downstream stages
 * need, computed once. The kline sink reads {@link #kline()}; the scoring stage (phase 2) reads
 * the columns and the kline and sends them to the sidecar as one Arrow batch.
 *
 * @param windowStartMs inclusive, ms
 * @param windowEndMs exclusive, ms
 * @param trades the window's trades ordered by (trade time, trade id)
 * @param book the window's book-ticker summary; null when it saw no quote (or the job reads no
 *     book tickers). Never affects the kline.
 */
public record ClosedWindow(
    String symbol,
    String interval,
    long windowStartMs,
    long windowEndMs,
    TradeColumns trades,
    KlineBar kline,
    BookStats book) {

  /** A window without book data. */
  public ClosedWindow(String symbol, String interval, long windowStartMs, long windowEndMs, TradeColumns trades, KlineBar kline) {
    this(symbol, interval, windowStartMs, windowEndMs, trades, kline, null);
  }
}
