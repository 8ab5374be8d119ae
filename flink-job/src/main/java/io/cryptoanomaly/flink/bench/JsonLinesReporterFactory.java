package io.cryptoanomaly.flink.bench;

import java.util.Properties;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/** Creates the pipeline benchmark's {@link JsonLinesReporter} (registered in META-INF/services). */
public final class JsonLinesReporterFactory implements MetricReporterFactory {
  @Override
  public MetricReporter createMetricReporter(Properties properties) {
    return new JsonLinesReporter();
  }
}
