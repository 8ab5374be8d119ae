package io.cryptoanomaly.flink.records;

/**
 * What the source emits per Kafka record: either a decoded trade or a dead letter, never both.
 *
 * <p>Decoding cannot throw inside the Kafka source without failing the job, so the deserializer
 * returns this union and {@code functions.SplitUndecodable} splits it into the main stream and a
 * dead-letter side output.
 */
public record TradeOrDeadLetter(TradeEvent trade, DeadLetterRecord deadLetter) {

  public static TradeOrDeadLetter ofTrade(TradeEvent trade) {
    return new TradeOrDeadLetter(trade, null);
  }

  public static TradeOrDeadLetter ofDeadLetter(DeadLetterRecord deadLetter) {
    return new TradeOrDeadLetter(null, deadLetter);
  }

  public boolean isTrade() {
    return trade != null;
  }
}
