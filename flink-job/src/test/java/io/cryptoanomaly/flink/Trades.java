package io.cryptoanomaly.flink;

import io.cryptoanomaly.flink.records.ExactDecimal;
import io.cryptoanomaly.flink.records.TakerSides;
import io.cryptoanomaly.flink.records.TradeEvent;

/** Hand-made trades for tests. */
public final class Trades {
  private Trades() {}

  public static TradeEvent buy(String symbol, long id, long timeMs, String price, String quantity) {
    return trade(symbol, id, timeMs, price, quantity, TakerSides.BUY);
  }

  public static TradeEvent sell(String symbol, long id, long timeMs, String price, String quantity) {
    return trade(symbol, id, timeMs, price, quantity, TakerSides.SELL);
  }

  public static TradeEvent trade(String symbol, long id, long timeMs, String price, String quantity, byte side) {
    return new TradeEvent(
        symbol, id, timeMs, timeMs + 1, timeMs + 2, ExactDecimal.parseE8(price), ExactDecimal.parseE8(quantity), side);
  }
}
