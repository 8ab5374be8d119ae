package io.cryptoanomaly.flink.functions;

import io.cryptoanomaly.flink.records.DeadLetterRecord;
import io.cryptoanomaly.flink.records.TradeEvent;
import io.cryptoanomaly.flink.records.TradeOrDeadLetter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Splits decoded records: trades continue, undecodable records go to {@link #DEAD_LETTERS} and
 * increment the {@code undecodableRecords} counter. Logs the first one and then every
 * {@value #LOG_EVERY}th, so a flood of garbage cannot flood the log.
 */
public class SplitUndecodable extends ProcessFunction<TradeOrDeadLetter, TradeEvent> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(SplitUndecodable.class);
  private static final long LOG_EVERY = 1000;

  public static final OutputTag<DeadLetterRecord> DEAD_LETTERS =
      new OutputTag<>("dead-letters", TypeInformation.of(DeadLetterRecord.class));

  private transient Counter undecodable;

  @Override
  public void open(OpenContext openContext) {
    undecodable = getRuntimeContext().getMetricGroup().counter("undecodableRecords");
  }

  @Override
  public void processElement(TradeOrDeadLetter record, Context context, Collector<TradeEvent> out) {
    if (record.isTrade()) {
      out.collect(record.trade());
      return;
    }
    undecodable.inc();
    if (undecodable.getCount() % LOG_EVERY == 1) {
      LOG.warn("Undecodable record #{} sent to the dead-letter topic: {}", undecodable.getCount(), record.deadLetter().detail());
    }
    context.output(DEAD_LETTERS, record.deadLetter());
  }
}
