package io.cryptoanomaly.flink.functions;

import io.cryptoanomaly.flink.records.KlineInterval;
import io.cryptoanomaly.flink.records.LateTrade;
import io.cryptoanomaly.flink.records.MarketEvent;
import io.cryptoanomaly.flink.records.TradeEvent;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/**
 * Handles a window operator's late side output, which carries trades and quotes. Late trades are
 * labelled with their interval and window and counted ({@code lateTrades} in the {@code interval}
 * metric group), then go to the {@code late-trades} topic; late quotes are only counted
 * ({@code lateQuotes}): a quote that missed its window has no topic of its own and changes no
 * kline. Flink's own {@code numLateRecordsDropped} stays at 0 when a late side output is set,
 * hence these counters.
 */
public class TagLateTrades extends ProcessFunction<MarketEvent, LateTrade> {
  private static final long serialVersionUID = 1L;

  private final KlineInterval interval;
  private transient Counter lateTrades;
  private transient Counter lateQuotes;

  public TagLateTrades(KlineInterval interval) {
    this.interval = interval;
  }

  @Override
  public void open(OpenContext openContext) {
    var group = getRuntimeContext().getMetricGroup().addGroup("interval", interval.label());
    lateTrades = group.counter("lateTrades");
    lateQuotes = group.counter("lateQuotes");
  }

  @Override
  public void processElement(MarketEvent event, Context context, Collector<LateTrade> out) {
    if (!event.isTrade()) {
      lateQuotes.inc();
      return;
    }
    TradeEvent trade = event.trade();
    lateTrades.inc();
    long windowStart =
        TimeWindow.getWindowStartWithOffset(trade.tradeTimeMs(), 0, interval.size().toMillis());
    out.collect(
        new LateTrade(trade, interval.label(), windowStart, context.timerService().currentWatermark()));
  }
}
