package io.cryptoanomaly.flink.functions;

import static io.cryptoanomaly.flink.Windows.TEN_SECONDS_MS;
import static io.cryptoanomaly.flink.Windows.tenSeconds;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cryptoanomaly.flink.records.ClosedWindow;
import io.cryptoanomaly.flink.records.ScoredWindow;
import io.cryptoanomaly.flink.scoring.BundleCodec;
import io.cryptoanomaly.flink.scoring.FakeScorer;
import io.cryptoanomaly.flink.scoring.ScoringException;
import io.cryptoanomaly.proto.v1.Alert;
import io.cryptoanomaly.proto.v1.KeyState;
import io.cryptoanomaly.proto.v1.ScoreBundleRequest;
import io.cryptoanomaly.proto.v1.WindowToScore;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link RemoteScoringOperator} in Flink's keyed operator test harness, with a fake scorer. */
class RemoteScoringOperatorTest {
  private static final String BTC = "BTCUSDT";
  private static final String ETH = "ETHUSDT";
  private static final long T0 = 1_723_161_600_000L;
  private static final int LARGE_BUNDLE = 1_000;
  private static final Duration LONG_AGE = Duration.ofMinutes(10);
  private static final Duration AGE = Duration.ofMillis(200);
  private static final long CHECKPOINT_ID = 1;

  private final FakeScorer scorer = new FakeScorer();
  private final List<KeyedOneInputStreamOperatorTestHarness<String, ClosedWindow, ScoredWindow>> harnesses = new ArrayList<>();

  @AfterEach
  void closeHarnesses() throws Exception {
    for (var harness : harnesses) {
      harness.close();
    }
  }

  private KeyedOneInputStreamOperatorTestHarness<String, ClosedWindow, ScoredWindow> harness(
      int bundleSize, Duration age, OperatorSubtaskState restoreFrom) throws Exception {
    var operator = new RemoteScoringOperator(scorer.factory(), new RemoteScoringOperator.BundleSettings(bundleSize, age));
    var harness = new KeyedOneInputStreamOperatorTestHarness<>(operator, w -> BundleCodec.stateKey(w), Types.STRING);
    harnesses.add(harness);
    harness.setProcessingTime(0);
    if (restoreFrom != null) {
      harness.initializeState(restoreFrom);
    }
    harness.open();
    return harness;
  }

  private KeyedOneInputStreamOperatorTestHarness<String, ClosedWindow, ScoredWindow> harness(int bundleSize, Duration age)
      throws Exception {
    return harness(bundleSize, age, null);
  }

  /** As the window operator emits it: timestamp = last ms of the window. */
  private static StreamRecord<ClosedWindow> record(ClosedWindow window) {
    return new StreamRecord<>(window, window.windowEndMs() - 1);
  }

  private static Alert alert(ScoredWindow scored) throws Exception {
    return Alert.parseFrom(scored.alert());
  }

  /** The stub scorer's state: windows seen. */
  private static long windowsSeen(byte[] state) {
    return state.length == 0 ? 0 : ByteBuffer.wrap(state).getLong(0);
  }

  private static List<String> windowIds(ScoreBundleRequest request) {
    return request.getWindowsList().stream().map(w -> w.getKey() + "@" + w.getWindowStartMs()).toList();
  }

  @Test
  void flushesTheBundleBeforeTheCheckpointBarrier() throws Exception {
    var harness = harness(LARGE_BUNDLE, LONG_AGE);
    harness.processElement(record(tenSeconds(BTC, T0, "100")));
    harness.processElement(record(tenSeconds(ETH, T0, "10")));
    assertThat(scorer.requests).isEmpty();
    assertThat(harness.extractOutputValues()).isEmpty();

    // The harness does not call prepareSnapshotPreBarrier; the task does, before the barrier.
    harness.prepareSnapshotPreBarrier(CHECKPOINT_ID);
    harness.snapshot(CHECKPOINT_ID, 0);

    assertThat(scorer.requests).hasSize(1);
    assertThat(windowIds(scorer.requests.get(0))).containsExactly("BTCUSDT/10s@" + T0, "ETHUSDT/10s@" + T0);
    assertThat(harness.extractOutputValues()).extracting(ScoredWindow::symbol).containsExactly(BTC, ETH);
  }

