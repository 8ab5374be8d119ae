package io.cryptoanomaly.flink;

import static org.assertj.core.api.Assertions.assertThat;

import io.cryptoanomaly.flink.RecordedTrades.Recorded;
import io.cryptoanomaly.flink.records.ClosedWindow;
import io.cryptoanomaly.flink.records.DeadLetterRecord;
import io.cryptoanomaly.flink.records.KlineBar;
import io.cryptoanomaly.flink.records.LateTrade;
import io.cryptoanomaly.flink.records.ProtoAdapter;
import io.cryptoanomaly.flink.records.ScoredWindow;
import io.cryptoanomaly.proto.v1.Alert;
import io.cryptoanomaly.proto.v1.AnomalyType;
import io.cryptoanomaly.flink.records.TradeOrDeadLetter;
import io.cryptoanomaly.proto.v1.Kline;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.connector.datagen.functions.FromElementsGeneratorFunction;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The whole pipeline on a MiniCluster (parallelism 2) with a finite source of real recorded trades
 * (5 minutes of BTCUSDT and ETHUSDT, ~18,500 trades) plus undecodable records, and collecting
 * sinks. Klines are compared with an independent BigDecimal computation from the raw JSON.
 */
class AnomalyJobPipelineTest {
  private static final int PARALLELISM = 2;
  private static final long TEN_SECONDS_MS = 10_000;
  private static final long ONE_MINUTE_MS = 60_000;
  /** Neighbouring trades closer than this are swapped, to exercise out-of-order arrival. */
  private static final long SWAP_WITHIN_MS = 1_000;
  private static final String ORIGIN = "test-0@0";
  private static final long RECEIVED_AT_MS = 0;

  @RegisterExtension
  static final MiniClusterExtension MINI_CLUSTER =
      new MiniClusterExtension(
          new MiniClusterResourceConfiguration.Builder()
              .setNumberTaskManagers(1)
              .setNumberSlotsPerTaskManager(PARALLELISM)
              .build());

