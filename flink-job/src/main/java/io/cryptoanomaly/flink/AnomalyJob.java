package io.cryptoanomaly.flink;

import io.cryptoanomaly.flink.functions.EmitClosedWindow;
import io.cryptoanomaly.flink.functions.MarketContextFunction;
import io.cryptoanomaly.flink.functions.RemoteScoringOperator;
import io.cryptoanomaly.flink.functions.SplitUndecodable;
import io.cryptoanomaly.flink.functions.SplitUndecodableQuotes;
import io.cryptoanomaly.flink.functions.TagLateTrades;
import io.cryptoanomaly.flink.functions.TradeBufferAggregate;
import io.cryptoanomaly.flink.records.BookTickerEvent;
import io.cryptoanomaly.flink.records.ClosedWindow;
import io.cryptoanomaly.flink.records.DeadLetterRecord;
import io.cryptoanomaly.flink.records.KafkaSerdes;
import io.cryptoanomaly.flink.records.KlineBar;
import io.cryptoanomaly.flink.records.KlineInterval;
import io.cryptoanomaly.flink.records.LateTrade;
import io.cryptoanomaly.flink.records.MarketEvent;
import io.cryptoanomaly.flink.records.QuoteOrDeadLetter;
import io.cryptoanomaly.flink.records.ScoredWindow;
import io.cryptoanomaly.flink.records.TradeEvent;
import io.cryptoanomaly.flink.records.TradeOrDeadLetter;
import io.cryptoanomaly.flink.scoring.Backoff;
import io.cryptoanomaly.flink.scoring.BundleCodec;
import io.cryptoanomaly.flink.scoring.GrpcScorer;
import io.cryptoanomaly.flink.scoring.ScorerFactory;
import io.cryptoanomaly.flink.scoring.StubScorer;
import java.time.Duration;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.ConfigConstants;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.plugin.PluginUtils;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.util.OutputTag;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * The streaming core, wired in one place:
 *
 * <pre>
 * source (raw-trades)  ─ watermarks on trade time ──► split ──► dead letters ─► deadLetter sink
 *                                                     │ trades
 * source (book-ticker) ─ watermarks on quote time ──► split ──► dead letters ─► deadLetter sink
 *   (optional, --book-ticker)                         │ quotes
 *                                  union as MarketEvent (trade | quote)
 *                                            keyBy(symbol)
 *                                 ┌──────────────────┴──────────────────┐
 *                        tumbling 10 s window                    tumbling 1 m window
 *                         ├─► ClosedWindow ─► kline ─► kline10s      ├─► ClosedWindow ─► kline ─► kline1m
 *                         └─► late trades ─┐                         └─► late trades ─┐
 *                                          └────────────► lateTrades sink ◄───────────┘
 *
 * closed windows (both intervals) ─ keyBy("symbol/interval") ─► remote-scoring
 *   ─ keyBy("interval/windowStart") ─► market-context ─┬─► scoredWindows sink
 *                                                      └─ anomalies ─► alerts sink
 * </pre>
 *
 * {@link #build} takes the source and sinks as arguments (Kafka in {@link #main}, finite ones in
 * tests) and returns the closed-window streams; {@link #score} attaches the scoring stage and the
 * cross-symbol market-context stage to them.
 */
public final class AnomalyJob {

  /** Where the job's outputs go. */
  public record Sinks(
      Sink<KlineBar> kline10s,
      Sink<KlineBar> kline1m,
      Sink<DeadLetterRecord> deadLetters,
      Sink<LateTrade> lateTrades) {}

  /** Where scoring results go: anomalous windows to {@code alerts}, every scored window to {@code scoredWindows}. */
  public record ScoringSinks(Sink<ScoredWindow> alerts, Sink<ScoredWindow> scoredWindows) {}

  /** What {@link #build} leaves open for later stages: {@link #score} attaches the scoring operator here. */
  public record Pipeline(
      DataStream<ClosedWindow> closedWindows10s, DataStream<ClosedWindow> closedWindows1m) {

    /** Both intervals' closed windows, for a stage that scores every window. */
    public DataStream<ClosedWindow> closedWindows() {
      return closedWindows10s.union(closedWindows1m);
    }
  }

  private AnomalyJob() {}

  /** The trade-only pipeline (no book-ticker input). */
  public static Pipeline build(
      StreamExecutionEnvironment env,
      JobConfig config,
      Source<TradeOrDeadLetter, ?, ?> source,
      Sinks sinks) {
    return build(env, config, source, null, sinks);
  }

  /**
   * Adds the pipeline to {@code env}. Uses the watermark and lateness settings of {@code config}.
   * With a {@code quoteSource}, its book tickers join the trades in the same keyed windows (each
   * closed window then carries a book summary); null = trades only.
   */
  public static Pipeline build(
      StreamExecutionEnvironment env,
      JobConfig config,
      Source<TradeOrDeadLetter, ?, ?> source,
      Source<QuoteOrDeadLetter, ?, ?> quoteSource,
      Sinks sinks) {
    SingleOutputStreamOperator<TradeEvent> trades =
        env.fromSource(source, watermarks(config.outOfOrderness(), config.idleness()), "raw-trades")
            .uid("raw-trades-source")
            .process(new SplitUndecodable())
            .name("split-undecodable")
            .uid("split-undecodable");

    DataStream<DeadLetterRecord> deadLetters = trades.getSideOutput(SplitUndecodable.DEAD_LETTERS);
    DataStream<MarketEvent> events =
        trades.map(MarketEvent::ofTrade, TypeInformation.of(MarketEvent.class)).name("trades-as-events").uid("trades-as-events");

    if (quoteSource != null) {
      SingleOutputStreamOperator<BookTickerEvent> quotes =
          env.fromSource(quoteSource, quoteWatermarks(config.outOfOrderness(), config.idleness()), "book-ticker")
              .uid("book-ticker-source")
              .process(new SplitUndecodableQuotes())
              .name("split-undecodable-quotes")
              .uid("split-undecodable-quotes");
      deadLetters = deadLetters.union(quotes.getSideOutput(SplitUndecodable.DEAD_LETTERS));
      events =
          events.union(
              quotes.map(MarketEvent::ofQuote, TypeInformation.of(MarketEvent.class)).name("quotes-as-events").uid("quotes-as-events"));
    }

    deadLetters.sinkTo(sinks.deadLetters()).name("dead-letter-sink").uid("dead-letter-sink");

    KeyedStream<MarketEvent, String> bySymbol = events.keyBy(MarketEvent::symbol, Types.STRING);

    SingleOutputStreamOperator<ClosedWindow> windows10s =
        closedWindows(bySymbol, KlineInterval.TEN_SECONDS, config.allowedLateness());
    SingleOutputStreamOperator<ClosedWindow> windows1m =
        closedWindows(bySymbol, KlineInterval.ONE_MINUTE, config.allowedLateness());

    klines(windows10s, KlineInterval.TEN_SECONDS).sinkTo(sinks.kline10s()).name("kline-10s-sink").uid("kline-10s-sink");
    klines(windows1m, KlineInterval.ONE_MINUTE).sinkTo(sinks.kline1m()).name("kline-1m-sink").uid("kline-1m-sink");

    lateTrades(windows10s, KlineInterval.TEN_SECONDS)
        .union(lateTrades(windows1m, KlineInterval.ONE_MINUTE))
        .sinkTo(sinks.lateTrades())
        .name("late-trades-sink")
        .uid("late-trades-sink");

    return new Pipeline(windows10s, windows1m);
  }

  /**
   * Scores every closed window with the remote scoring operator (keyed by "symbol/interval", the
   * key of the detector state), types the results across symbols in the market-context stage
   * (keyed by the moment "interval/windowStart", {@link MarketContextFunction}) and routes them:
   * all to {@code scoredWindows}, anomalous ones to {@code alerts}. Both sinks read the typed
   * results, so a window's type never depends on how it was bundled for scoring. Returns the typed
   * results.
   */
  public static DataStream<ScoredWindow> score(
      Pipeline pipeline, JobConfig config, ScorerFactory scorer, ScoringSinks sinks) {
    SingleOutputStreamOperator<ScoredWindow> scored =
        pipeline
            .closedWindows()
            .keyBy(window -> BundleCodec.stateKey(window), Types.STRING)
            .transform(
                "remote-scoring",
                TypeInformation.of(ScoredWindow.class),
                new RemoteScoringOperator(
                    scorer, new RemoteScoringOperator.BundleSettings(
                        config.bundleSize(), config.bundleAge(), config.scoringMaxInFlight())))
            .uid("remote-scoring");
    // The scoring operator emits a window's result before the watermark that closed the window,
    // so the moment's event-time timer fires after every symbol's window of it has arrived.
    SingleOutputStreamOperator<ScoredWindow> typed =
        scored
            .keyBy(MarketContextFunction::momentKey, Types.STRING)
            .process(new MarketContextFunction(), TypeInformation.of(ScoredWindow.class))
            .name("market-context")
            .uid("market-context");
    typed.sinkTo(sinks.scoredWindows()).name("scored-windows-sink").uid("scored-windows-sink");
    typed
        .filter(ScoredWindow::anomaly)
        .name("anomalies")
        .uid("anomalies")
        .sinkTo(sinks.alerts())
        .name("alerts-sink")
        .uid("alerts-sink");
    return typed;
  }

  /** The scorer selected by {@code --scorer}; created in each operator instance's open(). */
  public static ScorerFactory scorerFactory(JobConfig config) {
    return switch (config.scorer()) {
      case GRPC -> {
        GrpcScorer.Settings settings =
            new GrpcScorer.Settings(
                config.scoringAddress(),
                config.scoringDeadline(),
                config.scoringBudget(),
                new Backoff(SCORING_INITIAL_BACKOFF, SCORING_MAX_BACKOFF),
                GrpcScorer.Settings.DEFAULT_MAX_MESSAGE_BYTES);
        yield () -> new GrpcScorer(settings);
      }
      case STUB -> () -> new StubScorer();
    };
  }

  /** First retry after 100 ms, doubling to 5 s: a restarting sidecar is usually back within seconds. */
  private static final Duration SCORING_INITIAL_BACKOFF = Duration.ofMillis(100);
  private static final Duration SCORING_MAX_BACKOFF = Duration.ofSeconds(5);

  /**
   * Event time = trade time. Undecodable records carry no trade time: they get
   * {@code Long.MIN_VALUE}, which the bounded-out-of-orderness generator ignores (it tracks the
   * maximum), so garbage can never advance the watermark.
   */
  static WatermarkStrategy<TradeOrDeadLetter> watermarks(Duration outOfOrderness, Duration idleness) {
    return WatermarkStrategy.<TradeOrDeadLetter>forBoundedOutOfOrderness(outOfOrderness)
        .withTimestampAssigner((record, kafkaTimestamp) -> record.isTrade() ? record.trade().tradeTimeMs() : Long.MIN_VALUE)
        .withIdleness(idleness);
  }

  /**
   * Event time = the quote's event_time_ms (estimated by the producer on spot), with the same
   * out-of-orderness and idleness as trades: an empty or silent book-ticker topic goes idle after
   * {@code idleness} and stops holding back the windows. Undecodable records never advance it.
   */
  static WatermarkStrategy<QuoteOrDeadLetter> quoteWatermarks(Duration outOfOrderness, Duration idleness) {
    return WatermarkStrategy.<QuoteOrDeadLetter>forBoundedOutOfOrderness(outOfOrderness)
        .withTimestampAssigner((record, kafkaTimestamp) -> record.isQuote() ? record.quote().eventTimeMs() : Long.MIN_VALUE)
        .withIdleness(idleness);
  }

  /**
   * One tumbling event-time window per symbol and interval over trades and quotes. Records later
   * than the allowed lateness go to {@link #lateTradesTag} instead of being dropped (late trades
   * continue to the late-trades topic, late quotes are counted).
   */
  static SingleOutputStreamOperator<ClosedWindow> closedWindows(
      KeyedStream<MarketEvent, String> bySymbol, KlineInterval interval, Duration allowedLateness) {
    return bySymbol
        .window(TumblingEventTimeWindows.of(interval.size()))
        .allowedLateness(allowedLateness)
        .sideOutputLateData(lateTradesTag(interval))
        .aggregate(new TradeBufferAggregate(), new EmitClosedWindow(interval))
        .name("window-" + interval.label())
        .uid("window-" + interval.label());
  }

  /** The late side output of the {@code interval} window operator (late trades and quotes). */
  static OutputTag<MarketEvent> lateTradesTag(KlineInterval interval) {
    return new OutputTag<>("late-trades-" + interval.label(), TypeInformation.of(MarketEvent.class));
  }

  private static DataStream<KlineBar> klines(SingleOutputStreamOperator<ClosedWindow> windows, KlineInterval interval) {
    return windows
        .map(ClosedWindow::kline, TypeInformation.of(KlineBar.class))
        .name("kline-" + interval.label())
        .uid("kline-" + interval.label());
  }

  private static DataStream<LateTrade> lateTrades(SingleOutputStreamOperator<ClosedWindow> windows, KlineInterval interval) {
    return windows
        .getSideOutput(lateTradesTag(interval))
        .process(new TagLateTrades(interval))
        .name("late-trades-" + interval.label())
        .uid("late-trades-" + interval.label());
  }

  // ---------------------------------------------------------------------------------------------
  // Deployment: Kafka source and sinks, checkpointing, local MiniCluster.

  public static void main(String[] args) throws Exception {
    JobConfig config;
    try {
      config = JobConfig.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("flink-job: " + e.getMessage());
      System.exit(2);
      return;
    }
    run(config, flinkConfiguration(System.getenv(ConfigConstants.ENV_FLINK_CONF_DIR)));
  }

  /**
   * Cluster settings from Flink's own configuration file, as the Kubernetes operator supplies them
   * ({@code flinkConfiguration} rendered to {@code $FLINK_CONF_DIR/config.yaml}); empty when
   * FLINK_CONF_DIR is unset. They are applied after the job's defaults, so they win.
   */
  static Configuration flinkConfiguration(String confDir) {
    if (confDir == null || confDir.isBlank()) return new Configuration();
    return GlobalConfiguration.loadConfiguration(confDir);
  }

  /**
   * Builds the whole job on Kafka and runs it until it ends (with {@code --bounded}: at the end of
   * the input; otherwise when cancelled or failed for good). {@code flinkSettings} is added to the
   * job's Flink configuration last, e.g. a metric reporter for the pipeline benchmark.
   */
  public static JobExecutionResult run(JobConfig config, Configuration flinkSettings) throws Exception {
    StreamExecutionEnvironment env = environment(config, flinkSettings);
    Pipeline pipeline =
        build(env, config, kafkaSource(config), config.bookTicker() ? kafkaBookTickerSource(config) : null, kafkaSinks(config));
    score(pipeline, config, scorerFactory(config), kafkaScoringSinks(config));
    return env.execute("crypto-anomaly");
  }

  /** Checkpointing and state backend via config keys (Flink 2.x has no setStateBackend). */
  static StreamExecutionEnvironment environment(JobConfig config) {
    return environment(config, new Configuration());
  }

  static StreamExecutionEnvironment environment(JobConfig config, Configuration flinkSettings) {
    Configuration conf = new Configuration();
    conf.set(StateBackendOptions.STATE_BACKEND, "hashmap");
    conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, config.checkpointDir());
    conf.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, config.checkpointInterval());
    conf.set(CheckpointingOptions.CHECKPOINTING_CONSISTENCY_MODE, CheckpointingMode.EXACTLY_ONCE);
    conf.set(
        CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION,
        ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
    restartStrategy(conf, config);
    // --restore-from: start from a retained checkpoint (or savepoint) instead of from scratch. The
    // stream graph picks execution.state-recovery.path up from this configuration; every operator
    // has a stable uid, so state maps back by uid. Kafka offsets come from the checkpoint then.
    config.restoreFrom().ifPresent(path -> conf.set(StateRecoveryOptions.SAVEPOINT_PATH, path));
    // Every type on the wire has a Flink serializer; fail at start-up if one falls back to Kryo.
    conf.set(PipelineOptions.GENERIC_TYPES, false);
    conf.addAll(flinkSettings);
    StreamExecutionEnvironment env;
    if (config.local()) {
      // The MiniCluster runs in this JVM: file systems (s3:// through flink-s3-fs-hadoop on the
      // classpath or in $FLINK_PLUGINS_DIR) must see s3.endpoint, s3.path.style.access and the keys.
      FileSystem.initialize(conf, PluginUtils.createPluginManagerFromRootFolder(conf));
      conf.set(RestOptions.PORT, config.webUiPort());
      env = StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(conf);
    } else {
      env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    }
    config.parallelism().ifPresent(env::setParallelism);
    return env;
  }

  /**
   * A failure (above all: the scoring budget spent because the sidecar is gone) restarts the job
   * from its last checkpoint after a delay, so a sidecar that comes back resumes the job alone.
   */
  private static void restartStrategy(Configuration conf, JobConfig config) {
    conf.set(RestartStrategyOptions.RESTART_STRATEGY, config.restartStrategy().flinkName());
    switch (config.restartStrategy()) {
      case EXPONENTIAL_DELAY -> {
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_INITIAL_BACKOFF, config.restartDelay());
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_MAX_BACKOFF, config.restartMaxDelay());
      }
      case FIXED_DELAY -> {
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, config.restartAttempts());
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, config.restartDelay());
      }
      case NONE -> {}
    }
  }

  static KafkaSource<TradeOrDeadLetter> kafkaSource(JobConfig config) {
    return kafkaSource(config, config.rawTradesTopic(), new KafkaSerdes.TradeDeserializer());
  }

  /**
   * The {@code book-ticker} source: same group, starting offsets, read_committed isolation,
   * offset commits on checkpoints and boundedness as the trade source.
   */
  static KafkaSource<QuoteOrDeadLetter> kafkaBookTickerSource(JobConfig config) {
    return kafkaSource(config, config.bookTickerTopic(), new KafkaSerdes.BookTickerDeserializer());
  }

  // OffsetResetStrategy is deprecated in kafka-clients 4, but connector 5.0.0-2.2 accepts nothing else.
  @SuppressWarnings("deprecation")
  private static <T> KafkaSource<T> kafkaSource(
      JobConfig config, String topic, org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema<T> deserializer) {
    OffsetsInitializer start =
        switch (config.startingOffsets()) {
          case COMMITTED -> OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
          case EARLIEST -> OffsetsInitializer.earliest();
          case LATEST -> OffsetsInitializer.latest();
        };
    KafkaSourceBuilder<T> builder =
        KafkaSource.<T>builder()
            .setBootstrapServers(config.bootstrapServers())
            .setTopics(topic)
            .setGroupId(config.groupId())
            .setStartingOffsets(start)
            .setDeserializer(deserializer)
            // The producer may write transactionally; never read aborted or open transactions.
            .setProperty("isolation.level", "read_committed")
            .setProperty("commit.offsets.on.checkpoint", "true");
    if (config.bounded()) {
      // --bounded: stop at the end offsets of the job's start; the end of input fires every window
      // (MAX_WATERMARK), flushes the scoring bundle and commits the results in the final checkpoint.
      builder.setBounded(OffsetsInitializer.latest());
    }
    return builder.build();
  }

  /**
   * At-least-once for klines, dead letters and late trades: a replay after a failure re-sends the
   * same records with the same keys (klines are idempotent per symbol, interval and open time).
   * Exactly-once is reserved for the scoring results ({@link #kafkaScoringSinks}).
   */
  static Sinks kafkaSinks(JobConfig config) {
    return new Sinks(
        kafkaSink(config, new KafkaSerdes.KlineSerializer(config.kline10sTopic())),
        kafkaSink(config, new KafkaSerdes.KlineSerializer(config.kline1mTopic())),
        kafkaSink(config, new KafkaSerdes.DeadLetterSerializer(config.deadLetterTopic())),
        kafkaSink(config, new KafkaSerdes.LateTradeSerializer(config.lateTradesTopic())));
  }

  /**
   * Exactly-once for {@code alerts} and {@code scored-windows}: each sink writes in Kafka
   * transactions committed when a checkpoint completes, so consumers reading with
   * {@code isolation.level=read_committed} see every result once, one checkpoint interval late.
   * Each sink has its own stable transactional id prefix: on restart, Kafka fences the failed
   * attempt's producers by it and the sink aborts their open transactions.
   */
  static ScoringSinks kafkaScoringSinks(JobConfig config) {
    return new ScoringSinks(
        exactlyOnceSink(
            config, new KafkaSerdes.ScoredWindowSerializer(config.alertsTopic()), config.transactionalIdPrefix() + "-alerts"),
        exactlyOnceSink(
            config,
            new KafkaSerdes.ScoredWindowSerializer(config.scoredWindowsTopic()),
            config.transactionalIdPrefix() + "-scored-windows"));
  }

  private static <T> KafkaSink<T> exactlyOnceSink(
      JobConfig config, KafkaRecordSerializationSchema<T> serializer, String transactionalIdPrefix) {
    return KafkaSink.<T>builder()
        .setBootstrapServers(config.bootstrapServers())
        .setRecordSerializer(serializer)
        .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
        .setTransactionalIdPrefix(transactionalIdPrefix)
        // The sink's default (1 h) exceeds a default broker's transaction.max.timeout.ms (15 min),
        // which makes every transaction fail at start.
        .setProperty(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, Long.toString(config.transactionTimeout().toMillis()))
        .build();
  }

  private static <T> KafkaSink<T> kafkaSink(JobConfig config, KafkaRecordSerializationSchema<T> serializer) {
    return KafkaSink.<T>builder()
        .setBootstrapServers(config.bootstrapServers())
        .setRecordSerializer(serializer)
        .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
        .build();
  }
}
