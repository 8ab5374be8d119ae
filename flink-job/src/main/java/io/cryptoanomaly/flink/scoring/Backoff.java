package io.cryptoanomaly.flink.scoring;

import java.io.Serializable;
import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * Exponential backoff with "equal jitter": attempt n (1-based) waits between half and all of
 * {@code min(max, initial * 2^(n-1))}. The jitter keeps many subtasks that lost the sidecar at
 * the same moment from retrying in lock step; the lower half keeps a minimum pause so a dead
 * sidecar is not hammered.
 */
public record Backoff(Duration initial, Duration max) implements Serializable {

  public Backoff {
    if (initial.isNegative() || initial.isZero()) {
      throw new IllegalArgumentException("initial backoff must be positive, got " + initial);
    }
    if (max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("max backoff " + max + " is below the initial backoff " + initial);
    }
  }

  /** The pause before retry number {@code attempt} (1 = after the first failure), in nanoseconds. */
  public long delayNanos(int attempt, DoubleSupplier random) {
    long cap = max.toNanos();
    long ceiling = initial.toNanos();
    for (int i = 1; i < attempt && ceiling < cap; i++) {
      ceiling = Math.min(cap, ceiling * 2);
    }
    ceiling = Math.min(cap, ceiling);
    long half = ceiling / 2;
    return half + (long) (random.getAsDouble() * (ceiling - half));
  }
}
