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
    Optional<Integer> parallelism) {

  /** Where a consumer group without committed offsets starts. */
  public enum StartingOffsets {
    /** Committed offsets of the group; earliest when there are none. */
    COMMITTED,
    EARLIEST,
    LATEST
  }

  private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");
  private static final Duration MIN_CHECKPOINT_INTERVAL = Duration.ofMillis(100);

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
        Optional.empty());
  }

  /**
   * Parses {@code --name value} pairs (and the {@code --local} flag) over {@link #defaults()}.
   *
   * @throws IllegalArgumentException naming the option for an unknown option, a missing or bad value
   */
  public static JobConfig parse(String... args) {
    Map<String, String> values = new LinkedHashMap<>();
    boolean local = false;
    for (int i = 0; i < args.length; i++) {
      String name = args[i];
      if (name.equals("--local")) {
        local = true;
        continue;
      }
      if (!OPTIONS.contains(name)) {
        throw new IllegalArgumentException(name + ": unknown option; known: --local, " + String.join(", ", OPTIONS));
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
            : d.parallelism());
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
          "--parallelism");

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

  private static StartingOffsets startingOffsets(String text) {
    try {
      return StartingOffsets.valueOf(text.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("expected committed, earliest or latest");
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

  private static void require(boolean ok, String name, String problem) {
    if (!ok) {
      throw new IllegalArgumentException(name + ": " + problem);
    }
  }
}
