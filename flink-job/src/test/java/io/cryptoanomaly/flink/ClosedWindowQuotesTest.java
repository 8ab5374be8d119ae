package io.cryptoanomaly.flink;

import static io.cryptoanomaly.flink.Trades.buy;
import static io.cryptoanomaly.flink.Trades.sell;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import io.cryptoanomaly.flink.records.BookStats;
import io.cryptoanomaly.flink.records.BookTickerEvent;
import io.cryptoanomaly.flink.records.ClosedWindow;
import io.cryptoanomaly.flink.records.KlineInterval;
import io.cryptoanomaly.flink.records.MarketEvent;
import io.cryptoanomaly.flink.records.TradeEvent;
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
 * The job's window operator ({@link AnomalyJob#closedWindows}) with trades AND book-ticker quotes
 * in the same keyed windows: the book summary, klines untouched by quotes, no window without a
 * trade, late quotes kept off the late-trades path.
 */
class ClosedWindowQuotesTest {
  private static final String BTC = "BTCUSDT";
  private static final long WINDOW_START = 1_723_161_600_000L;
  private static final long WINDOW_END = WINDOW_START + 10_000;
  private static final long WINDOW_LAST_MS = WINDOW_END - 1;

  private KeyedOneInputStreamOperatorTestHarness<String, MarketEvent, ClosedWindow> harness;

  @SuppressWarnings("unchecked")
  private void open() throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    var keyed =
        env.fromData(TypeInformation.of(MarketEvent.class), MarketEvent.ofTrade(buy(BTC, 1, WINDOW_START, "1", "1")))
            .keyBy(MarketEvent::symbol, Types.STRING);
    var transformation =
        (OneInputTransformation<MarketEvent, ClosedWindow>)
            AnomalyJob.closedWindows(keyed, KlineInterval.TEN_SECONDS, Duration.ZERO).getTransformation();
    StreamOperatorFactory<ClosedWindow> factory = transformation.getOperatorFactory();
    harness = new KeyedOneInputStreamOperatorTestHarness<>(factory, MarketEvent::symbol, Types.STRING);
    harness.open();
  }

  @AfterEach
  void close() throws Exception {
    if (harness != null) {
      harness.close();
      harness = null;
    }
  }

  private void trade(TradeEvent trade) throws Exception {
    harness.processElement(new StreamRecord<>(MarketEvent.ofTrade(trade), trade.tradeTimeMs()));
  }

  private void quote(long timeMs, double bid, double bidQty, double ask, double askQty) throws Exception {
    BookTickerEvent q = new BookTickerEvent(BTC, timeMs, timeMs, bid, bidQty, ask, askQty);
    harness.processElement(new StreamRecord<>(MarketEvent.ofQuote(q), timeMs));
  }

  private List<ClosedWindow> closedWindows() {
    return harness.extractOutputValues();
  }

  private void tradesOfTheFixture() throws Exception {
    trade(sell(BTC, 4, WINDOW_START + 5_000, "61737.63000000", "0.10000000"));
    trade(buy(BTC, 2, WINDOW_START + 1_000, "61740.01000000", "0.00012000"));
    trade(buy(BTC, 3, WINDOW_START + 5_000, "61750.00000000", "1.50000000"));
    trade(buy(BTC, 1, WINDOW_START, "61738.00000000", "0.30000000"));
  }

  @Test
  void summarisesTheWindowsQuotesAndLeavesTheKlineAsTheTradesAloneMakeIt() throws Exception {
    open();
    tradesOfTheFixture();
    harness.processWatermark(new Watermark(WINDOW_LAST_MS));
    ClosedWindow tradesOnly = closedWindows().get(0);
    assertThat(tradesOnly.book()).isNull();
    close();

    open();
    // The same trades interleaved with the QuoteStatsTest fixture's quotes.
    quote(WINDOW_START + 1_000, 99.99, 1, 100.01, 2);
    trade(sell(BTC, 4, WINDOW_START + 5_000, "61737.63000000", "0.10000000"));
    quote(WINDOW_START + 4_000, 99.95, 0.5, 100.05, 0.5);
    trade(buy(BTC, 2, WINDOW_START + 1_000, "61740.01000000", "0.00012000"));
    quote(WINDOW_START + 5_000, 100.1, 1, 100.0, 1);
    trade(buy(BTC, 3, WINDOW_START + 5_000, "61750.00000000", "1.50000000"));
    quote(WINDOW_START + 6_000, 99.99, 1, 100.01, 1);
    trade(buy(BTC, 1, WINDOW_START, "61738.00000000", "0.30000000"));
    harness.processWatermark(new Watermark(WINDOW_LAST_MS));

    assertThat(closedWindows()).hasSize(1);
    ClosedWindow withQuotes = closedWindows().get(0);
    assertThat(withQuotes.kline()).isEqualTo(tradesOnly.kline());
    assertThat(withQuotes.trades().tradeId()).containsExactly(tradesOnly.trades().tradeId());
    assertThat(withQuotes.trades().priceE8()).containsExactly(tradesOnly.trades().priceE8());
    BookStats b = withQuotes.book();
    assertThat(b.quoteCount()).isEqualTo(4);
    assertThat(b.crossedOrLocked()).isEqualTo(1);
    assertThat(b.spreadBpsTwa()).isCloseTo(34.0 / 9, offset(1e-9));
    assertThat(b.spreadBpsGeo()).isCloseTo(Math.pow(2, 7.0 / 9) * Math.pow(10, 2.0 / 9), offset(1e-9));
    assertThat(b.spreadBpsMax()).isCloseTo(10, offset(1e-9));
    assertThat(b.depthQuoteMin()).isCloseTo(49.975, offset(1e-9));
    assertThat(b.maxQuoteGapMs()).isEqualTo(4_000);
  }

  @Test
  void emitsNoWindowForQuotesWithoutATradeAndKeepsLateQuotesOffTheLateTradesPath() throws Exception {
    open();
    quote(WINDOW_START + 1_000, 99.99, 1, 100.01, 1);
    trade(buy(BTC, 1, WINDOW_END + 1_000, "100", "1"));
    quote(WINDOW_END + 2_000, 99.98, 1, 100.02, 1);
    harness.processWatermark(new Watermark(WINDOW_END + 10_000 - 1));

    // The first window had a quote only: no kline, nothing to score.
    assertThat(closedWindows()).extracting(ClosedWindow::windowStartMs).containsExactly(WINDOW_END);
    assertThat(closedWindows().get(0).book().quoteCount()).isEqualTo(1);
    assertThat(harness.numKeyedStateEntries()).isZero();

    quote(WINDOW_START + 3_000, 99.99, 1, 100.01, 1);
    ConcurrentLinkedQueue<StreamRecord<MarketEvent>> late = harness.getSideOutput(AnomalyJob.lateTradesTag(KlineInterval.TEN_SECONDS));
    assertThat(late).hasSize(1);
    assertThat(late.peek().getValue().isTrade()).isFalse();
    assertThat(closedWindows()).hasSize(1);
  }
}
