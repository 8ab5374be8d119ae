package io.cryptoanomaly.flink.functions;

import io.cryptoanomaly.flink.records.MarketEvent;
import io.cryptoanomaly.flink.records.TradeBuffer;
import io.cryptoanomaly.flink.records.WindowContents;
import org.apache.flink.api.common.functions.AggregateFunction;

/**
 * Per trade: append five primitives to the window's columnar buffer, nothing else. Per quote:
 * fold it into the buffer's fixed-size quote aggregates. All trade aggregates are computed once
 * per window from the columns when it fires ({@link KlineCalculator}), in one pass over
 * primitives, so the per-record path stays allocation-free (amortised). Quotes never touch the
 * trade columns, so the kline is the same with or without them.
 */
public class TradeBufferAggregate implements AggregateFunction<MarketEvent, TradeBuffer, WindowContents> {
  private static final long serialVersionUID = 1L;

  @Override
  public TradeBuffer createAccumulator() {
    return new TradeBuffer();
  }

  @Override
  public TradeBuffer add(MarketEvent event, TradeBuffer buffer) {
    if (event.isTrade()) {
      buffer.append(event.trade());
    } else {
      buffer.addQuote(event.quote());
    }
    return buffer;
  }

  @Override
  public WindowContents getResult(TradeBuffer buffer) {
    return new WindowContents(buffer.toSortedColumns(), buffer.quotes.copy());
  }

  @Override
  public TradeBuffer merge(TradeBuffer a, TradeBuffer b) {
    a.appendAll(b);
    return a;
  }
}
