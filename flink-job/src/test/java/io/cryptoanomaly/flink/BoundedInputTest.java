package io.cryptoanomaly.flink;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MetricOptions;
import org.junit.jupiter.api.Test;

/** {@code --bounded} (a finite raw-trades input for benchmarks and replays) and extra Flink settings. */
class BoundedInputTest {

  @Test
  void readsRawTradesUnboundedByDefault() {
    JobConfig config = JobConfig.parse();
    assertThat(config.bounded()).isFalse();
    assertThat(AnomalyJob.kafkaSource(config).getBoundedness()).isEqualTo(Boundedness.CONTINUOUS_UNBOUNDED);
  }

  @Test
  void theBoundedFlagStopsTheSourceAtTheEndOffsetsOfTheStart() {
    JobConfig config = JobConfig.parse("--bounded", "--starting-offsets", "earliest");
    assertThat(config.bounded()).isTrue();
    assertThat(config.startingOffsets()).isEqualTo(JobConfig.StartingOffsets.EARLIEST);
    assertThat(AnomalyJob.kafkaSource(config).getBoundedness()).isEqualTo(Boundedness.BOUNDED);
  }

  @Test
  void theBoundedFlagTakesNoValueAndMixesWithOtherOptions() {
    JobConfig config = JobConfig.parse("--local", "--bounded", "--bundle-size", "100");
    assertThat(config.local()).isTrue();
    assertThat(config.bounded()).isTrue();
    assertThat(config.bundleSize()).isEqualTo(100);
  }

  @Test
  void addsExtraFlinkSettingsToTheEnvironment() {
    Configuration extra = new Configuration();
    extra.setString("metrics.reporter.bench.factory.class", "x.Factory");
    extra.set(MetricOptions.LATENCY_INTERVAL, java.time.Duration.ofSeconds(3));
    var env = AnomalyJob.environment(JobConfig.parse(), extra);
    assertThat(env.getConfiguration().toMap()).containsEntry("metrics.reporter.bench.factory.class", "x.Factory");
    assertThat(env.getConfiguration().get(MetricOptions.LATENCY_INTERVAL)).isEqualTo(java.time.Duration.ofSeconds(3));
  }
}
