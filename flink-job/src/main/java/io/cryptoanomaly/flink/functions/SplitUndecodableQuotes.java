package io.cryptoanomaly.flink.functions;

import io.cryptoanomaly.flink.records.BookTickerEvent;
import io.cryptoanomaly.flink.records.QuoteOrDeadLetter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link SplitUndecodable} for the {@code book-ticker} source: quotes continue, undecodable records
 * go to the same {@link SplitUndecodable#DEAD_LETTERS} side output and increment
 * {@code undecodableQuotes}. Logs the first one and then every 1000th.
 */
public class SplitUndecodableQuotes extends ProcessFunction<QuoteOrDeadLetter, BookTickerEvent> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(SplitUndecodableQuotes.class);
  private static final long LOG_EVERY = 1000;

  private transient Counter undecodable;

  @Override
  public void open(OpenContext openContext) {
    undecodable = getRuntimeContext().getMetricGroup().counter("undecodableQuotes");
  }

  @Override
  public void processElement(QuoteOrDeadLetter record, Context context, Collector<BookTickerEvent> out) {
    if (record.isQuote()) {
      out.collect(record.quote());
      return;
    }
    undecodable.inc();
    if (undecodable.getCount() % LOG_EVERY == 1) {
      LOG.warn("Undecodable book-ticker record #{} sent to the dead-letter topic: {}", undecodable.getCount(), record.deadLetter().detail());
    }
    context.output(SplitUndecodable.DEAD_LETTERS, record.deadLetter());
  }
}