  @Test
  void flushesOnWatermarkAndForwardsTheWatermarkOnlyAfterTheResults() throws Exception {
    var harness = harness(LARGE_BUNDLE, LONG_AGE);
    ClosedWindow btc = tenSeconds(BTC, T0, "100");
    ClosedWindow eth = tenSeconds(ETH, T0, "10");
    harness.processElement(record(btc));
    harness.processElement(record(eth));

    harness.processWatermark(new Watermark(T0 + TEN_SECONDS_MS - 1));

    assertThat(scorer.requests).hasSize(1);
    List<Object> output = new ArrayList<>(harness.getOutput());
    assertThat(output).hasSize(3);
    assertThat(output.get(0)).isInstanceOf(StreamRecord.class);
    assertThat(output.get(1)).isInstanceOf(StreamRecord.class);
    assertThat(output.get(2)).isEqualTo(new Watermark(T0 + TEN_SECONDS_MS - 1));
    // Results keep their windows' timestamps, so they are not late behind the watermark.
    @SuppressWarnings("unchecked")
    StreamRecord<ScoredWindow> first = (StreamRecord<ScoredWindow>) output.get(0);
    assertThat(first.getTimestamp()).isEqualTo(btc.windowEndMs() - 1);
  }

  @Test
  void forwardsAWatermarkWithoutACallWhenTheBundleIsEmpty() throws Exception {
    var harness = harness(LARGE_BUNDLE, LONG_AGE);
    harness.processWatermark(new Watermark(T0));
    assertThat(scorer.requests).isEmpty();
    assertThat(harness.getOutput()).containsExactly(new Watermark(T0));
  }

  @Test
  void flushesWhenTheBundleIsFull() throws Exception {
    var harness = harness(3, LONG_AGE);
    harness.processElement(record(tenSeconds(BTC, T0, "100")));
    harness.processElement(record(tenSeconds(ETH, T0, "10")));
    assertThat(scorer.requests).isEmpty();
    harness.processElement(record(tenSeconds(BTC, T0 + TEN_SECONDS_MS, "101")));
    assertThat(scorer.requests).hasSize(1);
    assertThat(scorer.requests.get(0).getWindowsCount()).isEqualTo(3);

    harness.processElement(record(tenSeconds(ETH, T0 + TEN_SECONDS_MS, "11")));
    assertThat(scorer.requests).hasSize(1);
    assertThat(harness.extractOutputValues()).hasSize(3);
  }

  @Test
  void flushesWhenTheOldestWindowReachesTheBundleAge() throws Exception {
    var harness = harness(LARGE_BUNDLE, AGE);
    harness.processElement(record(tenSeconds(BTC, T0, "100")));
    harness.setProcessingTime(AGE.toMillis() / 2);
    // A younger window does not postpone the flush: the age is the oldest window's.
    harness.processElement(record(tenSeconds(ETH, T0, "10")));
    harness.setProcessingTime(AGE.toMillis() - 1);
    assertThat(scorer.requests).isEmpty();

    harness.setProcessingTime(AGE.toMillis());
    assertThat(scorer.requests).hasSize(1);
    assertThat(scorer.requests.get(0).getWindowsCount()).isEqualTo(2);

    // The next bundle gets its own timer, counted from its first window.
    harness.processElement(record(tenSeconds(BTC, T0 + TEN_SECONDS_MS, "101")));
    harness.setProcessingTime(2 * AGE.toMillis() - 1);
    assertThat(scorer.requests).hasSize(1);
    harness.setProcessingTime(2 * AGE.toMillis());
    assertThat(scorer.requests).hasSize(2);
  }

  @Test
  void aBundleFlushedEarlierLeavesNoAgeTimerBehind() throws Exception {
    var harness = harness(LARGE_BUNDLE, AGE);
    harness.processElement(record(tenSeconds(BTC, T0, "100")));
    harness.processWatermark(new Watermark(T0 + TEN_SECONDS_MS - 1));
    assertThat(scorer.requests).hasSize(1);
    harness.setProcessingTime(AGE.toMillis() * 10);
    assertThat(scorer.requests).hasSize(1);
    assertThat(harness.numProcessingTimeTimers()).isZero();
  }

