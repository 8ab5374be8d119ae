package io.cryptoanomaly.flink.records;

import com.google.protobuf.InvalidProtocolBufferException;
import io.cryptoanomaly.proto.v1.BookTicker;
import io.cryptoanomaly.proto.v1.DeadLetter;
import io.cryptoanomaly.proto.v1.DeadLetterReason;
import io.cryptoanomaly.proto.v1.Kline;
import io.cryptoanomaly.proto.v1.KlineSource;
import io.cryptoanomaly.proto.v1.TakerSide;
import io.cryptoanomaly.proto.v1.Trade;
import java.math.BigDecimal;

/**
 * The one place where generated protobuf types meet the job's domain types. Everything else in
 * the job sees {@link TradeEvent}, {@link KlineBar} and {@link DeadLetterRecord} only.
 */
public final class ProtoAdapter {
  /** {@code DeadLetter.source} of every dead letter this job writes. */
  public static final String DEAD_LETTER_SOURCE = "flink-job";

  private ProtoAdapter() {}

  /**
   * Decodes one {@code raw-trades} record value. Never throws: bytes that are not a valid Trade
   * become a dead letter whose detail names {@code origin} (e.g. "raw-trades-0@42") and the field.
   */
  public static TradeOrDeadLetter decodeTrade(byte[] value, String origin, long receivedAtMs) {
    if (value == null) {
      return deadLetter(new byte[0], origin + ": null value (tombstone)", receivedAtMs, -1);
    }
    try {
      return TradeOrDeadLetter.ofTrade(toTradeEvent(Trade.parseFrom(value)));
    } catch (InvalidProtocolBufferException e) {
      return deadLetter(value, origin + ": not a cryptoanomaly.v1.Trade: " + e.getMessage(), receivedAtMs, value.length);
    } catch (InvalidTradeException e) {
      return deadLetter(value, origin + ": " + e.getMessage(), receivedAtMs, value.length);
    }
  }

  /**
   * Decodes one {@code book-ticker} record value. Never throws: bytes that are not a valid
   * BookTicker become a dead letter whose detail names {@code origin} and the field.
   */
  public static QuoteOrDeadLetter decodeBookTicker(byte[] value, String origin, long receivedAtMs) {
    if (value == null) {
      return QuoteOrDeadLetter.ofDeadLetter(new DeadLetterRecord(new byte[0], origin + ": null value (tombstone)", receivedAtMs, -1));
    }
    try {
      return QuoteOrDeadLetter.ofQuote(toBookTickerEvent(BookTicker.parseFrom(value)));
    } catch (InvalidProtocolBufferException e) {
      return QuoteOrDeadLetter.ofDeadLetter(
          new DeadLetterRecord(value, origin + ": not a cryptoanomaly.v1.BookTicker: " + e.getMessage(), receivedAtMs, value.length));
    } catch (InvalidTradeException e) {
      return QuoteOrDeadLetter.ofDeadLetter(new DeadLetterRecord(value, origin + ": " + e.getMessage(), receivedAtMs, value.length));
    }
  }

  /**
   * Validates a wire BookTicker and converts it: a symbol, a positive event time, positive finite
   * prices and non-negative finite sizes (a crossed book is valid input; the window counts it).
   */
  public static BookTickerEvent toBookTickerEvent(BookTicker quote) throws InvalidTradeException {
    if (quote.getSymbol().isEmpty()) {
      throw new InvalidTradeException("symbol: missing");
    }
    if (quote.getEventTimeMs() <= 0) {
      throw new InvalidTradeException("event_time_ms: expected a positive ms timestamp, got " + quote.getEventTimeMs());
    }
    positive("bid_price", quote.getBidPrice());
    positive("ask_price", quote.getAskPrice());
    nonNegative("bid_quantity", quote.getBidQuantity());
    nonNegative("ask_quantity", quote.getAskQuantity());
    return new BookTickerEvent(
        quote.getSymbol(),
        quote.getUpdateId(),
        quote.getEventTimeMs(),
        quote.getBidPrice(),
        quote.getBidQuantity(),
        quote.getAskPrice(),
        quote.getAskQuantity());
  }

  private static void positive(String field, double value) throws InvalidTradeException {
    if (!(value > 0 && value < Double.POSITIVE_INFINITY)) {
      throw new InvalidTradeException(field + ": expected a positive finite number, got " + value);
    }
  }

  private static void nonNegative(String field, double value) throws InvalidTradeException {
    if (!(value >= 0 && value < Double.POSITIVE_INFINITY)) {
      throw new InvalidTradeException(field + ": expected a non-negative finite number, got " + value);
    }
  }

  private static TradeOrDeadLetter deadLetter(byte[] payload, String detail, long receivedAtMs, long size) {
    return TradeOrDeadLetter.ofDeadLetter(new DeadLetterRecord(payload, detail, receivedAtMs, size));
  }

