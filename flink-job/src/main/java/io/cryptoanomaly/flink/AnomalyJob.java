package io.cryptoanomaly.flink;

import io.cryptoanomaly.flink.functions.EmitClosedWindow;
import io.cryptoanomaly.flink.functions.SplitUndecodable;
import io.cryptoanomaly.flink.functions.TagLateTrades;
import io.cryptoanomaly.flink.functions.TradeBufferAggregate;
import io.cryptoanomaly.flink.records.ClosedWindow;
import io.cryptoanomaly.flink.records.DeadLetterRecord;
import io.cryptoanomaly.flink.records.KafkaSerdes;
import io.cryptoanomaly.flink.records.KlineBar;
import io.cryptoanomaly.flink.records.KlineInterval;
import io.cryptoanomaly.flink.records.LateTrade;
import io.cryptoanomaly.flink.records.TradeEvent;
import io.cryptoanomaly.flink.records.TradeOrDeadLetter;
import java.time.Duration;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.util.OutputTag;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/**
 * The streaming core, wired in one place:
 *
 * <pre>
 * source (raw-trades) ─ watermarks on trade time ─► split ──► dead letters ─► deadLetter sink
 *                                                    │
 *                                            keyBy(symbol)
 *                                 ┌──────────────────┴──────────────────┐
 *                        tumbling 10 s window                    tumbling 1 m window
 *                         ├─► ClosedWindow ─► kline ─► kline10s      ├─► ClosedWindow ─► kline ─► kline1m
 *                         └─► late trades ─┐                         └─► late trades ─┐
 *                                          └────────────► lateTrades sink ◄───────────┘
 * </pre>
 *
 * {@link #build} takes the source and sinks as arguments (Kafka in {@link #main}, finite ones in
 * tests) and returns the closed-window streams: the extension point for the scoring stage.
 */
public final class AnomalyJob {

  /** Where the job's outputs go. */
  public record Sinks(
      Sink<KlineBar> kline10s,
      Sink<KlineBar> kline1m,
      Sink<DeadLetterRecord> deadLetters,
      Sink<LateTrade> lateTrades) {}

  /**
   * What {@link #build} leaves open for later stages. Phase 2 attaches the scoring operator here:
   * {@code closedWindows().keyBy(ClosedWindow::symbol).transform("score", type, scoringOperator)}.
   */
  public record Pipeline(
      DataStream<ClosedWindow> closedWindows10s, DataStream<ClosedWindow> closedWindows1m) {

    /** Both intervals' closed windows, for a stage that scores every window. */
    public DataStream<ClosedWindow> closedWindows() {
      return closedWindows10s.union(closedWindows1m);
    }
  }

  private AnomalyJob() {}

