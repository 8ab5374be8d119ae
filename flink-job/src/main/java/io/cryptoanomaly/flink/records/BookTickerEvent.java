package io.cryptoanomaly.flink.records;

/**
 * One best bid/ask update, the job's compact form of {@code cryptoanomaly.v1.BookTicker}.
 *
 * <p>Prices (quote currency per base unit) and sizes (base units) are the wire record's float64
 * mirrors: quotes only feed spread statistics ({@link QuoteStats}), which are float arithmetic
 * anyway; nothing exact (like a kline) is computed from them. {@code eventTimeMs} is the event
 * time used for windowing (estimated by the producer from its clock offset on spot, see
 * market.proto). A record, so Flink serialises it with its POJO serializer (no Kryo).
 */
public record BookTickerEvent(
    String symbol,
    long updateId,
    long eventTimeMs,
    double bidPrice,
    double bidQuantity,
    double askPrice,
    double askQuantity) {}
