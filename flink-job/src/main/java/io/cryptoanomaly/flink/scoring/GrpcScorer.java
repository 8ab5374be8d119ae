package io.cryptoanomaly.flink.scoring;

import io.cryptoanomaly.proto.v1.ScoreBundleRequest;
import io.cryptoanomaly.proto.v1.ScoreBundleResponse;
import io.cryptoanomaly.proto.v1.ScoringServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.Serializable;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sidecar client: one long-lived plaintext HTTP/2 channel (the sidecar runs next to the
 * TaskManager, on loopback or in the same pod), one blocking {@code ScoreBundle} call per bundle.
 * Thread-safe: the scoring operator may run up to {@code --scoring-max-in-flight} calls at once,
 * each on its own call thread, as concurrent streams of the one channel.
 *
 * <p>Failure policy, all inside one call of {@link #score}:
 *
 * <ul>
 *   <li>each attempt has a deadline of {@code min(deadline, what is left of the budget)};
 *   <li>UNAVAILABLE (sidecar down or restarting), DEADLINE_EXCEEDED (slow) and RESOURCE_EXHAUSTED
 *       (overloaded) are retried after an exponential backoff with jitter ({@link Backoff});
 *   <li>everything else (INVALID_ARGUMENT above all: the same request fails the same way) throws
 *       at once, not retriable;
 *   <li>when the total {@code budget} since the first attempt is spent, it throws (retriable), so
 *       the job fails and its restart strategy restarts it from the last checkpoint.
 * </ul>
 *
 * Retrying here and not in Flink: a checkpoint barrier waits for every in-flight call; a budget
 * bounds that wait. Flink's async retry helpers cannot reach keyed state.
 */
public final class GrpcScorer implements Scorer {
  private static final Logger LOG = LoggerFactory.getLogger(GrpcScorer.class);

  /** Status codes that a later attempt may not see. */
  static final Set<Status.Code> RETRIABLE =
      EnumSet.of(Status.Code.UNAVAILABLE, Status.Code.DEADLINE_EXCEEDED, Status.Code.RESOURCE_EXHAUSTED);

  private static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(5);
  private static final int FLOW_CONTROL_WINDOW_BYTES = 16 * 1024 * 1024;

  /**
   * @param target a gRPC target: "host:port", "dns:///host:port", "unix:/path"
   * @param deadline per attempt
   * @param budget for all attempts of one bundle, backoff pauses included
   * @param maxMessageBytes largest response accepted (alerts carry features and reasons)
   */
  public record Settings(String target, Duration deadline, Duration budget, Backoff backoff, int maxMessageBytes)
      implements Serializable {
    public static final int DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
  }

  private final Settings settings;
  private final ManagedChannel channel;
  private final ScoringServiceGrpc.ScoringServiceBlockingStub stub;
  private final AtomicLong attempts = new AtomicLong();
  private final AtomicLong retries = new AtomicLong();

  public GrpcScorer(Settings settings) {
    this.settings = settings;
    // NettyChannelBuilder directly, not Grpc.newChannelBuilder: no ServiceLoader lookup of channel
    // providers, which Flink's child-first user class loader can make ambiguous.
    this.channel =
        NettyChannelBuilder.forTarget(settings.target())
            .usePlaintext()
            .maxInboundMessageSize(settings.maxMessageBytes())
            // A response is ~1 MB per 500 windows: receive it without WINDOW_UPDATE round trips
            // (the default 1 MiB window is then auto-tuned; docs/decisions/027).
            .initialFlowControlWindow(FLOW_CONTROL_WINDOW_BYTES)
            .build();
    this.stub = ScoringServiceGrpc.newBlockingStub(channel);
  }

  @Override
  public ScoreBundleResponse score(ScoreBundleRequest request) throws ScoringException {
    long start = System.nanoTime();
    long giveUpAt = start + settings.budget().toNanos();
    long deadline = settings.deadline().toNanos();
    // Kept so that giving up always names the last failure, also when the budget ran out
    // during the pause after it.
    StatusRuntimeException lastError = null;
    for (int attempt = 1; ; attempt++) {
      long left = giveUpAt - System.nanoTime();
      if (left <= 0) {
        throw exhausted(request, attempt - 1, start, lastError);
      }
      attempts.incrementAndGet();
      try {
        return stub.withDeadlineAfter(Math.min(deadline, left), TimeUnit.NANOSECONDS).scoreBundle(request);
      } catch (StatusRuntimeException e) {
        lastError = e;
        Status status = e.getStatus();
        if (!RETRIABLE.contains(status.getCode())) {
          throw new ScoringException(
              false,
              "ScoreBundle " + request.getBundleId() + " failed with " + status.getCode() + " (not retried): "
                  + status.getDescription(),
              e);
        }
        long pause = settings.backoff().delayNanos(attempt, ThreadLocalRandom.current()::nextDouble);
        if (System.nanoTime() + pause >= giveUpAt) {
          throw exhausted(request, attempt, start, e);
        }
        LOG.warn(
            "ScoreBundle {} attempt {} failed with {} ({}); retrying in {} ms",
            request.getBundleId(), attempt, status.getCode(), status.getDescription(), pause / 1_000_000);
        retries.incrementAndGet();
        sleep(pause, request);
      }
    }
  }

  private ScoringException exhausted(ScoreBundleRequest request, int attemptsMade, long start, StatusRuntimeException last) {
    return new ScoringException(
        true,
        "ScoreBundle " + request.getBundleId() + " (" + request.getWindowsCount() + " windows) to "
            + settings.target() + " gave up after " + attemptsMade + " attempts in "
            + (System.nanoTime() - start) / 1_000_000 + " ms (budget " + settings.budget().toMillis() + " ms)"
            + (last == null ? "" : "; last error " + last.getStatus().getCode() + ": " + last.getStatus().getDescription()),
        last);
  }

  private static void sleep(long nanos, ScoreBundleRequest request) throws ScoringException {
    try {
      TimeUnit.NANOSECONDS.sleep(nanos);
    } catch (InterruptedException e) {
      // The task is being cancelled: keep the flag for Flink and stop retrying.
      Thread.currentThread().interrupt();
      throw new ScoringException(false, "ScoreBundle " + request.getBundleId() + " interrupted while backing off", e);
    }
  }

  /** Calls made, first attempts and retries together. */
  public long attempts() {
    return attempts.get();
  }

  /** Attempts that were retries of a failed one. */
  public long retries() {
    return retries.get();
  }

  @Override
  public void close() {
    channel.shutdown();
    try {
      if (!channel.awaitTermination(SHUTDOWN_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
        channel.shutdownNow();
      }
    } catch (InterruptedException e) {
      channel.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
