package io.cryptoanomaly.flink.records;

/**
 * One symbol's tumbling window after the watermark passed its end: everything downstream stages
 * need, computed once. The kline sink reads {@link #kline()}; the scoring stage (phase 2) reads
 * the columns and the kline and sends them to the sidecar as one Arrow batch.
 *
 * @param windowStartMs inclusive, ms
 * @param windowEndMs exclusive, ms
 * @param trades the window's trades ordered by (trade time, trade id)
 */
public record ClosedWindow(
    String symbol,
    String interval,
    long windowStartMs,
    long windowEndMs,
    TradeColumns trades,
    KlineBar kline) {}
