package io.cryptoanomaly.flink;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.apache.flink.util.TimeUtils;

/**
 * The job's configuration, parsed once from {@code --name value} arguments, validated, immutable.
 * Defaults live in {@link #defaults()} only. A bad value fails at start-up with an
 * {@link IllegalArgumentException} whose message starts with the option name.
 *
 * @param local run on an in-process MiniCluster with the web UI ({@code --local}, a flag)
 * @param outOfOrderness how far behind the newest trade time the watermark trails
 * @param idleness a source split with no records for this long stops holding back the watermark
 * @param allowedLateness how long after a window fired a late trade still updates it (re-fires)
 * @param checkpointDir a URI (file://, s3://, ...) or a local path, made absolute
 * @param parallelism empty = the environment's default
 * @param scorer where windows are scored: the sidecar over gRPC, or the in-JVM stub
 * @param scoringAddress the sidecar's gRPC target, e.g. "localhost:50051"
 * @param scoringDeadline per gRPC attempt
 * @param scoringBudget all attempts for one bundle, backoff included; then the job fails
 * @param bundleSize most windows per scoring call
 * @param bundleAge longest a closed window waits for its bundle (processing time)
 * @param scoringMaxInFlight scoring calls outstanding per subtask while it goes on bundling; 0 = each
 *     call blocks the task thread (docs/decisions/027)
 * @param transactionalIdPrefix stable across restarts: Kafka fences the previous attempt's producers by it
 * @param transactionTimeout Kafka transaction timeout of the exactly-once sinks; must not exceed
 *     the broker's {@code transaction.max.timeout.ms} and must outlast a checkpoint interval
 * @param restartStrategy what Flink does after a failure (e.g. the sidecar's budget spent)
 * @param restartAttempts fixed-delay: restarts before giving up
 * @param restoreFrom a retained checkpoint or savepoint to start from ({@code --restore-from}, a
 *     URI or a local path made absolute); empty = a fresh start (offsets per --starting-offsets)
 * @param bounded read {@code raw-trades} only up to the offsets that are latest when the job starts,
 *     then finish ({@code --bounded}, a flag): the end of input fires every window, the scoring
 *     bundle is flushed, the final checkpoint commits the results and the job ends. For benchmarks
 *     and replays of a finite input.
 * @param bookTickerTopic the {@code book-ticker} input (protobuf BookTicker, key = symbol)
 * @param bookTicker read {@code bookTickerTopic} and summarise each window's quotes for the
 *     sidecar ({@code --book-ticker on|off}, default on); off = the trade-only job
 */
