package io.cryptoanomaly.flink.functions;

import static org.assertj.core.api.Assertions.assertThat;

import io.cryptoanomaly.flink.records.KlineInterval;
import io.cryptoanomaly.flink.records.ScoredWindow;
import io.cryptoanomaly.proto.v1.Alert;
import io.cryptoanomaly.proto.v1.AnomalyType;
import io.cryptoanomaly.proto.v1.MarketContext;
import io.cryptoanomaly.proto.v1.Reason;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.apache.flink.api.common.ExecutionConfig;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.metrics.groups.InternalOperatorMetricGroup;
import org.apache.flink.runtime.metrics.util.InterceptingOperatorMetricGroup;
import org.apache.flink.runtime.metrics.util.InterceptingTaskMetricGroup;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link MarketContextFunction} in Flink's keyed operator test harness (generic types disabled, as
 * in the job): the shared conformance fixture that udf-server's market.ts passes too, plus the
 * stage's own event-time, checkpoint, late-window and undecodable-bytes behaviour.
 */
class MarketContextFunctionTest {
  /** The fixture shared with udf-server/test/market.test.ts; relative to flink-job/ (Surefire's working directory). */
  private static final Path FIXTURE = Path.of("..", "protos", "conformance", "market-context.json");
  private static final long T0 = 1_723_161_600_000L;
  private static final long TEN_SECONDS_MS = KlineInterval.TEN_SECONDS.size().toMillis();
  private static final long CHECKPOINT_ID = 1;

  private final List<Harness> harnesses = new ArrayList<>();

  /** A harness with the metrics of its function. */
  private record Harness(
      KeyedOneInputStreamOperatorTestHarness<String, ScoredWindow, ScoredWindow> test, InterceptingOperatorMetricGroup metrics) {
    long counter(String name) {
      return ((Counter) metrics.get(name)).getCount();
    }

    void add(ScoredWindow window) throws Exception {
      // As the scoring operator emits it: the window's timestamp, its last millisecond.
      test.processElement(new StreamRecord<>(window, window.windowEndMs() - 1));
    }

    List<ScoredWindow> output() {
      return test.extractOutputValues();
    }
  }

  @AfterEach
  void closeHarnesses() throws Exception {
    for (Harness harness : harnesses) {
      harness.test().close();
    }
  }

  private Harness harness(OperatorSubtaskState restoreFrom) throws Exception {
    InterceptingOperatorMetricGroup metrics = new InterceptingOperatorMetricGroup();
    InterceptingTaskMetricGroup task =
        new InterceptingTaskMetricGroup() {
          @Override
          public InternalOperatorMetricGroup getOrAddOperator(OperatorID id, String name, Map<String, String> additionalVariables) {
            return metrics;
          }
        };
    ExecutionConfig config = new ExecutionConfig();
    // As the job (PipelineOptions.GENERIC_TYPES false): state of a type without a Flink
    // serializer would fail here instead of falling back to Kryo.
    ((SerializerConfigImpl) config.getSerializerConfig()).setGenericTypes(false);
    var test =
        new KeyedOneInputStreamOperatorTestHarness<>(
            new KeyedProcessOperator<>(new MarketContextFunction()),
            MarketContextFunction::momentKey,
            Types.STRING,
            new MockEnvironmentBuilder().setMetricGroup(task).setExecutionConfig(config).build());
    Harness harness = new Harness(test, metrics);
    harnesses.add(harness);
    if (restoreFrom != null) {
      test.initializeState(restoreFrom);
    }
    test.open();
    return harness;
  }

  private Harness harness() throws Exception {
    return harness(null);
  }

  // ---------------------------------------------------------------------------------------------
  // The conformance fixture.

