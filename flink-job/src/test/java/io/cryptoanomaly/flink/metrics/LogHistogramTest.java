package io.cryptoanomaly.flink.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class LogHistogramTest {

  @Test
  void bucketsAreContiguousAndCoverEveryLong() {
    assertThat(LogHistogram.bucketOf(0)).isZero();
    assertThat(LogHistogram.bucketOf(15)).isEqualTo(15);
    assertThat(LogHistogram.bucketOf(16)).isEqualTo(16);
    assertThat(LogHistogram.bucketOf(Long.MAX_VALUE)).isEqualTo(LogHistogram.BUCKETS - 1);
    for (int b = 0; b < LogHistogram.BUCKETS - 1; b++) {
      long low = LogHistogram.lowerBound(b);
      long next = LogHistogram.lowerBound(b + 1);
      assertThat(next).isGreaterThan(low);
      assertThat(LogHistogram.bucketOf(low)).isEqualTo(b);
      assertThat(LogHistogram.bucketOf(next - 1)).isEqualTo(b);
    }
  }

  @Test
  void quantilesAreWithinTheBucketResolution() {
    LogHistogram h = new LogHistogram();
    Random random = new Random(7);
    long[] values = new long[100_000];
    for (int i = 0; i < values.length; i++) {
      values[i] = (long) Math.exp(random.nextDouble() * 14); // 1 .. ~1.2 million, log-uniform
      h.update(values[i]);
    }
    java.util.Arrays.sort(values);
    for (double q : new double[] {0.5, 0.9, 0.99}) {
      double exact = values[(int) Math.ceil(q * values.length) - 1];
      assertThat(h.getStatistics().getQuantile(q)).isCloseTo(exact, within(exact / 16 + 1));
    }
    assertThat(h.getCount()).isEqualTo(values.length);
    assertThat(h.getStatistics().getMax()).isEqualTo(values[values.length - 1]);
    assertThat(h.getStatistics().getMin()).isEqualTo(values[0]);
  }

  @Test
  void snapshotsSubtractToTheQuantilesOfAnInterval() {
    LogHistogram h = new LogHistogram();
    for (int i = 0; i < 1000; i++) {
      h.update(5_000); // a slow start
    }
    long[] before = h.bucketCounts();
    for (int i = 0; i < 1000; i++) {
      h.update(100);
    }
    long[] after = h.bucketCounts();
    long[] interval = new long[after.length];
    for (int i = 0; i < after.length; i++) {
      interval[i] = after[i] - before[i];
    }
    assertThat(LogHistogram.quantile(interval, 0.99)).isCloseTo(100, within(100 / 16.0));
    assertThat(h.sum()).isEqualTo(1000L * 5_000 + 1000L * 100);
    assertThat(LogHistogram.quantile(new long[LogHistogram.BUCKETS], 0.5)).isNaN();
  }
}
