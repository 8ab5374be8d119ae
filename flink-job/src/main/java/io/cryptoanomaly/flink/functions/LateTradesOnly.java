package io.cryptoanomaly.flink.functions;

import io.cryptoanomaly.flink.records.KlineInterval;
import io.cryptoanomaly.flink.records.MarketEvent;
import io.cryptoanomaly.flink.records.TradeEvent;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * The window operator's late side output carries trades and quotes; late trades continue to
 * {@link TagLateTrades} and the {@code late-trades} topic, late quotes are only counted
 * ({@code lateQuotes} in the {@code interval} metric group): a quote that missed its window has
 * no topic of its own and changes no kline.
 */
public class LateTradesOnly extends ProcessFunction<MarketEvent, TradeEvent> {
  private static final long serialVersionUID = 1L;

  private final KlineInterval interval;
  private transient Counter lateQuotes;

  public LateTradesOnly(KlineInterval interval) {
    this.interval = interval;
  }

  @Override
  public void open(OpenContext openContext) {
    lateQuotes = getRuntimeContext().getMetricGroup().addGroup("interval", interval.label()).counter("lateQuotes");
  }

  @Override
  public void processElement(MarketEvent event, Context context, Collector<TradeEvent> out) {
    if (event.isTrade()) {
      out.collect(event.trade());
    } else {
      lateQuotes.inc();
    }
  }
}
