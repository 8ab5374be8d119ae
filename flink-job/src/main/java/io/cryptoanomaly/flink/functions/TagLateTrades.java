package io.cryptoanomaly.flink.functions;

import io.cryptoanomaly.flink.records.KlineInterval;
import io.cryptoanomaly.flink.records.LateTrade;
import io.cryptoanomaly.flink.records.TradeEvent;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/**
 * Labels the trades a window operator's late side output received with their interval and window,
 * and counts them ({@code lateTrades} in the {@code interval} metric group). Flink's own
 * {@code numLateRecordsDropped} stays at 0 when a late side output is set, hence this counter.
 */
public class TagLateTrades extends ProcessFunction<TradeEvent, LateTrade> {
  private static final long serialVersionUID = 1L;

  private final KlineInterval interval;
  private transient Counter lateTrades;

  public TagLateTrades(KlineInterval interval) {
    this.interval = interval;
  }

  @Override
  public void open(OpenContext openContext) {
    lateTrades =
        getRuntimeContext().getMetricGroup().addGroup("interval", interval.label()).counter("lateTrades");
  }

  @Override
  public void processElement(TradeEvent trade, Context context, Collector<LateTrade> out) {
    lateTrades.inc();
    long windowStart =
        TimeWindow.getWindowStartWithOffset(trade.tradeTimeMs(), 0, interval.size().toMillis());
    out.collect(
        new LateTrade(trade, interval.label(), windowStart, context.timerService().currentWatermark()));
  }
}
