package io.cryptoanomaly.flink.functions;

import io.cryptoanomaly.flink.records.BookStats;
import io.cryptoanomaly.flink.records.ClosedWindow;
import io.cryptoanomaly.flink.records.KlineBar;
import io.cryptoanomaly.flink.records.KlineInterval;
import io.cryptoanomaly.flink.records.TradeColumns;
import io.cryptoanomaly.flink.records.WindowContents;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/**
 * Turns a fired window's columns and quote aggregates into a {@link ClosedWindow} (key, bounds,
 * columns, kline, book summary): the single object both the kline sink and the scoring stage
 * consume. A window that received quotes but no trade emits nothing (counted in
 * {@code quoteOnlyWindows}): there is no kline without a trade, and the sidecar does not score
 * trade-less windows (decision 031), so klines and scored windows are exactly those of the
 * trade-only job.
 */
public class EmitClosedWindow extends ProcessWindowFunction<WindowContents, ClosedWindow, String, TimeWindow> {
  private static final long serialVersionUID = 1L;

  private final KlineInterval interval;
  private transient Counter windowsClosed;
  private transient Counter quoteOnlyWindows;

  public EmitClosedWindow(KlineInterval interval) {
    this.interval = interval;
  }

  @Override
  public void open(OpenContext openContext) {
    windowsClosed = getRuntimeContext().getMetricGroup().counter("windowsClosed");
    quoteOnlyWindows = getRuntimeContext().getMetricGroup().counter("quoteOnlyWindows");
  }

  @Override
  public void process(String symbol, Context context, Iterable<WindowContents> elements, Collector<ClosedWindow> out) {
    TimeWindow window = context.window();
    WindowContents contents = elements.iterator().next();
    TradeColumns trades = contents.trades();
    if (trades.size() == 0) {
      quoteOnlyWindows.inc();
      return;
    }
    KlineBar kline =
        KlineCalculator.compute(symbol, interval.label(), window.getStart(), window.getEnd(), trades);
    BookStats book = contents.quotes().finish(window.getStart(), window.getEnd());
    windowsClosed.inc();
    out.collect(new ClosedWindow(symbol, interval.label(), window.getStart(), window.getEnd(), trades, kline, book));
  }
}
