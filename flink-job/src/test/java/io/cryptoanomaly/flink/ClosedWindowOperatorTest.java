package io.cryptoanomaly.flink;

import static io.cryptoanomaly.flink.Trades.buy;
import static io.cryptoanomaly.flink.Trades.sell;
import static org.assertj.core.api.Assertions.assertThat;

import io.cryptoanomaly.flink.records.ClosedWindow;
import io.cryptoanomaly.flink.records.KlineBar;
import io.cryptoanomaly.flink.records.KlineInterval;
import io.cryptoanomaly.flink.records.MarketEvent;
import io.cryptoanomaly.flink.records.TakerSides;
import io.cryptoanomaly.flink.records.TradeEvent;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.operators.StreamOperatorFactory;
import org.apache.flink.streaming.api.transformations.OneInputTransformation;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The window operator exactly as the job builds it ({@link AnomalyJob#closedWindows}), driven by
 * Flink's keyed operator test harness.
 */
class ClosedWindowOperatorTest {
  private static final String BTC = "BTCUSDT";
  private static final String ETH = "ETHUSDT";
  /** A 10 s window: [WINDOW_START, WINDOW_END). */
  private static final long WINDOW_START = 1_723_161_600_000L;
  private static final long WINDOW_END = WINDOW_START + 10_000;
  /** The last ms inside the window; a watermark at this time fires it. */
  private static final long WINDOW_LAST_MS = WINDOW_END - 1;
  private static final Duration NO_LATENESS = Duration.ZERO;
  private static final Duration TWO_SECONDS_LATENESS = Duration.ofSeconds(2);

  // The window operator's input is trades and quotes (MarketEvent); these tests send trades only.
  private KeyedOneInputStreamOperatorTestHarness<String, MarketEvent, ClosedWindow> harness;

  @SuppressWarnings("unchecked")
  private void open(KlineInterval interval, Duration allowedLateness) throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    var keyed =
        env.fromData(TypeInformation.of(MarketEvent.class), MarketEvent.ofTrade(buy(BTC, 1, WINDOW_START, "1", "1")))
            .keyBy(MarketEvent::symbol, Types.STRING);
    var transformation =
        (OneInputTransformation<MarketEvent, ClosedWindow>)
            AnomalyJob.closedWindows(keyed, interval, allowedLateness).getTransformation();
    StreamOperatorFactory<ClosedWindow> factory = transformation.getOperatorFactory();
    harness = new KeyedOneInputStreamOperatorTestHarness<>(factory, MarketEvent::symbol, Types.STRING);
    harness.open();
  }

  @AfterEach
  void close() throws Exception {
    if (harness != null) {
      harness.close();
    }
  }

  private void send(TradeEvent trade) throws Exception {
    harness.processElement(new StreamRecord<>(MarketEvent.ofTrade(trade), trade.tradeTimeMs()));
  }

  private List<ClosedWindow> closedWindows() {
    return harness.extractOutputValues();
  }

  private List<TradeEvent> lateTrades(KlineInterval interval) {
    ConcurrentLinkedQueue<StreamRecord<MarketEvent>> side = harness.getSideOutput(AnomalyJob.lateTradesTag(interval));
    return side == null ? List.of() : side.stream().map(StreamRecord::getValue).map(MarketEvent::trade).toList();
  }

  @Test
  void emitsNothingUntilTheWatermarkReachesTheLastMillisecondOfTheWindow() throws Exception {
    open(KlineInterval.TEN_SECONDS, NO_LATENESS);
    send(buy(BTC, 1, WINDOW_START + 1_000, "100.5", "1"));
    send(buy(BTC, 2, WINDOW_START + 3_000, "101", "2"));

    harness.processWatermark(new Watermark(WINDOW_LAST_MS - 1));
    assertThat(closedWindows()).isEmpty();

    harness.processWatermark(new Watermark(WINDOW_LAST_MS));
    assertThat(closedWindows()).hasSize(1);
    ClosedWindow closed = closedWindows().get(0);
    assertThat(closed.symbol()).isEqualTo(BTC);
    assertThat(closed.interval()).isEqualTo("10s");
    assertThat(closed.windowStartMs()).isEqualTo(WINDOW_START);
    assertThat(closed.windowEndMs()).isEqualTo(WINDOW_END);
    assertThat(closed.trades().size()).isEqualTo(2);
  }

  @Test
  void computesAnExactKlineFromTradesThatArrivedOutOfOrder() throws Exception {
    open(KlineInterval.TEN_SECONDS, NO_LATENESS);
    // Arrival order differs from (time, id) order; ids 3 and 4 share one trade time.
    send(sell(BTC, 4, WINDOW_START + 5_000, "61737.63000000", "0.10000000"));
    send(buy(BTC, 2, WINDOW_START + 1_000, "61740.01000000", "0.00012000"));
    send(buy(BTC, 3, WINDOW_START + 5_000, "61750.00000000", "1.50000000"));
    send(buy(BTC, 1, WINDOW_START, "61738.00000000", "0.30000000"));
    send(sell(BTC, 5, WINDOW_LAST_MS, "61701.99999999", "0.00000001"));
    harness.processWatermark(new Watermark(WINDOW_LAST_MS));

    KlineBar k = closedWindows().get(0).kline();
    assertThat(k.open()).isEqualTo(new BigDecimal("61738.00000000"));
    assertThat(k.high()).isEqualTo(new BigDecimal("61750.00000000"));
    assertThat(k.low()).isEqualTo(new BigDecimal("61701.99999999"));
    assertThat(k.close()).isEqualTo(new BigDecimal("61701.99999999"));
    assertThat(k.baseVolume()).isEqualTo(new BigDecimal("1.90012001"));
    // 61738*0.3 + 61740.01*0.00012 + 61750*1.5 + 61737.63*0.1 + 61701.99999999*0.00000001
    assertThat(k.quoteVolume())
        .isEqualByComparingTo(
            new BigDecimal("18521.4")
                .add(new BigDecimal("7.4088012"))
                .add(new BigDecimal("92625"))
                .add(new BigDecimal("6173.763"))
                .add(new BigDecimal("0.0006170199999999")));
    assertThat(k.quoteVolume().toPlainString()).isEqualTo("117327.5724182199999999");
    assertThat(k.takerBuyBaseVolume()).isEqualTo(new BigDecimal("1.80012000"));
    assertThat(k.takerBuyQuoteVolume()).isEqualByComparingTo("111153.8088012");
    assertThat(k.tradeCount()).isEqualTo(5);
    assertThat(k.firstTradeId()).isEqualTo(1);
    assertThat(k.lastTradeId()).isEqualTo(5);
    assertThat(k.openTimeMs()).isEqualTo(WINDOW_START);
    assertThat(k.closeTimeMs()).isEqualTo(WINDOW_END - 1);
    assertThat(k.vwap()).isCloseTo(117327.5724182199999999 / 1.90012001, org.assertj.core.data.Offset.offset(1e-9));

    var columns = closedWindows().get(0).trades();
    assertThat(columns.tradeId()).containsExactly(1, 2, 3, 4, 5);
    assertThat(columns.takerSide())
        .containsExactly(TakerSides.BUY, TakerSides.BUY, TakerSides.BUY, TakerSides.SELL, TakerSides.SELL);
    assertThat(columns.price(0)).isEqualTo(61738.0);
  }

  @Test
  void sendsATradeThatArrivesAfterItsWindowFiredToTheLateSideOutput() throws Exception {
    open(KlineInterval.TEN_SECONDS, NO_LATENESS);
    send(buy(BTC, 1, WINDOW_START + 1_000, "100", "1"));
    harness.processWatermark(new Watermark(WINDOW_LAST_MS));
    TradeEvent late = buy(BTC, 2, WINDOW_START + 2_000, "200", "1");

    send(late);
    harness.processWatermark(new Watermark(WINDOW_END + 60_000));

    assertThat(closedWindows()).hasSize(1);
    assertThat(closedWindows().get(0).kline().tradeCount()).isEqualTo(1);
    assertThat(lateTrades(KlineInterval.TEN_SECONDS)).containsExactly(late);
  }

  @Test
  void clearsWindowStateAndTimersOnceTheWindowFired() throws Exception {
    open(KlineInterval.ONE_MINUTE, NO_LATENESS);
    send(buy(BTC, 1, WINDOW_START + 1_000, "100", "1"));
    send(buy(ETH, 7, WINDOW_START + 2_000, "10", "1"));
    assertThat(harness.numKeyedStateEntries()).isEqualTo(2);
    assertThat(harness.numEventTimeTimers()).isEqualTo(2);

    harness.processWatermark(new Watermark(WINDOW_START + 60_000 - 1));

    assertThat(closedWindows()).extracting(ClosedWindow::symbol).containsExactlyInAnyOrder(BTC, ETH);
    assertThat(harness.numKeyedStateEntries()).isZero();
    assertThat(harness.numEventTimeTimers()).isZero();
  }

  @Test
  void keepsEachSymbolInItsOwnWindow() throws Exception {
    open(KlineInterval.TEN_SECONDS, NO_LATENESS);
    send(buy(BTC, 1, WINDOW_START + 1_000, "61000", "1"));
    send(sell(ETH, 9, WINDOW_START + 1_500, "2600", "3"));
    send(buy(BTC, 2, WINDOW_START + 2_000, "61001", "1"));
    harness.processWatermark(new Watermark(WINDOW_LAST_MS));

    assertThat(closedWindows())
        .extracting(w -> w.symbol() + ":" + w.kline().tradeCount() + ":" + w.kline().close().toPlainString())
        .containsExactlyInAnyOrder("BTCUSDT:2:61001.00000000", "ETHUSDT:1:2600.00000000");
  }

  @Test
  void refiresWithTheLateTradeWithinAllowedLatenessAndClearsStateAfterIt() throws Exception {
    open(KlineInterval.TEN_SECONDS, TWO_SECONDS_LATENESS);
    send(buy(BTC, 1, WINDOW_START + 1_000, "100", "1"));
    harness.processWatermark(new Watermark(WINDOW_LAST_MS));
    send(buy(BTC, 2, WINDOW_START + 2_000, "300", "1"));

    assertThat(closedWindows()).extracting(w -> w.kline().tradeCount()).containsExactly(1L, 2L);
    assertThat(closedWindows().get(1).kline().high()).isEqualByComparingTo("300");

    harness.processWatermark(new Watermark(WINDOW_LAST_MS + TWO_SECONDS_LATENESS.toMillis()));
    assertThat(harness.numKeyedStateEntries()).isZero();
    assertThat(harness.numEventTimeTimers()).isZero();
    send(buy(BTC, 3, WINDOW_START + 3_000, "400", "1"));
    assertThat(lateTrades(KlineInterval.TEN_SECONDS)).extracting(TradeEvent::tradeId).containsExactly(3L);
  }
}
