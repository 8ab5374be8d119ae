package io.cryptoanomaly.flink.scoring;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {
  private static final Backoff BACKOFF = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1));

  private static long millis(long nanos) {
    return Duration.ofNanos(nanos).toMillis();
  }

  @Test
  void doublesFromTheInitialDelayUpToTheMaximumWithTheJitterInTheUpperHalf() {
    assertThat(millis(BACKOFF.delayNanos(1, () -> 0.0))).isEqualTo(50);
    assertThat(millis(BACKOFF.delayNanos(1, () -> 0.999999))).isEqualTo(99);
    assertThat(millis(BACKOFF.delayNanos(2, () -> 0.0))).isEqualTo(100);
    assertThat(millis(BACKOFF.delayNanos(4, () -> 0.0))).isEqualTo(400);
    assertThat(millis(BACKOFF.delayNanos(5, () -> 0.0))).isEqualTo(500);
    assertThat(millis(BACKOFF.delayNanos(60, () -> 0.999999))).isEqualTo(999);
  }
}