  private static List<Recorded> recorded;
  private static final List<byte[]> GARBAGE =
      List.of(
          "not protobuf at all".getBytes(StandardCharsets.UTF_8),
          new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff},
          io.cryptoanomaly.proto.v1.Trade.newBuilder().setSymbol("BTCUSDT").setPriceDecimal("abc").build().toByteArray());

  private static CollectingSink<KlineBar> kline10s;
  private static CollectingSink<KlineBar> kline1m;
  private static CollectingSink<DeadLetterRecord> deadLetters;
  private static CollectingSink<LateTrade> lateTrades;
  private static CollectingSink<ClosedWindow> closedWindows;
  private static CollectingSink<ScoredWindow> scoredWindows;
  private static CollectingSink<ScoredWindow> alerts;

  @BeforeAll
  static void runPipelineOverTheRecording() throws Exception {
    recorded = new ArrayList<>(RecordedTrades.read("btcusdt_20240809.gz"));
    recorded.addAll(RecordedTrades.read("ethusdt_20240809.gz"));
    recorded.sort(Comparator.comparingLong(Recorded::eventTimeMs));

    List<TradeOrDeadLetter> input = new ArrayList<>();
    for (Recorded trade : recorded) {
      input.add(ProtoAdapter.decodeTrade(trade.toProto().toByteArray(), ORIGIN, RECEIVED_AT_MS));
    }
    for (int i = 0; i + 1 < input.size(); i += 2) {
      if (input.get(i + 1).trade().tradeTimeMs() - input.get(i).trade().tradeTimeMs() < SWAP_WITHIN_MS) {
        java.util.Collections.swap(input, i, i + 1);
      }
    }
    for (int i = 0; i < GARBAGE.size(); i++) {
      input.add((i + 1) * input.size() / (GARBAGE.size() + 1), ProtoAdapter.decodeTrade(GARBAGE.get(i), ORIGIN, RECEIVED_AT_MS));
    }

    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(PARALLELISM);
    Configuration noKryo = new Configuration();
    noKryo.set(PipelineOptions.GENERIC_TYPES, false);
    env.configure(noKryo);

    TypeInformation<TradeOrDeadLetter> type = TypeInformation.of(TradeOrDeadLetter.class);
    var source =
        new DataGeneratorSource<>(
            new FromElementsGeneratorFunction<>(type, input.toArray(TradeOrDeadLetter[]::new)), input.size(), type);
    kline10s = new CollectingSink<>();
    kline1m = new CollectingSink<>();
    deadLetters = new CollectingSink<>();
    lateTrades = new CollectingSink<>();
    closedWindows = new CollectingSink<>();
    scoredWindows = new CollectingSink<>();
    alerts = new CollectingSink<>();

    AnomalyJob.Pipeline pipeline =
        AnomalyJob.build(env, JobConfig.defaults(), source, new AnomalyJob.Sinks(kline10s, kline1m, deadLetters, lateTrades));
    pipeline.closedWindows().sinkTo(closedWindows);
    // The in-JVM stub behind the real operator; small bundles so size, watermark and end-of-input
    // flushes all happen.
    JobConfig scoring = JobConfig.parse("--scorer", "stub", "--bundle-size", "8");
    AnomalyJob.score(pipeline, scoring, AnomalyJob.scorerFactory(scoring), new AnomalyJob.ScoringSinks(alerts, scoredWindows));
    env.execute("pipeline-test");
  }

  @Test
  void computesTenSecondKlinesEqualToAnIndependentComputationFromTheRecording() {
    assertKlinesMatchRecording(kline10s.results(), "10s", TEN_SECONDS_MS);
  }

  @Test
  void computesOneMinuteKlinesEqualToAnIndependentComputationFromTheRecording() {
    assertKlinesMatchRecording(kline1m.results(), "1m", ONE_MINUTE_MS);
  }

  @Test
  void routesEveryUndecodableRecordToTheDeadLetterSinkWithoutFailingTheJob() {
    assertThat(deadLetters.results()).hasSize(GARBAGE.size());
    assertThat(deadLetters.results())
        .extracting(d -> java.util.Arrays.toString(d.payload()))
        .containsExactlyInAnyOrderElementsOf(GARBAGE.stream().map(java.util.Arrays::toString).toList());
    assertThat(deadLetters.results()).anySatisfy(d -> assertThat(d.detail()).contains("trade_time_ms"));
  }

  @Test
  void findsNoLateTradesWhenDisorderStaysWithinTheOutOfOrdernessBound() {
    assertThat(lateTrades.results()).isEmpty();
  }

  @Test
  void handsEveryTradeToTheScoringExtensionPointOncePerInterval() {
    Map<String, Integer> tradesPerInterval =
        closedWindows.results().stream()
            .collect(Collectors.groupingBy(ClosedWindow::interval, Collectors.summingInt(w -> w.trades().size())));
    assertThat(tradesPerInterval).containsEntry("10s", recorded.size()).containsEntry("1m", recorded.size());
    assertThat(closedWindows.results())
        .allSatisfy(
            w -> {
              long[] times = w.trades().tradeTimeMs();
              assertThat(times).isSorted();
              assertThat(times[0]).isGreaterThanOrEqualTo(w.windowStartMs());
              assertThat(times[times.length - 1]).isLessThan(w.windowEndMs());
            });
  }

  @Test
  void scoresEveryClosedWindowExactlyOnceAndSendsTheAnomalousOnesToAlerts() throws Exception {
    Set<String> closed = new HashSet<>();
    closedWindows.results().forEach(w -> closed.add(w.symbol() + "/" + w.interval() + "@" + w.windowStartMs()));
    List<String> scored = scoredWindows.results().stream().map(s -> s.symbol() + "/" + s.interval() + "@" + s.windowStartMs()).toList();
    assertThat(scored).doesNotHaveDuplicates();
    assertThat(new HashSet<>(scored)).isEqualTo(closed);

    List<ScoredWindow> anomalous = scoredWindows.results().stream().filter(ScoredWindow::anomaly).toList();
    assertThat(alerts.results()).hasSameSizeAs(anomalous).isNotEmpty();
    assertThat(alerts.results()).allSatisfy(a -> assertThat(a.anomaly()).isTrue());

    // State chained per symbol and interval across bundles: each key's windows were all counted.
    for (ScoredWindow s : scoredWindows.results()) {
      Alert alert = Alert.parseFrom(s.alert());
      assertThat(alert.getSymbol()).isEqualTo(s.symbol());
      assertThat(alert.getTradeCount()).isPositive();
    }
    long warmResults =
        scoredWindows.results().stream().filter(s -> { try { return Alert.parseFrom(s.alert()).getVoters() == 1; } catch (Exception e) { throw new IllegalStateException(e); } }).count();
    Map<String, Long> keys = scoredWindows.results().stream().collect(Collectors.groupingBy(s -> s.symbol() + "/" + s.interval(), Collectors.counting()));
    // Only each key's first window is cold.
    assertThat(warmResults).isEqualTo(scoredWindows.results().size() - keys.size());
  }

  @Test
  void typesWindowsWhereBothSymbolsMovedTheSameWayMarketWideThroughTheWholeJob() throws Exception {
    // Independent of the stage: the stub flags |return| >= 0.1 % as a spike or crash; with its rule
    // (2 symbols, half of them) and two symbols, a flagged window is market-wide exactly when the
    // other symbol's window of the same moment was flagged the same way.
    Map<String, List<Alert>> moments = new TreeMap<>();
    for (ScoredWindow s : scoredWindows.results()) {
      moments.computeIfAbsent(s.interval() + "/" + s.windowStartMs(), k -> new ArrayList<>()).add(Alert.parseFrom(s.alert()));
    }
    int marketWide = 0;
    for (Map.Entry<String, List<Alert>> moment : moments.entrySet()) {
      List<Alert> windows = moment.getValue();
      for (Alert a : windows) {
        String what = moment.getKey() + " " + a.getSymbol();
        int direction = a.getIsAnomaly() ? (int) Math.signum(a.getReturnPct()) : 0;
        long moving = direction == 0 ? 0 : windows.stream().filter(o -> o.getIsAnomaly() && Math.signum(o.getReturnPct()) == direction).count();
        assertThat(a.getMarket().getDirection()).as(what).isEqualTo(direction);
        // Only price candidates wait for their moment and get its counts.
        assertThat(a.getMarket().getSymbols()).as(what).isEqualTo(direction == 0 ? 0 : windows.size());
        assertThat(a.getMarket().getMoving()).as(what).isEqualTo(moving);
        if (moving >= 2 && moving >= 0.5 * windows.size()) {
          marketWide++;
          assertThat(a.getType()).as(what).isEqualTo(AnomalyType.ANOMALY_TYPE_MARKET_WIDE_MOVE);
          assertThat(a.getReasons(a.getReasonsCount() - 1).getText())
              .as(what)
              .isEqualTo("2 of 2 symbols moved " + (direction > 0 ? "up" : "down") + " together in this window (BTCUSDT, ETHUSDT)");
        } else if (direction != 0) {
          assertThat(a.getType()).as(what).isEqualTo(direction > 0 ? AnomalyType.ANOMALY_TYPE_PRICE_SPIKE : AnomalyType.ANOMALY_TYPE_FLASH_CRASH);
        } else {
          assertThat(a.getType()).as(what).isEqualTo(AnomalyType.ANOMALY_TYPE_UNSPECIFIED);
        }
      }
    }
    // The recording has a moment where BTC and ETH moved the same way (both its windows), so the
    // stage is exercised end to end.
    assertThat(marketWide).isGreaterThanOrEqualTo(2);
    // The alerts topic gets the typed bytes too.
    Set<String> typed = new HashSet<>();
    scoredWindows.results().stream().filter(ScoredWindow::anomaly).forEach(s -> typed.add(java.util.Arrays.toString(s.alert())));
    assertThat(alerts.results()).allSatisfy(a -> assertThat(typed).contains(java.util.Arrays.toString(a.alert())));
  }

  /** Independent reference: BigDecimal arithmetic on the JSON strings, grouped and ordered here. */
  private static void assertKlinesMatchRecording(List<KlineBar> actual, String interval, long sizeMs) {
    Map<String, List<Recorded>> groups =
        recorded.stream()
            .collect(
                Collectors.groupingBy(
                    r -> r.symbol() + "@" + (r.tradeTimeMs() - Math.floorMod(r.tradeTimeMs(), sizeMs)),
                    TreeMap::new,
                    Collectors.toList()));
    Map<String, Kline> byKey =
        actual.stream()
            .map(ProtoAdapter::toKline)
            .collect(Collectors.toMap(k -> k.getSymbol() + "@" + k.getOpenTimeMs(), Function.identity()));
    assertThat(byKey).hasSameSizeAs(groups).hasSize(actual.size());

    groups.forEach(
        (key, trades) -> {
          trades.sort(Comparator.comparingLong(Recorded::tradeTimeMs).thenComparingLong(Recorded::id));
          Kline k = byKey.get(key);
          assertThat(k).as(key).isNotNull();
          BigDecimal base = BigDecimal.ZERO;
          BigDecimal quote = BigDecimal.ZERO;
          BigDecimal buyBase = BigDecimal.ZERO;
          BigDecimal buyQuote = BigDecimal.ZERO;
          BigDecimal high = null;
          BigDecimal low = null;
          for (Recorded t : trades) {
            BigDecimal p = new BigDecimal(t.price());
            BigDecimal q = new BigDecimal(t.quantity());
            high = high == null || p.compareTo(high) > 0 ? p : high;
            low = low == null || p.compareTo(low) < 0 ? p : low;
            base = base.add(q);
            quote = quote.add(p.multiply(q));
            if (!t.buyerIsMaker()) {
              buyBase = buyBase.add(q);
              buyQuote = buyQuote.add(p.multiply(q));
            }
          }
          long windowStart = trades.get(0).tradeTimeMs() - Math.floorMod(trades.get(0).tradeTimeMs(), sizeMs);
          assertThat(k.getInterval()).isEqualTo(interval);
          assertThat(k.getOpenTimeMs()).isEqualTo(windowStart);
          assertThat(k.getCloseTimeMs()).isEqualTo(windowStart + sizeMs - 1);
          assertThat(k.getEventTimeMs()).isEqualTo(windowStart + sizeMs);
          assertThat(k.getOpenDecimal()).as(key + " open").isEqualTo(trades.get(0).price());
          assertThat(k.getCloseDecimal()).as(key + " close").isEqualTo(trades.get(trades.size() - 1).price());
          assertThat(new BigDecimal(k.getHighDecimal())).as(key + " high").isEqualByComparingTo(high);
          assertThat(new BigDecimal(k.getLowDecimal())).as(key + " low").isEqualByComparingTo(low);
          assertThat(new BigDecimal(k.getBaseVolumeDecimal())).as(key + " base").isEqualByComparingTo(base);
          assertThat(new BigDecimal(k.getQuoteVolumeDecimal())).as(key + " quote").isEqualByComparingTo(quote);
          assertThat(new BigDecimal(k.getTakerBuyBaseVolumeDecimal())).as(key + " buy base").isEqualByComparingTo(buyBase);
          assertThat(new BigDecimal(k.getTakerBuyQuoteVolumeDecimal())).as(key + " buy quote").isEqualByComparingTo(buyQuote);
          assertThat(k.getTradeCount()).isEqualTo(trades.size());
          assertThat(k.getFirstTradeId()).isEqualTo(trades.get(0).id());
          assertThat(k.getLastTradeId()).isEqualTo(trades.get(trades.size() - 1).id());
          assertThat(k.getQuoteVolume()).isEqualTo(quote.doubleValue());
          assertThat(k.getOpen()).isEqualTo(Double.parseDouble(trades.get(0).price()));
        });
  }
}
