package io.cryptoanomaly.flink.records;

import static org.assertj.core.api.Assertions.assertThat;

import io.cryptoanomaly.flink.Trades;
import io.cryptoanomaly.flink.functions.KlineCalculator;
import io.cryptoanomaly.proto.v1.DeadLetter;
import io.cryptoanomaly.proto.v1.DeadLetterReason;
import io.cryptoanomaly.proto.v1.Kline;
import io.cryptoanomaly.proto.v1.KlineSource;
import io.cryptoanomaly.proto.v1.TakerSide;
import io.cryptoanomaly.proto.v1.Trade;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

class ProtoAdapterTest {
  private static final String ORIGIN = "raw-trades-0@42";
  private static final long RECEIVED_AT_MS = 1_723_161_700_000L;
  private static final long TRADE_TIME_MS = 1_723_161_655_342L;
  private static final long WINDOW_START = 1_723_161_650_000L;
  private static final long WINDOW_END = WINDOW_START + 10_000;

  private static Trade.Builder validTrade() {
    return Trade.newBuilder()
        .setSymbol("BTCUSDT")
        .setTradeId(3_735_683_259L)
        .setEventTimeMs(TRADE_TIME_MS + 1)
        .setTradeTimeMs(TRADE_TIME_MS)
        .setPriceDecimal("61837.63000000")
        .setQuantityDecimal("0.02000000")
        .setPrice(61837.63)
        .setQuantity(0.02)
        .setTakerSide(TakerSide.TAKER_SIDE_SELL)
        .setIngestTimeMs(TRADE_TIME_MS + 5);
  }

  @Test
  void decodesAValidTradeIntoTheCompactDomainType() {
    TradeOrDeadLetter decoded = ProtoAdapter.decodeTrade(validTrade().build().toByteArray(), ORIGIN, RECEIVED_AT_MS);
    assertThat(decoded.isTrade()).isTrue();
    assertThat(decoded.trade())
        .isEqualTo(
            new TradeEvent(
                "BTCUSDT", 3_735_683_259L, TRADE_TIME_MS, TRADE_TIME_MS + 1, TRADE_TIME_MS + 5,
                6_183_763_000_000L, 2_000_000L, TakerSides.SELL));
  }

  @Test
  void turnsBytesThatAreNotProtobufIntoADeadLetterKeepingThePayload() {
    byte[] garbage = "{\"not\":\"protobuf\"}".getBytes(StandardCharsets.UTF_8);
    TradeOrDeadLetter decoded = ProtoAdapter.decodeTrade(garbage, ORIGIN, RECEIVED_AT_MS);
    assertThat(decoded.isTrade()).isFalse();
    assertThat(decoded.deadLetter().payload()).isEqualTo(garbage);
    assertThat(decoded.deadLetter().detail()).startsWith(ORIGIN + ": ");
    assertThat(decoded.deadLetter().originalSizeBytes()).isEqualTo(garbage.length);
  }

  @Test
  void namesTheFieldOfATradeThatBreaksTheContract() {
    byte[] badPrice = validTrade().setPriceDecimal("-1").build().toByteArray();
    assertThat(ProtoAdapter.decodeTrade(badPrice, ORIGIN, RECEIVED_AT_MS).deadLetter().detail())
        .startsWith(ORIGIN + ": price_decimal: expected a positive decimal");
    byte[] noSide = validTrade().setTakerSide(TakerSide.TAKER_SIDE_UNSPECIFIED).build().toByteArray();
    assertThat(ProtoAdapter.decodeTrade(noSide, ORIGIN, RECEIVED_AT_MS).deadLetter().detail()).contains("taker_side");
    byte[] noTime = validTrade().clearTradeTimeMs().build().toByteArray();
    assertThat(ProtoAdapter.decodeTrade(noTime, ORIGIN, RECEIVED_AT_MS).deadLetter().detail()).contains("trade_time_ms");
    byte[] zeroQuantity = validTrade().setQuantityDecimal("0.00000000").build().toByteArray();
    assertThat(ProtoAdapter.decodeTrade(zeroQuantity, ORIGIN, RECEIVED_AT_MS).deadLetter().detail()).contains("quantity_decimal");
    assertThat(ProtoAdapter.decodeTrade(null, ORIGIN, RECEIVED_AT_MS).deadLetter().detail()).contains("tombstone");
  }