public record JobConfig(
    boolean local,
    String bootstrapServers,
    String groupId,
    String rawTradesTopic,
    String kline10sTopic,
    String kline1mTopic,
    String deadLetterTopic,
    String lateTradesTopic,
    StartingOffsets startingOffsets,
    Duration outOfOrderness,
    Duration idleness,
    Duration allowedLateness,
    Duration checkpointInterval,
    String checkpointDir,
    int webUiPort,
    Optional<Integer> parallelism,
    ScorerKind scorer,
    String scoringAddress,
    Duration scoringDeadline,
    Duration scoringBudget,
    int bundleSize,
    Duration bundleAge,
    int scoringMaxInFlight,
    String alertsTopic,
    String scoredWindowsTopic,
    String transactionalIdPrefix,
    Duration transactionTimeout,
    RestartStrategy restartStrategy,
    Duration restartDelay,
    Duration restartMaxDelay,
    int restartAttempts,
    Optional<String> restoreFrom,
    boolean bounded,
    String bookTickerTopic,
    boolean bookTicker) {

  /** Which {@link io.cryptoanomaly.flink.scoring.Scorer} the scoring operator uses. */
  public enum ScorerKind {
    /** The udf-server sidecar over gRPC. */
    GRPC,
    /** {@link io.cryptoanomaly.flink.scoring.StubScorer}, in the JVM: tests and the benchmark's ceiling. */
    STUB
  }

  /** Flink's {@code restart-strategy.type}. */
  public enum RestartStrategy {
    /** Waits restart-delay, doubling up to restart-max-delay; never gives up. */
    EXPONENTIAL_DELAY("exponential-delay"),
    /** Waits restart-delay between restarts, gives up after restart-attempts. */
    FIXED_DELAY("fixed-delay"),
    /** The first failure ends the job. */
    NONE("none");

    private final String flinkName;

    RestartStrategy(String flinkName) {
      this.flinkName = flinkName;
    }

    /** The value of {@code restart-strategy.type}. */
    public String flinkName() {
      return flinkName;
    }
  }

  /** Where a consumer group without committed offsets starts. */
  public enum StartingOffsets {
    /** Committed offsets of the group; earliest when there are none. */
    COMMITTED,
    EARLIEST,
    LATEST
  }

  private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");
  private static final Duration MIN_CHECKPOINT_INTERVAL = Duration.ofMillis(100);
  private static final int MAX_BUNDLE_SIZE = 100_000;
  static final int DEFAULT_BUNDLE_SIZE = 100;
  /** docs/decisions/027: on the 2-core benchmark machine calls in flight raised p99 and added no throughput. */
  static final int DEFAULT_MAX_IN_FLIGHT = 0;
  private static final int MAX_IN_FLIGHT = io.cryptoanomaly.flink.functions.RemoteScoringOperator.BundleSettings.MAX_IN_FLIGHT;

  public JobConfig {
    requireTopic("--raw-trades-topic", rawTradesTopic);
    requireTopic("--kline-10s-topic", kline10sTopic);
    requireTopic("--kline-1m-topic", kline1mTopic);
    requireTopic("--dead-letter-topic", deadLetterTopic);
    requireTopic("--late-trades-topic", lateTradesTopic);
    require(!bootstrapServers.isBlank(), "--bootstrap-servers", "must not be empty");
    require(!groupId.isBlank(), "--group-id", "must not be empty");
    require(!outOfOrderness.isNegative(), "--out-of-orderness", "must not be negative, got " + outOfOrderness);
    require(!idleness.isNegative() && !idleness.isZero(), "--idleness", "must be positive, got " + idleness);
    require(!allowedLateness.isNegative(), "--allowed-lateness", "must not be negative, got " + allowedLateness);
    require(
        checkpointInterval.compareTo(MIN_CHECKPOINT_INTERVAL) >= 0,
        "--checkpoint-interval",
        "must be at least " + MIN_CHECKPOINT_INTERVAL.toMillis() + "ms, got " + checkpointInterval);
    require(!checkpointDir.isBlank(), "--checkpoint-dir", "must not be empty");
    require(webUiPort >= 0 && webUiPort <= 65535, "--web-ui-port", "must be 0..65535, got " + webUiPort);
    parallelism.ifPresent(p -> require(p >= 1, "--parallelism", "must be at least 1, got " + p));
    requireTopic("--alerts-topic", alertsTopic);
    requireTopic("--scored-windows-topic", scoredWindowsTopic);
    require(!scoringAddress.isBlank(), "--scoring-address", "must not be empty");
    requirePositive("--scoring-deadline", scoringDeadline);
    require(
        scoringBudget.compareTo(scoringDeadline) >= 0,
        "--scoring-budget",
        "must be at least --scoring-deadline (" + scoringDeadline + "), got " + scoringBudget);
    require(
        bundleSize >= 1 && bundleSize <= MAX_BUNDLE_SIZE,
        "--bundle-size",
        "must be 1.." + MAX_BUNDLE_SIZE + ", got " + bundleSize);
    require(bundleAge.toMillis() >= 1, "--bundle-age", "must be at least 1ms, got " + bundleAge);
    require(
        scoringMaxInFlight >= 0 && scoringMaxInFlight <= MAX_IN_FLIGHT,
        "--scoring-max-in-flight",
        "must be 0.." + MAX_IN_FLIGHT + ", got " + scoringMaxInFlight);
    require(!transactionalIdPrefix.isBlank(), "--transactional-id-prefix", "must not be empty");
    // Open transactions span a checkpoint interval (they commit when the checkpoint completes).
    require(
        transactionTimeout.compareTo(checkpointInterval) > 0,
        "--transaction-timeout",
        "must exceed --checkpoint-interval (" + checkpointInterval + "), got " + transactionTimeout);
    requirePositive("--restart-delay", restartDelay);
    require(
        restartMaxDelay.compareTo(restartDelay) >= 0,
        "--restart-max-delay",
        "must be at least --restart-delay (" + restartDelay + "), got " + restartMaxDelay);
    require(restartAttempts >= 1, "--restart-attempts", "must be at least 1, got " + restartAttempts);
    restoreFrom.ifPresent(path -> require(!path.isBlank(), "--restore-from", "must not be empty"));
    requireTopic("--book-ticker-topic", bookTickerTopic);
  }

  /** Every default in one place. */
  public static JobConfig defaults() {
    return new JobConfig(
        false,
        "localhost:9092",
        "crypto-anomaly-flink-job",
        "raw-trades",
        "kline-10s",
        "kline-1m",
        "dead-letter",
        "late-trades",
        StartingOffsets.COMMITTED,
        Duration.ofSeconds(2),
        Duration.ofSeconds(30),
        Duration.ZERO,
        Duration.ofSeconds(10),
        Path.of("var", "flink-checkpoints").toAbsolutePath().toUri().toString(),
        8081,
        Optional.empty(),
        ScorerKind.GRPC,
        "localhost:50051",
        Duration.ofSeconds(5),
        Duration.ofSeconds(60),
        DEFAULT_BUNDLE_SIZE,
        Duration.ofMillis(500),
        DEFAULT_MAX_IN_FLIGHT,
        "alerts",
        "scored-windows",
        "crypto-anomaly-scoring",
        Duration.ofMinutes(15),
        RestartStrategy.EXPONENTIAL_DELAY,
        Duration.ofSeconds(1),
        Duration.ofMinutes(1),
        10,
        Optional.empty(),
        false,
        "book-ticker",
        true);
  }

  /**
   * Parses {@code --name value} pairs (and the {@code --local} and {@code --bounded} flags) over
   * {@link #defaults()}.
   *
   * @throws IllegalArgumentException naming the option for an unknown option, a missing or bad value
   */
  public static JobConfig parse(String... args) {
    Map<String, String> values = new LinkedHashMap<>();
    boolean local = false;
    boolean bounded = false;
    for (int i = 0; i < args.length; i++) {
      String name = args[i];
      if (name.equals("--local")) {
        local = true;
        continue;
      }
      if (name.equals("--bounded")) {
        bounded = true;
        continue;
      }
      if (!OPTIONS.contains(name)) {
        throw new IllegalArgumentException(
            name + ": unknown option; known: --local, --bounded, " + String.join(", ", OPTIONS));
      }
      if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
        throw new IllegalArgumentException(name + ": missing value");
      }
      values.put(name, args[++i]);
    }
    JobConfig d = defaults();
    return new JobConfig(
        local,
        values.getOrDefault("--bootstrap-servers", d.bootstrapServers()),
        values.getOrDefault("--group-id", d.groupId()),
        values.getOrDefault("--raw-trades-topic", d.rawTradesTopic()),
        values.getOrDefault("--kline-10s-topic", d.kline10sTopic()),
        values.getOrDefault("--kline-1m-topic", d.kline1mTopic()),
        values.getOrDefault("--dead-letter-topic", d.deadLetterTopic()),
        values.getOrDefault("--late-trades-topic", d.lateTradesTopic()),
        get(values, "--starting-offsets", JobConfig::startingOffsets, d.startingOffsets()),
        get(values, "--out-of-orderness", JobConfig::duration, d.outOfOrderness()),
        get(values, "--idleness", JobConfig::duration, d.idleness()),
        get(values, "--allowed-lateness", JobConfig::duration, d.allowedLateness()),
        get(values, "--checkpoint-interval", JobConfig::duration, d.checkpointInterval()),
        get(values, "--checkpoint-dir", JobConfig::checkpointUri, d.checkpointDir()),
        get(values, "--web-ui-port", Integer::parseInt, d.webUiPort()),
        values.containsKey("--parallelism")
            ? Optional.of(get(values, "--parallelism", Integer::parseInt, 0))
            : d.parallelism(),
        get(values, "--scorer", text -> enumValue(ScorerKind.class, text, "grpc or stub"), d.scorer()),
        values.getOrDefault("--scoring-address", d.scoringAddress()),
        get(values, "--scoring-deadline", JobConfig::duration, d.scoringDeadline()),
        get(values, "--scoring-budget", JobConfig::duration, d.scoringBudget()),
        get(values, "--bundle-size", Integer::parseInt, d.bundleSize()),
        get(values, "--bundle-age", JobConfig::duration, d.bundleAge()),
        get(values, "--scoring-max-in-flight", Integer::parseInt, d.scoringMaxInFlight()),
        values.getOrDefault("--alerts-topic", d.alertsTopic()),
        values.getOrDefault("--scored-windows-topic", d.scoredWindowsTopic()),
        values.getOrDefault("--transactional-id-prefix", d.transactionalIdPrefix()),
        get(values, "--transaction-timeout", JobConfig::duration, d.transactionTimeout()),
        get(
            values,
            "--restart-strategy",
            text -> enumValue(RestartStrategy.class, text, "exponential-delay, fixed-delay or none"),
            d.restartStrategy()),
        get(values, "--restart-delay", JobConfig::duration, d.restartDelay()),
        get(values, "--restart-max-delay", JobConfig::duration, d.restartMaxDelay()),
        get(values, "--restart-attempts", Integer::parseInt, d.restartAttempts()),
        values.containsKey("--restore-from")
            ? Optional.of(get(values, "--restore-from", JobConfig::checkpointUri, ""))
            : d.restoreFrom(),
        bounded,
        values.getOrDefault("--book-ticker-topic", d.bookTickerTopic()),
        get(values, "--book-ticker", JobConfig::onOff, d.bookTicker()));
  }

  private static final java.util.List<String> OPTIONS =
      java.util.List.of(
          "--bootstrap-servers",
          "--group-id",
          "--raw-trades-topic",
          "--kline-10s-topic",
          "--kline-1m-topic",
          "--dead-letter-topic",
          "--late-trades-topic",
          "--starting-offsets",
          "--out-of-orderness",
          "--idleness",
          "--allowed-lateness",
          "--checkpoint-interval",
          "--checkpoint-dir",
          "--web-ui-port",
          "--parallelism",
          "--scorer",
          "--scoring-address",
          "--scoring-deadline",
          "--scoring-budget",
          "--bundle-size",
          "--bundle-age",
          "--scoring-max-in-flight",
          "--alerts-topic",
          "--scored-windows-topic",
          "--transactional-id-prefix",
          "--transaction-timeout",
          "--restart-strategy",
          "--restart-delay",
          "--restart-max-delay",
          "--restart-attempts",
          "--restore-from",
          "--book-ticker-topic",
          "--book-ticker");

  private static <T> T get(Map<String, String> values, String name, Function<String, T> parse, T fallback) {
    String text = values.get(name);
    if (text == null) {
      return fallback;
    }
    try {
      return parse.apply(text);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(name + ": cannot parse \"" + text + "\": " + e.getMessage(), e);
    }
  }

  private static Duration duration(String text) {
    // Flink's own syntax: "2s", "500ms", "1min", "30 s".
    return TimeUtils.parseDuration(text);
  }

  private static boolean onOff(String text) {
    return switch (text.toLowerCase(Locale.ROOT)) {
      case "on", "true" -> true;
      case "off", "false" -> false;
      default -> throw new IllegalArgumentException("expected on or off");
    };
  }

  private static StartingOffsets startingOffsets(String text) {
    try {
      return StartingOffsets.valueOf(text.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("expected committed, earliest or latest");
    }
  }

  /** "exponential-delay" -> EXPONENTIAL_DELAY. */
  private static <E extends Enum<E>> E enumValue(Class<E> type, String text, String expected) {
    try {
      return Enum.valueOf(type, text.toUpperCase(Locale.ROOT).replace('-', '_'));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("expected " + expected);
    }
  }

  private static String checkpointUri(String text) {
    URI uri = URI.create(text);
    if (uri.getScheme() != null && uri.getScheme().length() > 1) {
      return uri.toString();
    }
    // A plain path (also C:\ style, whose one-letter "scheme" is a drive).
    return Path.of(text).toAbsolutePath().toUri().toString();
  }

  private static void requireTopic(String name, String topic) {
    require(TOPIC.matcher(topic).matches(), name, "not a valid Kafka topic name: \"" + topic + "\"");
  }

  private static void requirePositive(String name, Duration value) {
    require(!value.isNegative() && !value.isZero(), name, "must be positive, got " + value);
  }

  private static void require(boolean ok, String name, String problem) {
    if (!ok) {
      throw new IllegalArgumentException(name + ": " + problem);
    }
  }
}
