package io.cryptoanomaly.flink.scoring;

import io.cryptoanomaly.proto.v1.ScoreBundleRequest;
import io.cryptoanomaly.proto.v1.ScoreBundleResponse;

/**
 * Scores one bundle of closed windows: the shape of {@code cryptoanomaly.v1.ScoringService/
 * ScoreBundle}. Implementations: {@link GrpcScorer} (the sidecar) and {@link StubScorer} (in the
 * JVM, for tests and the benchmark's ceiling run).
 *
 * <p>Contract: a pure function of the request (windows, each key's state before the bundle) and
 * the scorer's model and config. Windows of one key are scored in request order, each starting
 * from the state the previous one left. The response has one result per request window, in
 * request order, and one final state per request key.
 *
 * <p>Thread-safe: the scoring operator calls it from up to {@code maxInFlight} call threads at
 * once (or from the task thread when that is 0), each call with a different bundle whose keys no
 * other outstanding call holds. {@link #close()} releases its resources (channel, threads).
 */
public interface Scorer extends AutoCloseable {

  /**
   * @throws ScoringException when the bundle cannot be scored; {@link ScoringException#retriable()}
   *     says whether the same request could succeed later. A scorer with its own retry policy
   *     throws only after that policy gave up.
   */
  ScoreBundleResponse score(ScoreBundleRequest request) throws ScoringException;

  @Override
  void close();
}
