package io.cryptoanomaly.flink.records;

/**
 * The window operator's input: a trade or a book-ticker quote, never both. Trades and quotes of
 * a symbol are unioned into one stream of this type before {@code keyBy(symbol)}, so one keyed
 * tumbling window per symbol and interval sees both (decision 066). A record with nullable
 * components, serialised by Flink's POJO serializer (no Kryo).
 */
public record MarketEvent(TradeEvent trade, BookTickerEvent quote) {

  public static MarketEvent ofTrade(TradeEvent trade) {
    return new MarketEvent(trade, null);
  }

  public static MarketEvent ofQuote(BookTickerEvent quote) {
    return new MarketEvent(null, quote);
  }

  public boolean isTrade() {
    return trade != null;
  }

  /** The key: the symbol of whichever it holds. */
  public String symbol() {
    return trade != null ? trade.symbol() : quote.symbol();
  }

  /** Event time: trade time or the quote's event time, ms. */
  public long eventTimeMs() {
    return trade != null ? trade.tradeTimeMs() : quote.eventTimeMs();
  }
}
