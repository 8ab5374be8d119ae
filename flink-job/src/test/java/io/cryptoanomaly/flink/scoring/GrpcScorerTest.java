package io.cryptoanomaly.flink.scoring;

import static io.cryptoanomaly.flink.Windows.tenSeconds;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cryptoanomaly.flink.records.ArrowTradesEncoder;
import io.cryptoanomaly.proto.v1.ScoreBundleRequest;
import io.cryptoanomaly.proto.v1.ScoreBundleResponse;
import io.cryptoanomaly.proto.v1.ScoringServiceGrpc;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link GrpcScorer} against a real grpc-java server on 127.0.0.1, port 0, whose service follows a
 * script (fail with a status, answer late) and then answers like the stub scorer.
 */
class GrpcScorerTest {
  private static final long T0 = 1_723_161_600_000L;
  /** Generous: the tests that are not about deadlines must not trip over a slow CI machine. */
  private static final Duration DEADLINE = Duration.ofSeconds(2);
  private static final Duration SHORT_DEADLINE = Duration.ofMillis(300);
  private static final Duration BUDGET = Duration.ofSeconds(3);
  private static final Backoff FAST_BACKOFF = new Backoff(Duration.ofMillis(20), Duration.ofMillis(100));
  /** Longer than SHORT_DEADLINE: the client gives up on the attempt. */
  private static final Duration TOO_SLOW = Duration.ofMillis(800);

  /** One scripted answer of the test service. */
  private sealed interface Step permits Fail, Delay {}

  private record Fail(Status status) implements Step {}

  private record Delay(Duration delay) implements Step {}

  private final ConcurrentLinkedDeque<Step> script = new ConcurrentLinkedDeque<>();
  private final AtomicInteger calls = new AtomicInteger();
  private volatile Step always;
  private Server server;
  private GrpcScorer scorer;

  private final class ScriptedService extends ScoringServiceGrpc.ScoringServiceImplBase {
    private final StubScorer stub = new StubScorer();

    @Override
    public void scoreBundle(ScoreBundleRequest request, StreamObserver<ScoreBundleResponse> response) {
      calls.incrementAndGet();
      Step step = always != null ? always : script.poll();
      try {
        if (step instanceof Fail fail) {
          response.onError(fail.status().asRuntimeException());
          return;
        }
        if (step instanceof Delay delay) {
          Thread.sleep(delay.delay().toMillis());
        }
        response.onNext(stub.score(request));
        response.onCompleted();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        response.onError(Status.CANCELLED.asRuntimeException());
      } catch (ScoringException e) {
        response.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
      }
    }
  }

  /**
   * Loads gRPC's and Netty's classes once, so the first test's first call does not spend a short
   * deadline on class loading.
   */
  @BeforeAll
  static void warmUp() throws Exception {
    GrpcScorerTest warm = new GrpcScorerTest();
    warm.startServer();
    try {
      warm.scorer(Duration.ofSeconds(30), Duration.ofSeconds(30)).score(request());
    } finally {
      warm.stop();
    }
  }

  @BeforeEach
  void startServer() throws Exception {
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(new ScriptedService()).build().start();
  }

  @AfterEach
  void stop() throws Exception {
    if (scorer != null) {
      scorer.close();
    }
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private GrpcScorer scorer(Duration deadline, Duration budget) {
    scorer =
        new GrpcScorer(
            new GrpcScorer.Settings(
                "127.0.0.1:" + server.getPort(), deadline, budget, FAST_BACKOFF, GrpcScorer.Settings.DEFAULT_MAX_MESSAGE_BYTES));
    return scorer;
  }

  private static ScoreBundleRequest request() {
    Map<String, byte[]> states = new LinkedHashMap<>();
    states.put("BTCUSDT/10s", new byte[0]);
    try (ArrowTradesEncoder arrow = new ArrowTradesEncoder()) {
      return BundleCodec.request("test-1", states, List.of(tenSeconds("BTCUSDT", T0, "100", "101")), arrow);
    }
  }

  @Test
  void scoresABundleOverTheWireWithStateAndResultsIntact() throws Exception {
    ScoreBundleRequest request = request();
    ScoreBundleResponse response = scorer(DEADLINE, BUDGET).score(request);

    assertThat(response).isEqualTo(new StubScorer().score(request));
    assertThat(BundleCodec.results(request, response)).hasSize(1);
    assertThat(calls).hasValue(1);
  }

  @Test
  void retriesUnavailableThenSucceeds() throws Exception {
    script.add(new Fail(Status.UNAVAILABLE.withDescription("restarting")));
    script.add(new Fail(Status.RESOURCE_EXHAUSTED.withDescription("overloaded")));

    ScoreBundleResponse response = scorer(DEADLINE, BUDGET).score(request());

    assertThat(response.getResultsCount()).isEqualTo(1);
    assertThat(calls).hasValue(3);
    assertThat(scorer.retries()).isEqualTo(2);
  }

  @Test
  void doesNotRetryInvalidArgument() {
    script.add(new Fail(Status.INVALID_ARGUMENT.withDescription("windows[0]: trades_arrow lacks column price")));

    assertThatThrownBy(() -> scorer(DEADLINE, BUDGET).score(request()))
        .isInstanceOfSatisfying(ScoringException.class, e -> assertThat(e.retriable()).isFalse())
        .hasMessageContaining("INVALID_ARGUMENT")
        .hasMessageContaining("lacks column price");
    assertThat(calls).hasValue(1);
  }

  @Test
  void retriesAnAttemptThatMissedItsDeadline() throws Exception {
    script.add(new Delay(TOO_SLOW));
    long started = System.nanoTime();

    ScoreBundleResponse response = scorer(SHORT_DEADLINE, BUDGET).score(request());

    assertThat(response.getResultsCount()).isEqualTo(1);
    assertThat(calls).hasValue(2);
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(SHORT_DEADLINE);
  }

  @Test
  void countsDeadlinesAgainstTheBudgetAndGivesUpWhenItIsSpent() {
    always = new Delay(TOO_SLOW);
    Duration budget = Duration.ofMillis(700);
    long started = System.nanoTime();

    assertThatThrownBy(() -> scorer(SHORT_DEADLINE, budget).score(request()))
        .isInstanceOfSatisfying(ScoringException.class, e -> assertThat(e.retriable()).isTrue())
        .hasMessageContaining("gave up")
        .hasMessageContaining("DEADLINE_EXCEEDED");
    Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
    // At most budget / deadline attempts, and no attempt outlives the budget.
    assertThat(calls.get()).isBetween(2, 3);
    assertThat(elapsed).isLessThan(budget.plusMillis(250));
  }

  @Test
  void givesUpWhenTheSidecarIsDownForTheWholeBudget() throws Exception {
    int port = server.getPort();
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    Duration budget = Duration.ofMillis(500);
    scorer =
        new GrpcScorer(
            new GrpcScorer.Settings(
                "127.0.0.1:" + port, SHORT_DEADLINE, budget, FAST_BACKOFF, GrpcScorer.Settings.DEFAULT_MAX_MESSAGE_BYTES));
    long started = System.nanoTime();

    assertThatThrownBy(() -> scorer.score(request()))
        .isInstanceOfSatisfying(ScoringException.class, e -> assertThat(e.retriable()).isTrue())
        .hasMessageContaining("gave up")
        .hasMessageContaining("UNAVAILABLE");
    assertThat(scorer.retries()).isGreaterThanOrEqualTo(2);
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(budget.plusMillis(250));
  }
}