  static Stream<Arguments> fixtureCases() throws IOException {
    JsonNode fixture = new ObjectMapper().readTree(Files.readString(FIXTURE));
    return StreamSupport.stream(fixture.get("cases").spliterator(), false)
        .map(c -> Arguments.of(c.get("name").asText(), c));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fixtureCases")
  void typesEveryCaseOfTheSharedFixtureAsMarketTsDoes(String name, JsonNode fixtureCase) throws Exception {
    List<JsonNode> inputs = list(fixtureCase.get("input"));
    List<JsonNode> expected = list(fixtureCase.get("expected"));
    assertThat(expected).as("fixture: one expectation per input").hasSameSizeAs(inputs);

    Harness harness = harness();
    List<ScoredWindow> windows = new ArrayList<>();
    long lastEnd = Long.MIN_VALUE;
    long firstDue = Long.MAX_VALUE;
    for (JsonNode input : inputs) {
      ScoredWindow window = scored(fromFixture(input));
      windows.add(window);
      harness.add(window);
      lastEnd = Math.max(lastEnd, window.windowEndMs());
      firstDue = Math.min(firstDue, window.windowEndMs() - 1);
    }
    // Before the watermark reaches the first moment's last millisecond only the windows that are
    // not price candidates have left (they never wait).
    harness.test().processWatermark(new Watermark(firstDue - 1));
    assertThat(harness.output())
        .extracting(MarketContextFunctionTest::id)
        .containsExactlyInAnyOrderElementsOf(windows.stream().filter(w -> !w.priceCandidate()).map(MarketContextFunctionTest::id).toList());

    harness.test().processWatermark(new Watermark(lastEnd));
    Map<String, ScoredWindow> byWindow = new HashMap<>();
    for (ScoredWindow out : harness.output()) {
      assertThat(byWindow.put(id(out), out)).as("one result per window: %s", id(out)).isNull();
    }
    assertThat(byWindow).hasSameSizeAs(inputs);

    for (int i = 0; i < inputs.size(); i++) {
      ScoredWindow in = windows.get(i);
      JsonNode want = expected.get(i);
      ScoredWindow out = byWindow.get(id(in));
      assertThat(out).as("result for %s", id(in)).isNotNull();
      Alert alert = Alert.parseFrom(out.alert());
      String what = name + ": " + want.get("symbol").asText();
      assertThat(alert.getSymbol()).as(what).isEqualTo(want.get("symbol").asText());
      assertThat(alert.getType()).as(what + " type").isEqualTo(type(want.get("type").asText()));
      assertThat(alert.getMarket().getSymbols()).as(what + " symbols").isEqualTo(want.get("symbols").asInt());
      assertThat(alert.getMarket().getMoving()).as(what + " moving").isEqualTo(want.get("moving").asInt());
      assertThat(alert.getReasonsCount()).as(what + " reasons").isEqualTo(want.get("reasons").asInt());
      if (want.has("lastReason")) {
        Reason last = alert.getReasons(alert.getReasonsCount() - 1);
        assertThat(last.getText()).as(what + " last reason").isEqualTo(want.get("lastReason").asText());
        assertThat(last.getFeature()).isEqualTo("market");
        assertThat(last.getDetector()).isEqualTo("market-context");
        assertThat(last.getActual()).isEqualTo(alert.getMarket().getMoving());
        assertThat(last.getTypical()).isEqualTo(alert.getMarket().getSymbols());
        assertThat(last.getZ()).isZero();
      }
      // Typing only: the routing fields and the scorer's half of the context stay.
      assertThat(out.anomaly()).isEqualTo(in.anomaly());
      assertThat(out.severity()).isEqualTo(in.severity());
      Alert before = Alert.parseFrom(in.alert());
      assertThat(alert.getMarket().getDirection()).isEqualTo(before.getMarket().getDirection());
      assertThat(alert.getReasonsList().subList(0, before.getReasonsCount())).isEqualTo(before.getReasonsList());
      if (!in.priceCandidate()) {
        assertThat(out.alert()).as("a window that is not a price candidate passes unchanged").isEqualTo(in.alert());
      }
    }
    assertThat(harness.test().numEventTimeTimers()).isZero();
    assertThat(harness.test().numKeyedStateEntries()).isZero();
  }

  // ---------------------------------------------------------------------------------------------
  // The stage's own behaviour.

  @Test
  void emitsAMomentOnceItsWatermarkPassesSortedBySymbolWithTheWindowsTimestamp() throws Exception {
    Harness harness = harness();
    harness.add(crash("XRPUSDT", T0));
    harness.add(crash("BTCUSDT", T0));
    harness.add(crash("ETHUSDT", T0 + TEN_SECONDS_MS));
    harness.add(crash("ADAUSDT", T0));

    harness.test().processWatermark(new Watermark(T0 + TEN_SECONDS_MS - 2));
    assertThat(harness.output()).isEmpty();
    harness.test().processWatermark(new Watermark(T0 + TEN_SECONDS_MS - 1));

    List<StreamRecord<? extends ScoredWindow>> out = harness.test().extractOutputStreamRecords();
    assertThat(out).extracting(r -> r.getValue().symbol()).containsExactly("ADAUSDT", "BTCUSDT", "XRPUSDT");
    assertThat(out).allSatisfy(r -> assertThat(r.getTimestamp()).isEqualTo(T0 + TEN_SECONDS_MS - 1));
    assertThat(out).allSatisfy(r -> assertThat(alert(r.getValue()).getType()).isEqualTo(AnomalyType.ANOMALY_TYPE_MARKET_WIDE_MOVE));
    assertThat(harness.counter("marketWideWindows")).isEqualTo(3);

    // ETH alone in the next moment: a crash, not market-wide.
    harness.test().processWatermark(new Watermark(T0 + 2 * TEN_SECONDS_MS));
    ScoredWindow eth = harness.output().get(3);
    assertThat(alert(eth).getType()).isEqualTo(AnomalyType.ANOMALY_TYPE_FLASH_CRASH);
    assertThat(alert(eth).getMarket().getSymbols()).isEqualTo(1);
    assertThat(harness.counter("marketWideWindows")).isEqualTo(3);
    assertThat(harness.counter("marketContextLateWindows")).isZero();
  }

  @Test
  void windowsThatAreNotPriceCandidatesPassAtOnceAndOnlyCount() throws Exception {
    Harness harness = harness();
    harness.add(calm("SOLUSDT", T0));
    harness.add(calm("ADAUSDT", T0));
    ScoredWindow empty = scored(crashAlert("DOGEUSDT", T0).setTradeCount(0).build());
    harness.add(empty);
    // No watermark yet: the two calm windows and the trade-less one are out, unchanged.
    assertThat(harness.output()).extracting(ScoredWindow::symbol).containsExactly("SOLUSDT", "ADAUSDT", "DOGEUSDT");
    assertThat(harness.output().get(2).alert()).isEqualTo(empty.alert());
    harness.add(crash("BTCUSDT", T0));
    assertThat(harness.output()).hasSize(3);

    harness.test().processWatermark(new Watermark(T0 + TEN_SECONDS_MS));
    Alert btc = alert(harness.output().get(3));
    // 1 mover of 3 symbols with trades (the trade-less DOGE is not one).
    assertThat(btc.getMarket().getSymbols()).isEqualTo(3);
    assertThat(btc.getMarket().getMoving()).isEqualTo(1);
    assertThat(btc.getType()).isEqualTo(AnomalyType.ANOMALY_TYPE_FLASH_CRASH);
    assertThat(harness.test().numEventTimeTimers()).isZero();
    assertThat(harness.test().numKeyedStateEntries()).isZero();

    // A moment without candidates clears its count at the watermark too.
    harness.add(calm("SOLUSDT", T0 + TEN_SECONDS_MS));
    assertThat(harness.test().numKeyedStateEntries()).isEqualTo(1);
    harness.test().processWatermark(new Watermark(T0 + 2 * TEN_SECONDS_MS));
    assertThat(harness.test().numKeyedStateEntries()).isZero();
    assertThat(harness.output()).hasSize(5);
  }

  @Test
  void aMomentSplitByACheckpointGivesTheSameOutputAfterARestore() throws Exception {
    List<ScoredWindow> moment =
        List.of(crash("ETHUSDT", T0), crash("BTCUSDT", T0), calm("SOLUSDT", T0), crash("XRPUSDT", T0));

    Harness uninterrupted = harness();
    for (ScoredWindow w : moment) {
      uninterrupted.add(w);
    }
    uninterrupted.test().processWatermark(new Watermark(T0 + TEN_SECONDS_MS));

    Harness before = harness();
    before.add(moment.get(0));
    before.add(moment.get(1));
    OperatorSubtaskState checkpoint = before.test().snapshot(CHECKPOINT_ID, 0);
    assertThat(before.output()).isEmpty();
    before.test().close();
    harnesses.remove(before);

    Harness after = harness(checkpoint);
    after.add(moment.get(2));
    after.add(moment.get(3));
    after.test().processWatermark(new Watermark(T0 + TEN_SECONDS_MS));

    // SOL (not a candidate) passed at once; the candidates follow at the watermark, by symbol.
    assertThat(after.output()).extracting(ScoredWindow::symbol).containsExactly("SOLUSDT", "BTCUSDT", "ETHUSDT", "XRPUSDT");
    assertThat(uninterrupted.output()).extracting(ScoredWindow::symbol).containsExactly("SOLUSDT", "BTCUSDT", "ETHUSDT", "XRPUSDT");
    for (int i = 0; i < 4; i++) {
      assertThat(after.output().get(i).alert()).isEqualTo(uninterrupted.output().get(i).alert());
    }
    Alert btc = alert(after.output().get(1));
    assertThat(btc.getType()).isEqualTo(AnomalyType.ANOMALY_TYPE_MARKET_WIDE_MOVE);
    assertThat(btc.getMarket().getSymbols()).isEqualTo(4);
    assertThat(btc.getMarket().getMoving()).isEqualTo(3);
  }

  @Test
  void aWindowArrivingAfterItsMomentFiredIsTypedAtOnceAndCountedNotDropped() throws Exception {
    Harness harness = harness();
    harness.add(crash("BTCUSDT", T0));
    harness.test().processWatermark(new Watermark(T0 + TEN_SECONDS_MS));
    assertThat(harness.output()).hasSize(1);

    // E.g. a window re-fired by a late trade (--allowed-lateness): no watermark needed to see it.
    ScoredWindow late = crash("ETHUSDT", T0);
    harness.add(late);
    assertThat(harness.output()).hasSize(2);
    ScoredWindow out = harness.output().get(1);
    assertThat(out.symbol()).isEqualTo("ETHUSDT");
    assertThat(harness.test().extractOutputStreamRecords().get(1).getTimestamp()).isEqualTo(T0 + TEN_SECONDS_MS - 1);
    // Its moment was already typed: it is a moment of its own.
    assertThat(alert(out).getMarket().getSymbols()).isEqualTo(1);
    assertThat(alert(out).getType()).isEqualTo(AnomalyType.ANOMALY_TYPE_FLASH_CRASH);
    assertThat(harness.counter("marketContextLateWindows")).isEqualTo(1);
    assertThat(harness.test().numEventTimeTimers()).isZero();
    assertThat(harness.test().numKeyedStateEntries()).isZero();

    // A later watermark emits nothing more.
    harness.test().processWatermark(new Watermark(T0 + 10 * TEN_SECONDS_MS));
    assertThat(harness.output()).hasSize(2);
  }

  @Test
  void undecodableAlertBytesPassThroughUnchangedAndCountAsSymbolsByTheirTradeCount() throws Exception {
    Harness harness = harness();
    byte[] garbage = {(byte) 0xff, (byte) 0xff, (byte) 0xff};
    // A price candidate by its routing fields whose bytes cannot be read (cannot come from the
    // scoring operator, which re-encodes parsed alerts).
    ScoredWindow broken = new ScoredWindow("AAAUSDT", "10s", T0, T0 + TEN_SECONDS_MS, true, 80, 10, -1, garbage);
    harness.add(broken);
    harness.add(crash("BTCUSDT", T0));
    harness.add(crash("ETHUSDT", T0));
    harness.test().processWatermark(new Watermark(T0 + TEN_SECONDS_MS));

    List<ScoredWindow> out = harness.output();
    assertThat(out).extracting(ScoredWindow::symbol).containsExactly("AAAUSDT", "BTCUSDT", "ETHUSDT");
    assertThat(out.get(0)).usingRecursiveComparison().isEqualTo(broken);
    assertThat(out.get(0).alert()).isEqualTo(garbage);
    assertThat(harness.counter("marketContextUndecodable")).isEqualTo(1);
    assertThat(alert(out.get(1)).getType()).isEqualTo(AnomalyType.ANOMALY_TYPE_MARKET_WIDE_MOVE);
    assertThat(alert(out.get(1)).getMarket().getSymbols()).isEqualTo(3);
    assertThat(alert(out.get(1)).getMarket().getMoving()).isEqualTo(2);
  }

  @Test
  void anAlertWithoutMarketContextIsPresentNeverMovingAndLeftAsItIs() throws Exception {
    Harness harness = harness();
    ScoredWindow older = scored(crashAlert("ETHUSDT", T0).clearMarket().build());
    harness.add(crash("BTCUSDT", T0));
    harness.add(older);
    harness.add(crash("XRPUSDT", T0));
    harness.add(calm("SOLUSDT", T0));
    harness.test().processWatermark(new Watermark(T0 + TEN_SECONDS_MS));

    Map<String, ScoredWindow> out = new HashMap<>();
    harness.output().forEach(w -> out.put(w.symbol(), w));
    assertThat(out.get("ETHUSDT").alert()).isEqualTo(older.alert());
    // 2 movers of 4 symbols (ETH counted, not moving): exactly the 0.5 share.
    for (String mover : List.of("BTCUSDT", "XRPUSDT")) {
      Alert a = alert(out.get(mover));
      assertThat(a.getMarket().getSymbols()).isEqualTo(4);
      assertThat(a.getMarket().getMoving()).isEqualTo(2);
      assertThat(a.getType()).isEqualTo(AnomalyType.ANOMALY_TYPE_MARKET_WIDE_MOVE);
      assertThat(a.getReasons(a.getReasonsCount() - 1).getText())
          .isEqualTo("2 of 4 symbols moved down together in this window (BTCUSDT, XRPUSDT)");
    }
  }

  @Test
  void scoredWindowsAreAFlinkPojoSoStateAndNetworkNeedNoKryo() {
    TypeInformation<ScoredWindow> type = TypeInformation.of(ScoredWindow.class);
    assertThat(type).isInstanceOf(PojoTypeInfo.class);
    SerializerConfigImpl noKryo = new SerializerConfigImpl();
    noKryo.setGenericTypes(false);
    // Throws for a generic type when generic types are disabled.
    assertThat(type.createSerializer(noKryo)).isNotNull();
  }

  // ---------------------------------------------------------------------------------------------

  private static List<JsonNode> list(JsonNode array) {
    List<JsonNode> nodes = new ArrayList<>();
    array.forEach(nodes::add);
    return nodes;
  }

  private static AnomalyType type(String fixtureName) {
    return AnomalyType.valueOf("ANOMALY_TYPE_" + fixtureName);
  }

  private static long intervalMs(String label) {
    return Arrays.stream(KlineInterval.values())
        .filter(i -> i.label().equals(label))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("interval " + label))
        .size()
        .toMillis();
  }

