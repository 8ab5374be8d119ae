package io.cryptoanomaly.flink;

import static org.assertj.core.api.Assertions.assertThat;

import io.cryptoanomaly.flink.scoring.GrpcScorer;
import io.cryptoanomaly.flink.scoring.StubScorer;
import java.time.Duration;
import java.util.stream.Collectors;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
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
    AnomalyJob.Pipeline pipeline = AnomalyJob.build(env, config, AnomalyJob.kafkaSource(config), AnomalyJob.kafkaSinks(config));
    AnomalyJob.score(pipeline, config, AnomalyJob.scorerFactory(config), AnomalyJob.kafkaScoringSinks(config));

    assertThat(uids(env))
        .contains(
            "raw-trades-source", "split-undecodable", "window-10s", "window-1m", "kline-10s", "kline-1m",
            "late-trades-10s", "late-trades-1m", "dead-letter-sink", "late-trades-sink",
            "remote-scoring", "market-context", "scored-windows-sink", "anomalies", "alerts-sink");
  }

  @Test
  void wiresTheBookTickerSourceIntoTheSameWindowsWithStableUids() {
    JobConfig config = JobConfig.defaults();
    StreamExecutionEnvironment env = AnomalyJob.environment(config);
    AnomalyJob.Pipeline pipeline =
        AnomalyJob.build(env, config, AnomalyJob.kafkaSource(config), AnomalyJob.kafkaBookTickerSource(config), AnomalyJob.kafkaSinks(config));
    AnomalyJob.score(pipeline, config, AnomalyJob.scorerFactory(config), AnomalyJob.kafkaScoringSinks(config));

    assertThat(uids(env))
        .contains(
            "raw-trades-source", "book-ticker-source", "split-undecodable", "split-undecodable-quotes",
            "trades-as-events", "quotes-as-events", "window-10s", "window-1m", "late-trades-10s", "dead-letter-sink");
  }

  @Test
  void restoresTheStreamGraphFromTheCheckpointNamedByRestoreFrom() {
    JobConfig config = JobConfig.parse("--restore-from", "file:///tmp/cp/job/chk-4");
    StreamExecutionEnvironment env = AnomalyJob.environment(config);
    AnomalyJob.Pipeline pipeline = AnomalyJob.build(env, config, AnomalyJob.kafkaSource(config), AnomalyJob.kafkaSinks(config));
    AnomalyJob.score(pipeline, config, AnomalyJob.scorerFactory(config), AnomalyJob.kafkaScoringSinks(config));

    var restore = env.getStreamGraph().getSavepointRestoreSettings();
    assertThat(restore.restoreSavepoint()).isTrue();
    assertThat(restore.getRestorePath()).isEqualTo("file:///tmp/cp/job/chk-4");
    // No restore path: a fresh start.
    JobConfig fresh = JobConfig.defaults();
    StreamExecutionEnvironment freshEnv = AnomalyJob.environment(fresh);
    AnomalyJob.score(
        AnomalyJob.build(freshEnv, fresh, AnomalyJob.kafkaSource(fresh), AnomalyJob.kafkaSinks(fresh)),
        fresh,
        AnomalyJob.scorerFactory(fresh),
        AnomalyJob.kafkaScoringSinks(fresh));
    assertThat(freshEnv.getStreamGraph().getSavepointRestoreSettings().restoreSavepoint()).isFalse();
  }

  @Test
  void configuresTheRestartStrategyFromTheJobConfig() {
    StreamExecutionEnvironment exponential = AnomalyJob.environment(JobConfig.parse("--restart-delay", "2s", "--restart-max-delay", "30s"));
    assertThat(exponential.getConfiguration().get(RestartStrategyOptions.RESTART_STRATEGY)).isEqualTo("exponential-delay");
    assertThat(exponential.getConfiguration().get(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_INITIAL_BACKOFF))
        .isEqualTo(Duration.ofSeconds(2));
    assertThat(exponential.getConfiguration().get(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_MAX_BACKOFF))
        .isEqualTo(Duration.ofSeconds(30));

    StreamExecutionEnvironment fixed = AnomalyJob.environment(JobConfig.parse("--restart-strategy", "fixed-delay", "--restart-attempts", "4"));
    assertThat(fixed.getConfiguration().get(RestartStrategyOptions.RESTART_STRATEGY)).isEqualTo("fixed-delay");
    assertThat(fixed.getConfiguration().get(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS)).isEqualTo(4);
  }

  @Test
  void scoresWithTheScorerNamedByTheScorerOption() {
    assertThat(AnomalyJob.scorerFactory(JobConfig.parse("--scorer", "stub")).create()).isInstanceOf(StubScorer.class);
    var grpc = AnomalyJob.scorerFactory(JobConfig.parse("--scoring-address", "127.0.0.1:1")).create();
    try {
      assertThat(grpc).isInstanceOf(GrpcScorer.class);
    } finally {
      grpc.close();
    }
  }

  private static java.util.Set<String> uids(StreamExecutionEnvironment env) {
    return env.getStreamGraph().getStreamNodes().stream()
        .map(StreamNode::getTransformationUID)
        .filter(uid -> uid != null)
        .collect(Collectors.toSet());
  }
}
