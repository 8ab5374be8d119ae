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
import io.cryptoanomaly.proto.v1.KeyState;
import io.cryptoanomaly.proto.v1.ScoreBundleRequest;
import io.cryptoanomaly.proto.v1.WindowToScore;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.tasks.mailbox.Mail;
import org.apache.flink.streaming.runtime.tasks.mailbox.TaskMailbox;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link RemoteScoringOperator} with calls in flight ({@code maxInFlight} &gt; 0): the calls run on
 * the operator's call threads, the fake scorer can hold them, and the test plays the task thread.
 */
class RemoteScoringOperatorInFlightTest {
  private static final String BTC = "BTCUSDT";
  private static final String ETH = "ETHUSDT";
  private static final String SOL = "SOLUSDT";
  private static final String XRP = "XRPUSDT";
  private static final long T0 = 1_723_161_600_000L;
  private static final Duration LONG_AGE = Duration.ofMinutes(10);
  private static final Duration AGE = Duration.ofMillis(200);
  private static final long WAIT_MS = 10_000;
  /** How long a blocked task thread is given to (wrongly) go on. */
  private static final long BLOCKED_MS = 300;

  private final FakeScorer scorer = new FakeScorer();
  private final List<KeyedOneInputStreamOperatorTestHarness<String, ClosedWindow, ScoredWindow>> harnesses = new ArrayList<>();

  @AfterEach
  void closeHarnesses() throws Exception {
    scorer.release();
    for (var harness : harnesses) {
      harness.close();
    }
  }

  private KeyedOneInputStreamOperatorTestHarness<String, ClosedWindow, ScoredWindow> harness(
      int bundleSize, Duration age, int maxInFlight, OperatorSubtaskState restoreFrom) throws Exception {
    var operator =
        new RemoteScoringOperator(scorer.factory(), new RemoteScoringOperator.BundleSettings(bundleSize, age, maxInFlight));
    var harness = new KeyedOneInputStreamOperatorTestHarness<>(operator, w -> BundleCodec.stateKey(w), Types.STRING);
    harnesses.add(harness);
    harness.setProcessingTime(0);
    if (restoreFrom != null) {
      harness.initializeState(restoreFrom);
    }
    harness.open();
    return harness;
  }

  private static StreamRecord<ClosedWindow> record(ClosedWindow window) {
    return new StreamRecord<>(window, window.windowEndMs() - 1);
  }

  private static long windowsSeen(KeyState state) {
    return state.getState().isEmpty() ? 0 : ByteBuffer.wrap(state.getState().toByteArray()).getLong(0);
  }

