package io.cryptoanomaly.flink.records;

/**
 * What the {@code book-ticker} source emits per Kafka record: a decoded quote or a dead letter,
 * never both (the same pattern as {@link TradeOrDeadLetter}: decoding never throws inside the
 * source; {@code functions.SplitUndecodableQuotes} splits the two).
 */
public record QuoteOrDeadLetter(BookTickerEvent quote, DeadLetterRecord deadLetter) {

  public static QuoteOrDeadLetter ofQuote(BookTickerEvent quote) {
    return new QuoteOrDeadLetter(quote, null);
  }

  public static QuoteOrDeadLetter ofDeadLetter(DeadLetterRecord deadLetter) {
    return new QuoteOrDeadLetter(null, deadLetter);
  }

  public boolean isQuote() {
    return quote != null;
  }
}
