package io.cryptoanomaly.flink.functions;

import static io.cryptoanomaly.flink.Trades.buy;
import static org.assertj.core.api.Assertions.assertThat;

import io.cryptoanomaly.flink.records.DeadLetterRecord;
import io.cryptoanomaly.flink.records.KlineInterval;
import io.cryptoanomaly.flink.records.LateTrade;
import io.cryptoanomaly.flink.records.MarketEvent;
import io.cryptoanomaly.flink.records.TradeEvent;
import io.cryptoanomaly.flink.records.TradeOrDeadLetter;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;

class SideOutputFunctionsTest {
  private static final long ONE_MINUTE_WINDOW_START = 1_723_161_600_000L;
  private static final long TRADE_TIME_MS = ONE_MINUTE_WINDOW_START + 42_123;
  private static final long WATERMARK_MS = ONE_MINUTE_WINDOW_START + 120_000;

  @Test
  void passesTradesOnAndSendsDeadLettersToTheSideOutput() throws Exception {
    TradeEvent trade = buy("BTCUSDT", 1, TRADE_TIME_MS, "100", "1");
    DeadLetterRecord letter = new DeadLetterRecord(new byte[] {9}, "bad", 0, 1);
    try (OneInputStreamOperatorTestHarness<TradeOrDeadLetter, TradeEvent> harness =
        ProcessFunctionTestHarnesses.forProcessFunction(new SplitUndecodable())) {
      harness.processElement(TradeOrDeadLetter.ofTrade(trade), TRADE_TIME_MS);
      harness.processElement(TradeOrDeadLetter.ofDeadLetter(letter), Long.MIN_VALUE);

      assertThat(harness.extractOutputValues()).containsExactly(trade);
      assertThat(harness.getSideOutput(SplitUndecodable.DEAD_LETTERS))
          .extracting(StreamRecord::getValue)
          .usingRecursiveFieldByFieldElementComparator()
          .containsExactly(letter);
    }
  }

  @Test
  void labelsALateTradeWithItsIntervalWindowStartAndTheCurrentWatermark() throws Exception {
    TradeEvent trade = buy("ETHUSDT", 7, TRADE_TIME_MS, "2600", "1");
    try (OneInputStreamOperatorTestHarness<MarketEvent, LateTrade> harness =
        ProcessFunctionTestHarnesses.forProcessFunction(new TagLateTrades(KlineInterval.ONE_MINUTE))) {
      harness.processWatermark(new Watermark(WATERMARK_MS));
      harness.processElement(MarketEvent.ofTrade(trade), TRADE_TIME_MS);

      assertThat(harness.extractOutputValues())
          .containsExactly(new LateTrade(trade, "1m", ONE_MINUTE_WINDOW_START, WATERMARK_MS));
    }
  }
}