  /** Validates a wire Trade and converts it; the message names the offending field and value. */
  public static TradeEvent toTradeEvent(Trade trade) throws InvalidTradeException {
    if (trade.getSymbol().isEmpty()) {
      throw new InvalidTradeException("symbol: missing");
    }
    if (trade.getTradeId() < 0) {
      throw new InvalidTradeException("trade_id: expected >= 0, got " + trade.getTradeId());
    }
    if (trade.getTradeTimeMs() <= 0) {
      throw new InvalidTradeException(
          "trade_time_ms: expected a positive ms timestamp, got " + trade.getTradeTimeMs());
    }
    long price = positiveE8("price_decimal", trade.getPriceDecimal());
    long quantity = positiveE8("quantity_decimal", trade.getQuantityDecimal());
    byte side;
    if (trade.getTakerSide() == TakerSide.TAKER_SIDE_BUY) {
      side = TakerSides.BUY;
    } else if (trade.getTakerSide() == TakerSide.TAKER_SIDE_SELL) {
      side = TakerSides.SELL;
    } else {
      throw new InvalidTradeException(
          "taker_side: expected TAKER_SIDE_BUY or TAKER_SIDE_SELL, got " + trade.getTakerSideValue());
    }
    return new TradeEvent(
        trade.getSymbol(),
        trade.getTradeId(),
        trade.getTradeTimeMs(),
        trade.getEventTimeMs(),
        trade.getIngestTimeMs(),
        price,
        quantity,
        side);
  }

  private static long positiveE8(String field, String text) throws InvalidTradeException {
    long value;
    try {
      value = ExactDecimal.parseE8(text);
    } catch (IllegalArgumentException e) {
      throw new InvalidTradeException(
          field + ": expected a positive decimal with at most " + ExactDecimal.SCALE
              + " fractional digits, got \"" + text + "\" (" + e.getMessage() + ")");
    }
    if (value <= 0) {
      throw new InvalidTradeException(field + ": expected a positive decimal, got \"" + text + "\"");
    }
    return value;
  }

  /** The wire form of a trade (for the late-trades topic). Decimal strings have 8 fractional digits. */
  public static Trade toTrade(TradeEvent trade) {
    return Trade.newBuilder()
        .setSymbol(trade.symbol())
        .setTradeId(trade.tradeId())
        .setEventTimeMs(trade.eventTimeMs())
        .setTradeTimeMs(trade.tradeTimeMs())
        .setPriceDecimal(ExactDecimal.toBigDecimal(trade.priceE8()).toPlainString())
        .setQuantityDecimal(ExactDecimal.toBigDecimal(trade.quantityE8()).toPlainString())
        .setPrice(ExactDecimal.toDouble(trade.priceE8()))
        .setQuantity(ExactDecimal.toDouble(trade.quantityE8()))
        .setTakerSide(trade.takerSide() == TakerSides.BUY ? TakerSide.TAKER_SIDE_BUY : TakerSide.TAKER_SIDE_SELL)
        .setIngestTimeMs(trade.ingestTimeMs())
        .build();
  }

  /** The wire form of a Flink kline: closed, source FLINK, event time = window end. */
  public static Kline toKline(KlineBar bar) {
    return Kline.newBuilder()
        .setSymbol(bar.symbol())
        .setInterval(bar.interval())
        .setOpenTimeMs(bar.openTimeMs())
        .setCloseTimeMs(bar.closeTimeMs())
        .setFirstTradeId(bar.firstTradeId())
        .setLastTradeId(bar.lastTradeId())
        .setOpenDecimal(plain(bar.open()))
        .setHighDecimal(plain(bar.high()))
        .setLowDecimal(plain(bar.low()))
        .setCloseDecimal(plain(bar.close()))
        .setOpen(bar.open().doubleValue())
        .setHigh(bar.high().doubleValue())
        .setLow(bar.low().doubleValue())
        .setClose(bar.close().doubleValue())
        .setBaseVolumeDecimal(plain(bar.baseVolume()))
        .setQuoteVolumeDecimal(plain(bar.quoteVolume()))
        .setTakerBuyBaseVolumeDecimal(plain(bar.takerBuyBaseVolume()))
        .setTakerBuyQuoteVolumeDecimal(plain(bar.takerBuyQuoteVolume()))
        .setBaseVolume(bar.baseVolume().doubleValue())
        .setQuoteVolume(bar.quoteVolume().doubleValue())
        .setTakerBuyBaseVolume(bar.takerBuyBaseVolume().doubleValue())
        .setTakerBuyQuoteVolume(bar.takerBuyQuoteVolume().doubleValue())
        .setTradeCount(bar.tradeCount())
        .setVwap(bar.vwap())
        .setIsClosed(true)
        .setEventTimeMs(bar.windowEndMs())
        .setSource(KlineSource.KLINE_SOURCE_FLINK)
        .build();
  }

  /** The wire form of a dead letter: reason UNDECODABLE_RECORD, source "flink-job". */
  public static DeadLetter toDeadLetter(DeadLetterRecord record) {
    return DeadLetter.newBuilder()
        .setPayload(com.google.protobuf.ByteString.copyFrom(record.payload()))
        .setReason(DeadLetterReason.DEAD_LETTER_REASON_UNDECODABLE_RECORD)
        .setDetail(record.detail())
        .setSource(DEAD_LETTER_SOURCE)
        .setReceivedAtMs(record.receivedAtMs())
        .setOriginalSizeBytes(record.originalSizeBytes())
        .build();
  }

  private static String plain(BigDecimal value) {
    return value.toPlainString();
  }

  /** A Trade that parsed as protobuf but breaks the contract; the message names the field. */
  public static final class InvalidTradeException extends Exception {
    private static final long serialVersionUID = 1L;

    public InvalidTradeException(String message) {
      super(message);
    }
  }
}
