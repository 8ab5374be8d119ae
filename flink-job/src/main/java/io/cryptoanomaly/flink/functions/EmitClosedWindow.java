package io.cryptoanomaly.flink.functions;

import io.cryptoanomaly.flink.records.ClosedWindow;
import io.cryptoanomaly.flink.records.KlineBar;
import io.cryptoanomaly.flink.records.KlineInterval;
import io.cryptoanomaly.flink.records.TradeColumns;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/**
 * Turns a fired window's columns into a {@link ClosedWindow} (key, bounds, columns, kline): the
 * single object both the kline sink and the scoring stage consume.
 */
public class EmitClosedWindow extends ProcessWindowFunction<TradeColumns, ClosedWindow, String, TimeWindow> {
  private static final long serialVersionUID = 1L;

  private final KlineInterval interval;
  private transient Counter windowsClosed;

  public EmitClosedWindow(KlineInterval interval) {
    this.interval = interval;
  }

  @Override
  public void open(OpenContext openContext) {
    windowsClosed = getRuntimeContext().getMetricGroup().counter("windowsClosed");
  }

  @Override
  public void process(String symbol, Context context, Iterable<TradeColumns> elements, Collector<ClosedWindow> out) {
    TimeWindow window = context.window();
    TradeColumns trades = elements.iterator().next();
    KlineBar kline =
        KlineCalculator.compute(symbol, interval.label(), window.getStart(), window.getEnd(), trades);
    windowsClosed.inc();
    out.collect(new ClosedWindow(symbol, interval.label(), window.getStart(), window.getEnd(), trades, kline));
  }
}