  @Test
  void chainsTheStateOfTwoWindowsOfOneKeyInOneBundle() throws Exception {
    var harness = harness(LARGE_BUNDLE, LONG_AGE);
    harness.processElement(record(tenSeconds(BTC, T0, "100")));
    harness.processElement(record(tenSeconds(ETH, T0, "10")));
    harness.processElement(record(tenSeconds(BTC, T0 + TEN_SECONDS_MS, "101")));
    harness.processWatermark(new Watermark(T0 + 2 * TEN_SECONDS_MS - 1));

    ScoreBundleRequest first = scorer.requests.get(0);
    // One state per key, the one from before the bundle (empty: never seen), in first-appearance order.
    assertThat(first.getStatesList()).extracting(KeyState::getKey).containsExactly("BTCUSDT/10s", "ETHUSDT/10s");
    assertThat(first.getStatesList()).allSatisfy(s -> assertThat(s.getState().isEmpty()).isTrue());
    assertThat(first.getWindowsList()).extracting(WindowToScore::getWindowStartMs).containsExactly(T0, T0, T0 + TEN_SECONDS_MS);
    // The scorer chained BTC's state: the second BTC window saw the first one's close.
    List<ScoredWindow> results = harness.extractOutputValues();
    assertThat(alert(results.get(2)).getReturnPct()).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));

    // The stored state is the response's final state: the next bundle sends it back.
    harness.processElement(record(tenSeconds(BTC, T0 + 2 * TEN_SECONDS_MS, "102")));
    harness.prepareSnapshotPreBarrier(CHECKPOINT_ID);
    ScoreBundleRequest second = scorer.requests.get(1);
    assertThat(second.getStatesList()).extracting(KeyState::getKey).containsExactly("BTCUSDT/10s");
    assertThat(windowsSeen(second.getStates(0).getState().toByteArray())).isEqualTo(2);
  }

  @Test
  void startsANewBundleWhenAKeysWindowIsNotLaterThanOneAlreadyInTheBundle() throws Exception {
    var harness = harness(LARGE_BUNDLE, LONG_AGE);
    harness.processElement(record(tenSeconds(BTC, T0, "100")));
    harness.processElement(record(tenSeconds(BTC, T0 + TEN_SECONDS_MS, "101")));
    // Re-fired by allowed lateness: an updated version of the first window.
    harness.processElement(record(tenSeconds(BTC, T0, "100", "99")));
    harness.processElement(record(tenSeconds(ETH, T0, "10")));
    harness.prepareSnapshotPreBarrier(CHECKPOINT_ID);

    assertThat(scorer.requests).extracting(RemoteScoringOperatorTest::windowIds)
        .containsExactly(
            List.of("BTCUSDT/10s@" + T0, "BTCUSDT/10s@" + (T0 + TEN_SECONDS_MS)),
            List.of("BTCUSDT/10s@" + T0, "ETHUSDT/10s@" + T0));
    assertThat(harness.extractOutputValues()).hasSize(4);
  }

  @Test
  void keepsDetectorStateAcrossSnapshotAndRestore() throws Exception {
    var before = harness(LARGE_BUNDLE, LONG_AGE);
    before.processElement(record(tenSeconds(BTC, T0, "100")));
    before.processElement(record(tenSeconds(BTC, T0 + TEN_SECONDS_MS, "101")));
    before.prepareSnapshotPreBarrier(CHECKPOINT_ID);
    OperatorSubtaskState snapshot = before.snapshot(CHECKPOINT_ID, 0);
    before.close();
    harnesses.remove(before);

    var after = harness(LARGE_BUNDLE, LONG_AGE, snapshot);
    after.processElement(record(tenSeconds(BTC, T0 + 2 * TEN_SECONDS_MS, "102")));
    after.processElement(record(tenSeconds(ETH, T0 + 2 * TEN_SECONDS_MS, "10")));
    after.processWatermark(new Watermark(T0 + 3 * TEN_SECONDS_MS - 1));

    ScoreBundleRequest restored = scorer.requests.get(scorer.requests.size() - 1);
    assertThat(restored.getStates(0).getKey()).isEqualTo("BTCUSDT/10s");
    assertThat(windowsSeen(restored.getStates(0).getState().toByteArray())).isEqualTo(2);
    assertThat(restored.getStates(1).getState().isEmpty()).isTrue();
    assertThat(alert(after.extractOutputValues().get(0)).getReturnPct())
        .isCloseTo((102.0 / 101 - 1) * 100, org.assertj.core.data.Offset.offset(1e-9));
  }

  @Test
  void failsTheOperatorWhenTheScorerGivesUp() throws Exception {
    var harness = harness(LARGE_BUNDLE, LONG_AGE);
    scorer.failWith(new ScoringException(true, "gave up after 7 attempts in 60000 ms (budget 60000 ms)"));
    harness.processElement(record(tenSeconds(BTC, T0, "100")));

    assertThatThrownBy(() -> harness.processWatermark(new Watermark(T0 + TEN_SECONDS_MS - 1)))
        .isInstanceOf(ScoringException.class)
        .hasMessageContaining("bundle of 1 windows failed")
        .hasMessageContaining("gave up");
    // Neither a result nor the watermark went out: the restart replays the window.
    assertThat(harness.getOutput()).isEmpty();
    harnesses.remove(harness);
  }

  @Test
  void treatsAResultMissingFromTheResponseAsAnError() throws Exception {
    var harness = harness(LARGE_BUNDLE, LONG_AGE);
    scorer.tamperWith(response -> response.toBuilder().removeResults(1).build());
    harness.processElement(record(tenSeconds(BTC, T0, "100")));
    harness.processElement(record(tenSeconds(ETH, T0, "10")));

    assertThatThrownBy(() -> harness.prepareSnapshotPreBarrier(CHECKPOINT_ID))
        .isInstanceOf(ScoringException.class)
        .hasMessageContaining("1 results for 2 windows");
    assertThat(harness.getOutput()).isEmpty();
    harnesses.remove(harness);
  }

  @Test
  void treatsAStateMissingFromTheResponseAsAnError() throws Exception {
    var harness = harness(LARGE_BUNDLE, LONG_AGE);
    scorer.tamperWith(response -> response.toBuilder().removeStates(0).build());
    harness.processElement(record(tenSeconds(BTC, T0, "100")));

    // close() calls finish(), as at the end of a bounded input.
    harnesses.remove(harness);
    assertThatThrownBy(harness::close)
        .isInstanceOf(ScoringException.class)
        .hasMessageContaining("no state returned for key BTCUSDT/10s");
  }

  @Test
  void emitsExactlyOneResultPerWindowWhateverTriggersTheFlushes() throws Exception {
    var harness = harness(7, AGE);
    Random random = new Random(42);
    String[] symbols = {"BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT", "XRPUSDT"};
    List<String> sent = new ArrayList<>();
    long now = 0;
    for (int window = 0; window < 20; window++) {
      long start = T0 + window * TEN_SECONDS_MS;
      for (String symbol : symbols) {
        if (random.nextInt(4) > 0) {
          harness.processElement(record(tenSeconds(symbol, start, Integer.toString(100 + random.nextInt(5)))));
          sent.add(symbol + "@" + start);
        }
        now += random.nextInt(60);
        harness.setProcessingTime(now);
      }
      switch (random.nextInt(3)) {
        case 0 -> harness.processWatermark(new Watermark(start + TEN_SECONDS_MS - 1));
        case 1 -> harness.prepareSnapshotPreBarrier(window);
        default -> {}
      }
    }
    // End of input: close() calls finish(), which flushes what is left.
    harnesses.remove(harness);
    harness.close();

    assertThat(harness.extractOutputValues()).extracting(s -> s.symbol() + "@" + s.windowStartMs()).containsExactlyElementsOf(sent);
    assertThat(scorer.requests.stream().mapToInt(ScoreBundleRequest::getWindowsCount).sum()).isEqualTo(sent.size());
    assertThat(scorer.requests).allSatisfy(r -> assertThat(r.getWindowsCount()).isLessThanOrEqualTo(7));
  }
}