  /** An alert with the fixture's fields; "reasons": N means N placeholder reasons. */
  private static Alert fromFixture(JsonNode input) {
    String interval = input.get("interval").asText();
    long start = input.get("windowStartMs").asLong();
    AnomalyType type = type(input.get("type").asText());
    Alert.Builder alert =
        Alert.newBuilder()
            .setSymbol(input.get("symbol").asText())
            .setInterval(interval)
            .setWindowStartMs(start)
            .setWindowEndMs(start + intervalMs(interval))
            .setTradeCount(input.get("tradeCount").asLong())
            .setType(type)
            .setIsAnomaly(type != AnomalyType.ANOMALY_TYPE_UNSPECIFIED)
            .setSeverity(type != AnomalyType.ANOMALY_TYPE_UNSPECIFIED ? 70 : 0);
    for (int i = 0; i < input.get("reasons").asInt(); i++) {
      alert.addReasons(Reason.newBuilder().setFeature("placeholder-" + i).setDetector("fixture").setText("placeholder " + i));
    }
    if (input.has("market")) {
      JsonNode m = input.get("market");
      alert.setMarket(
          MarketContext.newBuilder()
              .setDirection(m.get("direction").asInt())
              .setRuleMinSymbols(m.get("ruleMinSymbols").asInt())
              .setRuleMinShare(m.get("ruleMinShare").asDouble()));
    }
    return alert.build();
  }

