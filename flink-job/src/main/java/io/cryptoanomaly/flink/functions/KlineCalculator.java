package io.cryptoanomaly.flink.functions;

import io.cryptoanomaly.flink.records.ExactDecimal;
import io.cryptoanomaly.flink.records.KlineBar;
import io.cryptoanomaly.flink.records.TakerSides;
import io.cryptoanomaly.flink.records.TradeColumns;

/**
 * Computes a kline from a window's columns in one pass. Exact: prices and base volumes are summed
 * as E8 longs, quote volumes (price * qty, E16) in 128 bits; see {@link ExactDecimal}.
 *
 * <p>The columns are ordered by (trade time, trade id), so open is the first trade and close the
 * last even when trades arrived out of order.
 */
public final class KlineCalculator {
  private KlineCalculator() {}

  /**
   * @param windowStartMs inclusive
   * @param windowEndMs exclusive
   * @throws IllegalArgumentException for an empty window (Flink never creates one)
   */
  public static KlineBar compute(
      String symbol, String interval, long windowStartMs, long windowEndMs, TradeColumns trades) {
    int n = trades.size();
    if (n == 0) {
      throw new IllegalArgumentException("a kline needs at least one trade");
    }
    long[] price = trades.priceE8();
    long[] quantity = trades.quantityE8();
    byte[] side = trades.takerSide();
    long high = Long.MIN_VALUE;
    long low = Long.MAX_VALUE;
    long baseVolume = 0;
    long takerBuyBaseVolume = 0;
    long[] quoteVolume = new long[2];
    long[] takerBuyQuoteVolume = new long[2];
    for (int i = 0; i < n; i++) {
      long p = price[i];
      long q = quantity[i];
      high = Math.max(high, p);
      low = Math.min(low, p);
      baseVolume = Math.addExact(baseVolume, q);
      ExactDecimal.multiplyAccumulate(quoteVolume, p, q);
      if (side[i] == TakerSides.BUY) {
        takerBuyBaseVolume = Math.addExact(takerBuyBaseVolume, q);
        ExactDecimal.multiplyAccumulate(takerBuyQuoteVolume, p, q);
      }
    }
    return new KlineBar(
        symbol,
        interval,
        windowStartMs,
        windowEndMs - 1,
        trades.tradeId()[0],
        trades.tradeId()[n - 1],
        ExactDecimal.toBigDecimal(price[0]),
        ExactDecimal.toBigDecimal(high),
        ExactDecimal.toBigDecimal(low),
        ExactDecimal.toBigDecimal(price[n - 1]),
        ExactDecimal.toBigDecimal(baseVolume),
        ExactDecimal.e16SumToBigDecimal(quoteVolume),
        ExactDecimal.toBigDecimal(takerBuyBaseVolume),
        ExactDecimal.e16SumToBigDecimal(takerBuyQuoteVolume),
        n);
  }
}