  @Test
  void writesDeadLettersWithTheUndecodableReasonAndThisJobAsSource() throws Exception {
    DeadLetterRecord record = new DeadLetterRecord(new byte[] {1, 2, 3}, "why", RECEIVED_AT_MS, 3);
    ProducerRecord<byte[], byte[]> out = new KafkaSerdes.DeadLetterSerializer("dead-letter").serialize(record, null, null);
    DeadLetter letter = DeadLetter.parseFrom(out.value());
    assertThat(out.topic()).isEqualTo("dead-letter");
    assertThat(letter.getReason()).isEqualTo(DeadLetterReason.DEAD_LETTER_REASON_UNDECODABLE_RECORD);
    assertThat(letter.getSource()).isEqualTo("flink-job");
    assertThat(letter.getDetail()).isEqualTo("why");
    assertThat(letter.getPayload().toByteArray()).containsExactly(1, 2, 3);
    assertThat(letter.getReceivedAtMs()).isEqualTo(RECEIVED_AT_MS);
    assertThat(letter.getOriginalSizeBytes()).isEqualTo(3);
  }

  @Test
  void writesAClosedFlinkKlineKeyedBySymbolWithEventTimeAtTheWindowEnd() throws Exception {
    TradeBuffer buffer = new TradeBuffer();
    buffer.append(Trades.buy("BTCUSDT", 11, WINDOW_START + 10, "61737.63000000", "0.50000000"));
    buffer.append(Trades.sell("BTCUSDT", 12, WINDOW_START + 20, "61737.64000000", "0.25000000"));
    KlineBar bar = KlineCalculator.compute("BTCUSDT", "10s", WINDOW_START, WINDOW_END, buffer.toSortedColumns());

    ProducerRecord<byte[], byte[]> out = new KafkaSerdes.KlineSerializer("kline-10s").serialize(bar, null, null);
    Kline kline = Kline.parseFrom(out.value());

    assertThat(new String(out.key(), StandardCharsets.UTF_8)).isEqualTo("BTCUSDT");
    assertThat(out.timestamp()).isEqualTo(WINDOW_END);
    assertThat(kline.getInterval()).isEqualTo("10s");
    assertThat(kline.getOpenTimeMs()).isEqualTo(WINDOW_START);
    assertThat(kline.getCloseTimeMs()).isEqualTo(WINDOW_END - 1);
    assertThat(kline.getEventTimeMs()).isEqualTo(WINDOW_END);
    assertThat(kline.getIsClosed()).isTrue();
    assertThat(kline.getSource()).isEqualTo(KlineSource.KLINE_SOURCE_FLINK);
    assertThat(kline.getOpenDecimal()).isEqualTo("61737.63000000");
    assertThat(kline.getCloseDecimal()).isEqualTo("61737.64000000");
    assertThat(kline.getOpen()).isEqualTo(61737.63);
    assertThat(kline.getBaseVolumeDecimal()).isEqualTo("0.75000000");
    assertThat(kline.getQuoteVolumeDecimal()).isEqualTo("46303.2250000000000000");
    assertThat(kline.getTakerBuyBaseVolumeDecimal()).isEqualTo("0.50000000");
    assertThat(kline.getTakerBuyQuoteVolumeDecimal()).isEqualTo("30868.8150000000000000");
    assertThat(kline.getQuoteVolume()).isEqualTo(46303.225);
    assertThat(kline.getVwap()).isCloseTo(46303.225 / 0.75, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(kline.getTradeCount()).isEqualTo(2);
    assertThat(kline.getFirstTradeId()).isEqualTo(11);
    assertThat(kline.getLastTradeId()).isEqualTo(12);
  }

  @Test
  void writesALateTradeAsAContractTradeWithItsWindowInHeaders() throws Exception {
    TradeEvent trade = Trades.buy("ETHUSDT", 5, TRADE_TIME_MS, "2673.60000000", "1.00000000");
    LateTrade late = new LateTrade(trade, "1m", 1_723_161_600_000L, 1_723_161_700_000L);

    ProducerRecord<byte[], byte[]> out = new KafkaSerdes.LateTradeSerializer("late-trades").serialize(late, null, null);

    assertThat(new String(out.key(), StandardCharsets.UTF_8)).isEqualTo("ETHUSDT");
    assertThat(ProtoAdapter.toTradeEvent(Trade.parseFrom(out.value()))).isEqualTo(trade);
    assertThat(new String(out.headers().lastHeader(KafkaSerdes.HEADER_LATE_INTERVAL).value(), StandardCharsets.UTF_8))
        .isEqualTo("1m");
    assertThat(new String(out.headers().lastHeader(KafkaSerdes.HEADER_LATE_WINDOW_START).value(), StandardCharsets.UTF_8))
        .isEqualTo("1723161600000");
    assertThat(new String(out.headers().lastHeader(KafkaSerdes.HEADER_LATE_WATERMARK).value(), StandardCharsets.UTF_8))
        .isEqualTo("1723161700000");
  }
}
