package io.cryptoanomaly.flink.records;

import java.math.BigDecimal;
import java.math.MathContext;

/**
 * A closed candlestick computed by the job, in domain form (the wire form is
 * {@code cryptoanomaly.v1.Kline}, built by {@link ProtoAdapter#toKline}).
 *
 * <p>All prices and volumes are exact: OHLC and base volumes have scale 8 (as Binance spells
 * them), quote volumes scale 16 (the exact sum of price * qty, never rounded). {@code openTimeMs}
 * is the window start, {@code closeTimeMs} the window end minus 1 ms (inclusive, as Binance's
 * {@code k.T}). A window only exists once it has a trade, so {@code tradeCount >= 1}.
 */
public record KlineBar(
    String symbol,
    String interval,
    long openTimeMs,
    long closeTimeMs,
    long firstTradeId,
    long lastTradeId,
    BigDecimal open,
    BigDecimal high,
    BigDecimal low,
    BigDecimal close,
    BigDecimal baseVolume,
    BigDecimal quoteVolume,
    BigDecimal takerBuyBaseVolume,
    BigDecimal takerBuyQuoteVolume,
    long tradeCount) {

  /** Window end, exclusive: the kline's event time. */
  public long windowEndMs() {
    return closeTimeMs + 1;
  }

  /** Volume-weighted average price, quote / base volume; 0 when the base volume is 0. */
  public double vwap() {
    if (baseVolume.signum() == 0) {
      return 0.0;
    }
    return quoteVolume.divide(baseVolume, MathContext.DECIMAL64).doubleValue();
  }
}
