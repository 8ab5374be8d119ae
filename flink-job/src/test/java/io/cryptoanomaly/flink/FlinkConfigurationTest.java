package io.cryptoanomaly.flink;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Cluster settings come from $FLINK_CONF_DIR/config.yaml, as the Kubernetes operator writes it. */
class FlinkConfigurationTest {
  @Test
  void anOperatorStyleConfigYamlWinsOverTheJobsDefaults(@TempDir Path dir) throws Exception {
    Files.writeString(
        dir.resolve("config.yaml"),
        String.join(
            "\n",
            "state.backend.type: rocksdb",
            "execution.checkpointing.dir: s3://flink-checkpoints/checkpoints",
            "execution.checkpointing.interval: 7 s",
            "s3.endpoint: http://127.0.0.1:9000",
            "s3.path.style.access: true",
            ""));
    Configuration settings = AnomalyJob.flinkConfiguration(dir.toString());
    StreamExecutionEnvironment env = AnomalyJob.environment(JobConfig.defaults(), settings);

    assertThat(env.getConfiguration().get(StateBackendOptions.STATE_BACKEND)).isEqualTo("rocksdb");
    assertThat(env.getConfiguration().get(CheckpointingOptions.CHECKPOINTS_DIRECTORY)).isEqualTo("s3://flink-checkpoints/checkpoints");
    assertThat(env.getConfiguration().get(CheckpointingOptions.CHECKPOINTING_INTERVAL)).isEqualTo(Duration.ofSeconds(7));
    assertThat(env.getConfiguration().toMap()).containsEntry("s3.endpoint", "http://127.0.0.1:9000");
  }

  @Test
  void withoutFlinkConfDirTheJobsDefaultsStand() {
    assertThat(AnomalyJob.flinkConfiguration(null).toMap()).isEmpty();
    assertThat(AnomalyJob.flinkConfiguration(" ").toMap()).isEmpty();
  }
}
