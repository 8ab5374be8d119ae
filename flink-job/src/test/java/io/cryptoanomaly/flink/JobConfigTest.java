package io.cryptoanomaly.flink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class JobConfigTest {
  private static final Duration TWO_SECONDS = Duration.ofSeconds(2);
  private static final Duration THIRTY_SECONDS = Duration.ofSeconds(30);

  @Test
  void usesTheDocumentedDefaultsWithoutArguments() {
    JobConfig config = JobConfig.parse();
    assertThat(config.local()).isFalse();
    assertThat(config.rawTradesTopic()).isEqualTo("raw-trades");
    assertThat(config.kline10sTopic()).isEqualTo("kline-10s");
    assertThat(config.kline1mTopic()).isEqualTo("kline-1m");
    assertThat(config.outOfOrderness()).isEqualTo(TWO_SECONDS);
    assertThat(config.idleness()).isEqualTo(THIRTY_SECONDS);
    assertThat(config.allowedLateness()).isZero();
    assertThat(config.checkpointDir()).startsWith("file:/").endsWith("var/flink-checkpoints");
    assertThat(config.webUiPort()).isEqualTo(8081);
    assertThat(config.parallelism()).isEmpty();
  }

  @Test
  void parsesEveryOptionAndTheLocalFlag() {
    JobConfig config =
        JobConfig.parse(
            "--local",
            "--bootstrap-servers", "127.0.0.1:19092",
            "--group-id", "g1",
            "--raw-trades-topic", "t-in",
            "--out-of-orderness", "500ms",
            "--idleness", "1min",
            "--allowed-lateness", "5s",
            "--checkpoint-interval", "30s",
            "--checkpoint-dir", "s3://bucket/checkpoints",
            "--starting-offsets", "earliest",
            "--web-ui-port", "0",
            "--parallelism", "2");
    assertThat(config.local()).isTrue();
    assertThat(config.bootstrapServers()).isEqualTo("127.0.0.1:19092");
    assertThat(config.groupId()).isEqualTo("g1");
    assertThat(config.rawTradesTopic()).isEqualTo("t-in");
    assertThat(config.outOfOrderness()).isEqualTo(Duration.ofMillis(500));
    assertThat(config.idleness()).isEqualTo(Duration.ofMinutes(1));
    assertThat(config.allowedLateness()).isEqualTo(Duration.ofSeconds(5));
    assertThat(config.checkpointInterval()).isEqualTo(THIRTY_SECONDS);
    assertThat(config.checkpointDir()).isEqualTo("s3://bucket/checkpoints");
    assertThat(config.startingOffsets()).isEqualTo(JobConfig.StartingOffsets.EARLIEST);
    assertThat(config.webUiPort()).isZero();
    assertThat(config.parallelism()).isEqualTo(Optional.of(2));
  }

  @Test
  void turnsARelativeCheckpointPathIntoAnAbsoluteFileUri() {
    assertThat(JobConfig.parse("--checkpoint-dir", "tmp/cp").checkpointDir()).startsWith("file:/").endsWith("/tmp/cp");
  }

  @Test
  void rejectsAnUnparsableDurationNamingTheOption() {
    assertThatThrownBy(() -> JobConfig.parse("--out-of-orderness", "soon"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("--out-of-orderness: cannot parse \"soon\"");
  }

  @Test
  void rejectsAZeroIdlenessNamingTheOption() {
    assertThatThrownBy(() -> JobConfig.parse("--idleness", "0s")).hasMessageStartingWith("--idleness: must be positive");
  }

  @Test
  void rejectsAnInvalidTopicNameNamingTheOption() {
    assertThatThrownBy(() -> JobConfig.parse("--kline-1m-topic", "bad topic"))
        .hasMessageStartingWith("--kline-1m-topic: not a valid Kafka topic name");
  }

  @Test
  void rejectsATooShortCheckpointIntervalNamingTheOption() {
    assertThatThrownBy(() -> JobConfig.parse("--checkpoint-interval", "10ms"))
        .hasMessageStartingWith("--checkpoint-interval: must be at least 100ms");
  }

  @Test
  void rejectsAnUnknownOptionAndAMissingValue() {
    assertThatThrownBy(() -> JobConfig.parse("--windw", "10s")).hasMessageStartingWith("--windw: unknown option");
    assertThatThrownBy(() -> JobConfig.parse("--group-id")).hasMessageStartingWith("--group-id: missing value");
    assertThatThrownBy(() -> JobConfig.parse("--parallelism", "0")).hasMessageStartingWith("--parallelism: must be at least 1");
    assertThatThrownBy(() -> JobConfig.parse("--starting-offsets", "newest"))
        .hasMessageStartingWith("--starting-offsets: cannot parse \"newest\": expected committed, earliest or latest");
  }
}
