package io.cryptoanomaly.flink.functions;

import io.cryptoanomaly.flink.records.TradeBuffer;
import io.cryptoanomaly.flink.records.TradeColumns;
import io.cryptoanomaly.flink.records.TradeEvent;
import org.apache.flink.api.common.functions.AggregateFunction;

/**
 * Per trade: append five primitives to the window's columnar buffer, nothing else. All aggregates
 * are computed once per window from the columns when it fires ({@link KlineCalculator}), in one
 * pass over primitives, so the per-trade path stays allocation-free (amortised).
 */
public class TradeBufferAggregate implements AggregateFunction<TradeEvent, TradeBuffer, TradeColumns> {
  private static final long serialVersionUID = 1L;

  @Override
  public TradeBuffer createAccumulator() {
    return new TradeBuffer();
  }

  @Override
  public TradeBuffer add(TradeEvent trade, TradeBuffer buffer) {
    buffer.append(trade);
    return buffer;
  }

  @Override
  public TradeColumns getResult(TradeBuffer buffer) {
    return buffer.toSortedColumns();
  }

  @Override
  public TradeBuffer merge(TradeBuffer a, TradeBuffer b) {
    a.appendAll(b);
    return a;
  }
}
