package io.cryptoanomaly.flink.records;

/**
 * One executed trade, the job's own compact form of {@code cryptoanomaly.v1.Trade}.
 *
 * <p>Prices and quantities are exact scaled longs ({@link ExactDecimal}, E8 units); the float64
 * mirrors of the wire record are derived, not stored. {@code takerSide} is {@link TakerSides#BUY}
 * or {@link TakerSides#SELL}. Times are ms since the epoch; {@code tradeTimeMs} is the event time.
 * A record, so Flink serialises it with its POJO serializer (no Kryo).
 */
public record TradeEvent(
    String symbol,
    long tradeId,
    long tradeTimeMs,
    long eventTimeMs,
    long ingestTimeMs,
    long priceE8,
    long quantityE8,
    byte takerSide) {}