  private static List<String> windowIds(ScoreBundleRequest request) {
    return request.getWindowsList().stream().map(w -> w.getKey() + "@" + w.getWindowStartMs()).toList();
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > until) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(5);
    }
  }

  /** Runs {@code action} as the task thread would, on another thread, so the test can watch it block. */
  private static CompletableFuture<Void> inBackground(ThrowingAction action) {
    return CompletableFuture.runAsync(
        () -> {
          try {
            action.run();
          } catch (Exception e) {
            throw new RuntimeException(e);
          }
        });
  }

  @FunctionalInterface
  private interface ThrowingAction {
    void run() throws Exception;
  }

  private static List<String> results(KeyedOneInputStreamOperatorTestHarness<String, ClosedWindow, ScoredWindow> harness) {
    return harness.extractOutputValues().stream().map(s -> s.symbol() + "@" + s.windowStartMs()).toList();
  }

  @Test
  void sendsBundlesWithDisjointKeysWhileEarlierOnesAreInFlight() throws Exception {
    var harness = harness(2, LONG_AGE, 2, null);
    scorer.hold();
    harness.processElement(record(tenSeconds(BTC, T0, "100")));
    harness.processElement(record(tenSeconds(ETH, T0, "10")));
    harness.processElement(record(tenSeconds(SOL, T0, "20")));
    harness.processElement(record(tenSeconds(XRP, T0, "1")));

    // Two calls outstanding at once; nothing applied yet.
    await(() -> scorer.requests.size() == 2, "two calls in flight");
    assertThat(harness.extractOutputValues()).isEmpty();

    scorer.release();
    harness.prepareSnapshotPreBarrier(1);
    assertThat(results(harness)).containsExactly("BTCUSDT@" + T0, "ETHUSDT@" + T0, "SOLUSDT@" + T0, "XRPUSDT@" + T0);
  }

  @Test
  void aBundleWithAKeyStillInFlightWaitsAndChainsFromItsResult() throws Exception {
    var harness = harness(2, LONG_AGE, 4, null);
    scorer.hold();
    harness.processElement(record(tenSeconds(BTC, T0, "100")));
    harness.processElement(record(tenSeconds(ETH, T0, "10")));
    await(() -> scorer.requests.size() == 1, "the first call");

    // BTC's next window: its bundle may not go while BTC's state is still in flight.
    CompletableFuture<Void> task =
        inBackground(
            () -> {
              harness.processElement(record(tenSeconds(BTC, T0 + TEN_SECONDS_MS, "101")));
              harness.processElement(record(tenSeconds(SOL, T0 + TEN_SECONDS_MS, "20")));
            });
    Thread.sleep(BLOCKED_MS);
    assertThat(task).isNotDone();
    assertThat(scorer.requests).hasSize(1);

    scorer.release();
    task.get(WAIT_MS, TimeUnit.MILLISECONDS);
    harness.prepareSnapshotPreBarrier(1);

    assertThat(scorer.requests).hasSize(2);
    ScoreBundleRequest second = scorer.requests.get(1);
    assertThat(windowIds(second)).containsExactly("BTCUSDT/10s@" + (T0 + TEN_SECONDS_MS), "SOLUSDT/10s@" + (T0 + TEN_SECONDS_MS));
    // Read after the first bundle was applied: BTC's state has seen one window.
    assertThat(second.getStatesList()).extracting(KeyState::getKey).containsExactly("BTCUSDT/10s", "SOLUSDT/10s");
    assertThat(windowsSeen(second.getStates(0))).isEqualTo(1);
    assertThat(results(harness))
        .containsExactly("BTCUSDT@" + T0, "ETHUSDT@" + T0, "BTCUSDT@" + (T0 + TEN_SECONDS_MS), "SOLUSDT@" + (T0 + TEN_SECONDS_MS));
  }

  @Test
  void holdsTheWatermarkUntilEveryBundleBeforeItIsApplied() throws Exception {
    var harness = harness(1_000, LONG_AGE, 2, null);
    scorer.hold();
    harness.processElement(record(tenSeconds(BTC, T0, "100")));
    harness.processElement(record(tenSeconds(ETH, T0, "10")));
    Watermark mark = new Watermark(T0 + TEN_SECONDS_MS - 1);
    harness.processWatermark(mark);
    await(() -> scorer.requests.size() == 1, "the call");
    // The task thread goes on, but neither the results nor the watermark went out.
    assertThat(harness.getOutput()).isEmpty();
    harness.processElement(record(tenSeconds(SOL, T0 + TEN_SECONDS_MS, "20")));
    assertThat(harness.getOutput()).isEmpty();

    // The completion comes back through the task's mailbox and is applied there.
    scorer.release();
    TaskMailbox mailbox = harness.getTaskMailbox();
    await(mailbox::hasMail, "the completion mail");
    Optional<Mail> mail = mailbox.tryTake(TaskMailbox.MIN_PRIORITY);
    assertThat(mail).isPresent();
    mail.get().run();

    List<Object> output = new ArrayList<>(harness.getOutput());
    assertThat(output).hasSize(3);
    assertThat(output.get(2)).isEqualTo(mark);
    // The next bundle's result follows the watermark, as it would without calls in flight.
    harness.prepareSnapshotPreBarrier(1);
    output = new ArrayList<>(harness.getOutput());
    assertThat(output).hasSize(4);
    assertThat(output.get(2)).isEqualTo(mark);
    assertThat(results(harness)).last().isEqualTo("SOLUSDT@" + (T0 + TEN_SECONDS_MS));
  }

  @Test
  void theCheckpointBarrierWaitsForInFlightCallsAndTheSnapshotHoldsTheirStates() throws Exception {
    var before = harness(1, LONG_AGE, 2, null);
    scorer.hold();
    before.processElement(record(tenSeconds(BTC, T0, "100")));
    before.processElement(record(tenSeconds(ETH, T0, "10")));
    await(() -> scorer.requests.size() == 2, "two calls in flight");

    CompletableFuture<Void> barrier = inBackground(() -> before.prepareSnapshotPreBarrier(1));
    Thread.sleep(BLOCKED_MS);
    assertThat(barrier).isNotDone();
    scorer.release();
    barrier.get(WAIT_MS, TimeUnit.MILLISECONDS);
    assertThat(results(before)).containsExactly("BTCUSDT@" + T0, "ETHUSDT@" + T0);
    OperatorSubtaskState snapshot = before.snapshot(1, 0);
    before.close();
    harnesses.remove(before);

    var after = harness(1, LONG_AGE, 2, snapshot);
    after.processElement(record(tenSeconds(BTC, T0 + TEN_SECONDS_MS, "101")));
    after.prepareSnapshotPreBarrier(2);
    ScoreBundleRequest restored = scorer.requests.get(scorer.requests.size() - 1);
    assertThat(restored.getStates(0).getKey()).isEqualTo("BTCUSDT/10s");
    assertThat(windowsSeen(restored.getStates(0))).isEqualTo(1);
  }

  @Test
  void aFailedInFlightCallFailsTheOperatorAndReleasesNothing() throws Exception {
    var harness = harness(1, LONG_AGE, 2, null);
    scorer.failWith(new ScoringException(true, "gave up after 7 attempts in 60000 ms (budget 60000 ms)"));
    harness.processElement(record(tenSeconds(BTC, T0, "100")));

    // The failure surfaces at the operator's next step after the call completes: the watermark
    // if the call has already failed by then, else the barrier that waits for it.
    assertThatThrownBy(() -> {
          harness.processWatermark(new Watermark(T0 + TEN_SECONDS_MS - 1));
          harness.prepareSnapshotPreBarrier(1);
        })
        .isInstanceOf(ScoringException.class)
        .hasMessageContaining("bundle of 1 windows failed")
        .hasMessageContaining("gave up")
        .satisfies(e -> assertThat(((ScoringException) e).retriable()).isTrue());
    // Neither a result nor the held watermark went out: the restart replays the window.
    assertThat(harness.getOutput()).isEmpty();
    harnesses.remove(harness);
  }

  @Test
  void randomFlushesWithCallsInFlightChainEveryKeyAndKeepTheOrder() throws Exception {
    var harness = harness(3, AGE, 3, null);
    Random random = new Random(7);
    String[] symbols = {BTC, ETH, SOL, XRP, "BNBUSDT", "ADAUSDT"};
    List<String> sent = new ArrayList<>();
    List<Object> expectedWatermarks = new ArrayList<>();
    long now = 0;
    for (int window = 0; window < 40; window++) {
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
        case 0 -> {
          Watermark mark = new Watermark(start + TEN_SECONDS_MS - 1);
          harness.processWatermark(mark);
          expectedWatermarks.add(mark);
        }
        case 1 -> harness.prepareSnapshotPreBarrier(window);
        default -> {}
      }
    }
    harnesses.remove(harness);
    harness.close();

    assertThat(results(harness)).containsExactlyElementsOf(sent);
    assertThat(harness.getOutput().stream().filter(o -> o instanceof Watermark).toList()).containsExactlyElementsOf(expectedWatermarks);
    // Every request carried each key's state after all of that key's earlier windows: no lost or
    // stale state, whatever was in flight.
    Map<String, Long> scoredSoFar = new HashMap<>();
    for (ScoreBundleRequest request : scorer.requests) {
      for (KeyState state : request.getStatesList()) {
        assertThat(windowsSeen(state)).as(state.getKey() + " in " + request.getBundleId()).isEqualTo(scoredSoFar.getOrDefault(state.getKey(), 0L));
      }
      for (WindowToScore window : request.getWindowsList()) {
        scoredSoFar.merge(window.getKey(), 1L, Long::sum);
      }
    }
  }
}
