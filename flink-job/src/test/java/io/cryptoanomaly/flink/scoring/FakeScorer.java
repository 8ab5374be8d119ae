package io.cryptoanomaly.flink.scoring;

import io.cryptoanomaly.proto.v1.ScoreBundleRequest;
import io.cryptoanomaly.proto.v1.ScoreBundleResponse;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;

/**
 * A scorer for operator tests: records every request, answers like {@link StubScorer} and can be
 * told to fail or to tamper with the response. Lives in a static registry, so the factory handed to
 * an operator (which must be serialisable) finds the same instance.
 */
public final class FakeScorer implements Scorer {
  private static final Map<String, FakeScorer> REGISTRY = new ConcurrentHashMap<>();

  public final List<ScoreBundleRequest> requests = new CopyOnWriteArrayList<>();
  private final StubScorer stub = new StubScorer();
  private volatile ScoringException failure;
  private volatile UnaryOperator<ScoreBundleResponse> tamper = UnaryOperator.identity();
  /** Calls wait for this before answering (in-flight tests hold them). */
  private volatile CompletableFuture<Void> gate = CompletableFuture.completedFuture(null);
  private final String id = UUID.randomUUID().toString();

  public FakeScorer() {
    REGISTRY.put(id, this);
  }

  /** A serialisable factory that hands out this instance. */
  public ScorerFactory factory() {
    String key = id;
    return () -> REGISTRY.get(key);
  }

  public void failWith(ScoringException e) {
    failure = e;
  }

  public void tamperWith(UnaryOperator<ScoreBundleResponse> change) {
    tamper = change;
  }

  /** From now on, calls are recorded but do not answer until {@link #release()}. */
  public void hold() {
    gate = new CompletableFuture<>();
  }

  /** Lets held and future calls answer. */
  public void release() {
    gate.complete(null);
  }

  @Override
  public ScoreBundleResponse score(ScoreBundleRequest request) throws ScoringException {
    requests.add(request);
    gate.join();
    if (failure != null) {
      throw failure;
    }
    return tamper.apply(stub.score(request));
  }

  @Override
  public void close() {}
}