  private static ScoredWindow scored(Alert alert) {
    return new ScoredWindow(
        alert.getSymbol(),
        alert.getInterval(),
        alert.getWindowStartMs(),
        alert.getWindowEndMs(),
        alert.getIsAnomaly(),
        alert.getSeverity(),
        alert.getTradeCount(),
        alert.hasMarket() ? alert.getMarket().getDirection() : 0,
        alert.toByteArray());
  }

  private static Alert.Builder crashAlert(String symbol, long start) {
    return Alert.newBuilder()
        .setSymbol(symbol)
        .setInterval("10s")
        .setWindowStartMs(start)
        .setWindowEndMs(start + TEN_SECONDS_MS)
        .setTradeCount(10)
        .setReturnPct(-1.5)
        .setIsAnomaly(true)
        .setSeverity(90)
        .setType(AnomalyType.ANOMALY_TYPE_FLASH_CRASH)
        .addReasons(Reason.newBuilder().setFeature("log_return").setDetector("zscore").setText("return -1.5%"))
        .setMarket(MarketContext.newBuilder().setDirection(-1).setRuleMinSymbols(2).setRuleMinShare(0.5));
  }

  /** A 10 s window of {@code symbol} that crashed (a price candidate moving down). */
  private static ScoredWindow crash(String symbol, long start) {
    return scored(crashAlert(symbol, start).build());
  }

  /** A 10 s window with trades that is not a price candidate. */
  private static ScoredWindow calm(String symbol, long start) {
    return scored(
        Alert.newBuilder()
            .setSymbol(symbol)
            .setInterval("10s")
            .setWindowStartMs(start)
            .setWindowEndMs(start + TEN_SECONDS_MS)
            .setTradeCount(10)
            .setMarket(MarketContext.newBuilder().setDirection(0).setRuleMinSymbols(2).setRuleMinShare(0.5))
            .build());
  }

  private static Alert alert(ScoredWindow window) throws Exception {
    return Alert.parseFrom(window.alert());
  }

  private static String id(ScoredWindow window) {
    return window.symbol() + "/" + window.interval() + "@" + window.windowStartMs();
  }
}
