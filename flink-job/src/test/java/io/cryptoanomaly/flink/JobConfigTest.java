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
  void startsFreshUnlessRestoreFromNamesACheckpoint() {
    assertThat(JobConfig.parse().restoreFrom()).isEmpty();
    assertThat(JobConfig.parse("--restore-from", "s3://bucket/cp/abc/chk-7").restoreFrom()).contains("s3://bucket/cp/abc/chk-7");
    assertThat(JobConfig.parse("--restore-from", "var/cp/abc/chk-3").restoreFrom().orElseThrow())
        .startsWith("file:/")
        .endsWith("/var/cp/abc/chk-3");
  }

  @Test
  void rejectsABlankRestorePathNamingTheOption() {
    assertThatThrownBy(() -> JobConfig.parse("--restore-from", " ")).hasMessageStartingWith("--restore-from");
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

  @Test
  void parsesTheScoringAndExactlyOnceOptions() {
    JobConfig config =
        JobConfig.parse(
            "--scorer", "stub",
            "--scoring-address", "127.0.0.1:50052",
            "--scoring-deadline", "250ms",
            "--scoring-budget", "10s",
            "--bundle-size", "64",
            "--bundle-age", "50ms",
            "--scoring-max-in-flight", "4",
            "--alerts-topic", "a1",
            "--scored-windows-topic", "s1",
            "--transactional-id-prefix", "e2e-1",
            "--transaction-timeout", "5min",
            "--restart-strategy", "fixed-delay",
            "--restart-delay", "2s",
            "--restart-attempts", "3");
    assertThat(config.scorer()).isEqualTo(JobConfig.ScorerKind.STUB);
    assertThat(config.scoringAddress()).isEqualTo("127.0.0.1:50052");
    assertThat(config.scoringDeadline()).isEqualTo(Duration.ofMillis(250));
    assertThat(config.scoringBudget()).isEqualTo(Duration.ofSeconds(10));
    assertThat(config.bundleSize()).isEqualTo(64);
    assertThat(config.bundleAge()).isEqualTo(Duration.ofMillis(50));
    assertThat(config.scoringMaxInFlight()).isEqualTo(4);
    assertThat(config.alertsTopic()).isEqualTo("a1");
    assertThat(config.scoredWindowsTopic()).isEqualTo("s1");
    assertThat(config.transactionalIdPrefix()).isEqualTo("e2e-1");
    assertThat(config.transactionTimeout()).isEqualTo(Duration.ofMinutes(5));
    assertThat(config.restartStrategy()).isEqualTo(JobConfig.RestartStrategy.FIXED_DELAY);
    assertThat(config.restartDelay()).isEqualTo(TWO_SECONDS);
    assertThat(config.restartAttempts()).isEqualTo(3);
  }

  @Test
  void defaultsToTheSidecarWithATransactionTimeoutBelowABrokersDefaultMaximum() {
    JobConfig config = JobConfig.parse();
    assertThat(config.scorer()).isEqualTo(JobConfig.ScorerKind.GRPC);
    assertThat(config.scoringAddress()).isEqualTo("localhost:50051");
    assertThat(config.alertsTopic()).isEqualTo("alerts");
    assertThat(config.scoredWindowsTopic()).isEqualTo("scored-windows");
    // A broker's default transaction.max.timeout.ms is 15 min; the sink's own default is 1 h.
    assertThat(config.transactionTimeout()).isLessThanOrEqualTo(Duration.ofMinutes(15));
    assertThat(config.restartStrategy()).isEqualTo(JobConfig.RestartStrategy.EXPONENTIAL_DELAY);
    assertThat(config.scoringMaxInFlight()).isZero();
    assertThat(config.bundleSize()).isEqualTo(100);
  }

  @Test
  void rejectsBadScoringOptionsNamingTheOption() {
    assertThatThrownBy(() -> JobConfig.parse("--scorer", "remote"))
        .hasMessageStartingWith("--scorer: cannot parse \"remote\": expected grpc or stub");
    assertThatThrownBy(() -> JobConfig.parse("--scoring-deadline", "0s")).hasMessageStartingWith("--scoring-deadline: must be positive");
    assertThatThrownBy(() -> JobConfig.parse("--scoring-deadline", "10s", "--scoring-budget", "5s"))
        .hasMessageStartingWith("--scoring-budget: must be at least --scoring-deadline");
    assertThatThrownBy(() -> JobConfig.parse("--bundle-size", "0")).hasMessageStartingWith("--bundle-size: must be 1..");
    assertThatThrownBy(() -> JobConfig.parse("--bundle-age", "0ms")).hasMessageStartingWith("--bundle-age: must be at least 1ms");
    assertThatThrownBy(() -> JobConfig.parse("--scoring-max-in-flight", "-1")).hasMessageStartingWith("--scoring-max-in-flight: must be 0..64");
    assertThatThrownBy(() -> JobConfig.parse("--scoring-max-in-flight", "65")).hasMessageStartingWith("--scoring-max-in-flight: must be 0..64");
    assertThatThrownBy(() -> JobConfig.parse("--scoring-address", " ")).hasMessageStartingWith("--scoring-address: must not be empty");
    assertThatThrownBy(() -> JobConfig.parse("--checkpoint-interval", "1min", "--transaction-timeout", "30s"))
        .hasMessageStartingWith("--transaction-timeout: must exceed --checkpoint-interval");
    assertThatThrownBy(() -> JobConfig.parse("--restart-strategy", "sometimes"))
        .hasMessageStartingWith("--restart-strategy: cannot parse \"sometimes\": expected exponential-delay, fixed-delay or none");
  }

  @Test
  void readsBookTickersByDefaultAndParsesTheBookTickerOptions() {
    assertThat(JobConfig.parse().bookTicker()).isTrue();
    assertThat(JobConfig.parse().bookTickerTopic()).isEqualTo("book-ticker");
    JobConfig off = JobConfig.parse("--book-ticker", "off", "--book-ticker-topic", "quotes-1");
    assertThat(off.bookTicker()).isFalse();
    assertThat(off.bookTickerTopic()).isEqualTo("quotes-1");
    assertThat(JobConfig.parse("--book-ticker", "on").bookTicker()).isTrue();
    assertThatThrownBy(() -> JobConfig.parse("--book-ticker", "maybe")).hasMessageStartingWith("--book-ticker: cannot parse");
    assertThatThrownBy(() -> JobConfig.parse("--book-ticker-topic", "bad topic")).hasMessageStartingWith("--book-ticker-topic");
  }
}
