package io.cryptoanomaly.flink;

import io.cryptoanomaly.flink.functions.KlineCalculator;
import io.cryptoanomaly.flink.records.ClosedWindow;
import io.cryptoanomaly.flink.records.ExactDecimal;
import io.cryptoanomaly.flink.records.TakerSides;
import io.cryptoanomaly.flink.records.TradeColumns;

/** Hand-made closed windows for scoring tests. */
public final class Windows {
  public static final long TEN_SECONDS_MS = 10_000;

  private Windows() {}

  /**
   * A 10 s window starting at {@code startMs} with one trade per price, 100 ms apart, alternately
   * bought and sold, quantity 0.5 + i.
   */
  public static ClosedWindow tenSeconds(String symbol, long startMs, String... prices) {
    int n = prices.length;
    long[] time = new long[n];
    long[] id = new long[n];
    long[] price = new long[n];
    long[] quantity = new long[n];
    byte[] side = new byte[n];
    for (int i = 0; i < n; i++) {
      time[i] = startMs + 100L * i;
      id[i] = startMs / 10 + i;
      price[i] = ExactDecimal.parseE8(prices[i]);
      quantity[i] = ExactDecimal.parseE8((i + 0.5) + "");
      side[i] = i % 2 == 0 ? TakerSides.BUY : TakerSides.SELL;
    }
    TradeColumns trades = new TradeColumns(time, id, price, quantity, side);
    long endMs = startMs + TEN_SECONDS_MS;
    return new ClosedWindow(symbol, "10s", startMs, endMs, trades, KlineCalculator.compute(symbol, "10s", startMs, endMs, trades));
  }
}
