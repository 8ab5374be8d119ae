package io.cryptoanomaly.flink.records;

/**
 * A trade that arrived after its window of {@code interval} had fired and its allowed lateness
 * had passed, so it is in no kline of that interval. Goes to the {@code late-trades} topic as a
 * {@code cryptoanomaly.v1.Trade} with the interval, window start and watermark as record headers.
 *
 * @param windowStartMs start of the window the trade belonged to
 * @param watermarkMs the operator's watermark when the trade was found late
 */
public record LateTrade(TradeEvent trade, String interval, long windowStartMs, long watermarkMs) {}