  /** Adds the pipeline to {@code env}. Uses the watermark and lateness settings of {@code config}. */
  public static Pipeline build(
      StreamExecutionEnvironment env,
      JobConfig config,
      Source<TradeOrDeadLetter, ?, ?> source,
      Sinks sinks) {
    SingleOutputStreamOperator<TradeEvent> trades =
        env.fromSource(source, watermarks(config.outOfOrderness(), config.idleness()), "raw-trades")
            .uid("raw-trades-source")
            .process(new SplitUndecodable())
            .name("split-undecodable")
            .uid("split-undecodable");

    trades
        .getSideOutput(SplitUndecodable.DEAD_LETTERS)
        .sinkTo(sinks.deadLetters())
        .name("dead-letter-sink")
        .uid("dead-letter-sink");

    KeyedStream<TradeEvent, String> bySymbol = trades.keyBy(TradeEvent::symbol, Types.STRING);

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
   * One tumbling event-time window per symbol and interval. Trades later than the allowed
   * lateness go to {@link #lateTradesTag} instead of being dropped.
   */
  static SingleOutputStreamOperator<ClosedWindow> closedWindows(
      KeyedStream<TradeEvent, String> bySymbol, KlineInterval interval, Duration allowedLateness) {
    return bySymbol
        .window(TumblingEventTimeWindows.of(interval.size()))
        .allowedLateness(allowedLateness)
        .sideOutputLateData(lateTradesTag(interval))
        .aggregate(new TradeBufferAggregate(), new EmitClosedWindow(interval))
        .name("window-" + interval.label())
        .uid("window-" + interval.label());
  }

  /** The late side output of the {@code interval} window operator. */
  static OutputTag<TradeEvent> lateTradesTag(KlineInterval interval) {
    return new OutputTag<>("late-trades-" + interval.label(), TypeInformation.of(TradeEvent.class));
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
    StreamExecutionEnvironment env = environment(config);
    build(env, config, kafkaSource(config), kafkaSinks(config));
    env.execute("crypto-anomaly");
  }

  /** Checkpointing and state backend via config keys (Flink 2.x has no setStateBackend). */
  static StreamExecutionEnvironment environment(JobConfig config) {
    Configuration conf = new Configuration();
    conf.set(StateBackendOptions.STATE_BACKEND, "hashmap");
    conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, config.checkpointDir());
    conf.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, config.checkpointInterval());
    conf.set(CheckpointingOptions.CHECKPOINTING_CONSISTENCY_MODE, CheckpointingMode.EXACTLY_ONCE);
    conf.set(
        CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION,
        ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
    // Every type on the wire has a Flink serializer; fail at start-up if one falls back to Kryo.
    conf.set(PipelineOptions.GENERIC_TYPES, false);
    StreamExecutionEnvironment env;
    if (config.local()) {
      conf.set(RestOptions.PORT, config.webUiPort());
      env = StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(conf);
    } else {
      env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    }
    config.parallelism().ifPresent(env::setParallelism);
    return env;
  }

  // OffsetResetStrategy is deprecated in kafka-clients 4, but connector 5.0.0-2.2 accepts nothing else.
  @SuppressWarnings("deprecation")
  static KafkaSource<TradeOrDeadLetter> kafkaSource(JobConfig config) {
    OffsetsInitializer start =
        switch (config.startingOffsets()) {
          case COMMITTED -> OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
          case EARLIEST -> OffsetsInitializer.earliest();
          case LATEST -> OffsetsInitializer.latest();
        };
    return KafkaSource.<TradeOrDeadLetter>builder()
        .setBootstrapServers(config.bootstrapServers())
        .setTopics(config.rawTradesTopic())
        .setGroupId(config.groupId())
        .setStartingOffsets(start)
        .setDeserializer(new KafkaSerdes.TradeDeserializer())
        // The producer may write transactionally; never read aborted or open transactions.
        .setProperty("isolation.level", "read_committed")
        .setProperty("commit.offsets.on.checkpoint", "true")
        .build();
  }

  /**
   * At-least-once for klines, dead letters and late trades: a replay after a failure re-sends the
   * same records with the same keys (klines are idempotent per symbol, interval and open time).
   * Exactly-once is reserved for the alerts sink (phase 2).
   */
  static Sinks kafkaSinks(JobConfig config) {
    return new Sinks(
        kafkaSink(config, new KafkaSerdes.KlineSerializer(config.kline10sTopic())),
        kafkaSink(config, new KafkaSerdes.KlineSerializer(config.kline1mTopic())),
        kafkaSink(config, new KafkaSerdes.DeadLetterSerializer(config.deadLetterTopic())),
        kafkaSink(config, new KafkaSerdes.LateTradeSerializer(config.lateTradesTopic())));
  }

  private static <T> KafkaSink<T> kafkaSink(JobConfig config, KafkaRecordSerializationSchema<T> serializer) {
    return KafkaSink.<T>builder()
        .setBootstrapServers(config.bootstrapServers())
        .setRecordSerializer(serializer)
        .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
        .build();
  }
}
