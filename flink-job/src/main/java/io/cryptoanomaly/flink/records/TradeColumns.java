package io.cryptoanomaly.flink.records;

/**
 * The trades of one closed window as columns of equal length, ordered by trade time, then trade
 * id. This is the shape the window travels in to the scoring sidecar (one Apache Arrow record
 * batch: time, price, qty, taker side, trade id). Prices and quantities are exact E8 longs
 * ({@link ExactDecimal}); {@link #price(int)} and {@link #quantity(int)} give the float64 values.
 *
 * <p>Treat the arrays as read-only: the same instance may be read by the kline sink and the scorer.
 */
public record TradeColumns(
    long[] tradeTimeMs, long[] tradeId, long[] priceE8, long[] quantityE8, byte[] takerSide) {

  public int size() {
    return tradeTimeMs.length;
  }

  public double price(int i) {
    return ExactDecimal.toDouble(priceE8[i]);
  }

  public double quantity(int i) {
    return ExactDecimal.toDouble(quantityE8[i]);
  }
}
