package io.cryptoanomaly.flink;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.stream.Collectors;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.junit.jupiter.api.Test;

/** The deployment wiring of {@link AnomalyJob#main}, built but not run (no broker needed). */
class AnomalyJobWiringTest {
  private static final Duration FIVE_SECONDS = Duration.ofSeconds(5);

  @Test
  void configuresCheckpointingFromTheJobConfig() {
    JobConfig config = JobConfig.parse("--checkpoint-dir", "s3://bucket/cp", "--checkpoint-interval", "5s", "--parallelism", "3");
    StreamExecutionEnvironment env = AnomalyJob.environment(config);

    assertThat(env.getConfiguration().get(CheckpointingOptions.CHECKPOINTS_DIRECTORY)).isEqualTo("s3://bucket/cp");
    assertThat(env.getConfiguration().get(CheckpointingOptions.CHECKPOINTING_INTERVAL)).isEqualTo(FIVE_SECONDS);
    assertThat(env.getConfiguration().get(StateBackendOptions.STATE_BACKEND)).isEqualTo("hashmap");
    assertThat(env.getConfiguration().get(PipelineOptions.GENERIC_TYPES)).isFalse();
    assertThat(env.getParallelism()).isEqualTo(3);
  }

  @Test
  void wiresKafkaSourceAndSinksWithAStableUidOnEveryOperator() {
    JobConfig config = JobConfig.defaults();
    StreamExecutionEnvironment env = AnomalyJob.environment(config);
    AnomalyJob.build(env, config, AnomalyJob.kafkaSource(config), AnomalyJob.kafkaSinks(config));

    var uids =
        env.getStreamGraph().getStreamNodes().stream()
            .map(StreamNode::getTransformationUID)
            .filter(uid -> uid != null)
            .collect(Collectors.toSet());
    assertThat(uids)
        .contains(
            "raw-trades-source", "split-undecodable", "window-10s", "window-1m", "kline-10s", "kline-1m",
            "late-trades-10s", "late-trades-1m", "dead-letter-sink", "late-trades-sink");
  }
}
