package io.cryptoanomaly.flink.scoring;

import java.io.Serializable;

/**
 * Creates the {@link Scorer} of one operator instance in {@code open()}. Serialisable, because it
 * travels with the job graph; the scorer itself (a gRPC channel, threads) never does.
 */
@FunctionalInterface
public interface ScorerFactory extends Serializable {
  Scorer create();
}
