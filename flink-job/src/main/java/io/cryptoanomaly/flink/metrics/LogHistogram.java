package io.cryptoanomaly.flink.metrics;

import java.util.Arrays;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.HistogramStatistics;

/**
 * A cumulative histogram of non-negative longs (e.g. microseconds) in log-linear buckets: exact
 * below 16, then 16 buckets per power of two, so a quantile is within 1/16 (6.25 %) of the true
 * value. {@link #update} is a few arithmetic operations and one array increment: no allocation,
 * no lock, cheap enough for once per window on the task thread.
 *
 * <p>Unlike Flink's {@code DescriptiveStatisticsHistogram} (the last N samples) it counts every
 * sample since start and exposes its buckets ({@link #bucketCounts}), so a reader can subtract two
 * snapshots and get exact-to-the-bucket quantiles of any interval (the pipeline benchmark does).
 * Written by one thread; a reader on another thread (a metric reporter) may see a snapshot that
 * is a few updates behind, which is fine for monitoring.
 */
public final class LogHistogram implements Histogram {
  static final int SUB_BUCKET_BITS = 4;
  static final int SUB_BUCKETS = 1 << SUB_BUCKET_BITS;
  /** Buckets for every long: 16 exact ones, then 16 per power of two from 2^4 to 2^62. */
  public static final int BUCKETS = SUB_BUCKETS + (63 - SUB_BUCKET_BITS) * SUB_BUCKETS;

  private final long[] counts = new long[BUCKETS];
  private long count;
  private long sum;
  private long max;
  private long min = Long.MAX_VALUE;

  /** Negative values count as 0. */
  @Override
  public void update(long value) {
    long v = Math.max(0, value);
    counts[bucketOf(v)]++;
    count++;
    sum += v;
    if (v > max) {
      max = v;
    }
    if (v < min) {
      min = v;
    }
  }

  @Override
  public long getCount() {
    return count;
  }

  public long sum() {
    return sum;
  }

  /** A copy of the bucket counts (index i covers [{@link #lowerBound}(i), {@link #lowerBound}(i + 1))). */
  public long[] bucketCounts() {
    return counts.clone();
  }

  public static int bucketOf(long value) {
    if (value < SUB_BUCKETS) {
      return (int) value;
    }
    int exponent = 63 - Long.numberOfLeadingZeros(value); // >= SUB_BUCKET_BITS
    int sub = (int) (value >>> (exponent - SUB_BUCKET_BITS)) & (SUB_BUCKETS - 1);
    return SUB_BUCKETS + (exponent - SUB_BUCKET_BITS) * SUB_BUCKETS + sub;
  }

  /** The smallest value that falls into {@code bucket}. */
  public static long lowerBound(int bucket) {
    if (bucket < SUB_BUCKETS) {
      return bucket;
    }
    int exponent = (bucket - SUB_BUCKETS) / SUB_BUCKETS + SUB_BUCKET_BITS;
    int sub = (bucket - SUB_BUCKETS) % SUB_BUCKETS;
    return (1L << exponent) + ((long) sub << (exponent - SUB_BUCKET_BITS));
  }

  /** The midpoint of {@code bucket}: the value a quantile in it is reported as. */
  public static double midpoint(int bucket) {
    if (bucket < SUB_BUCKETS) {
      return bucket;
    }
    long low = lowerBound(bucket);
    long width = 1L << ((bucket - SUB_BUCKETS) / SUB_BUCKETS);
    return low + (width - 1) / 2.0;
  }

  /** The {@code q} quantile (0..1) of bucket counts, as a bucket midpoint; NaN when empty. */
  public static double quantile(long[] bucketCounts, double q) {
    long total = 0;
    for (long c : bucketCounts) {
      total += c;
    }
    if (total == 0) {
      return Double.NaN;
    }
    long rank = Math.max(1, (long) Math.ceil(q * total));
    long seen = 0;
    for (int i = 0; i < bucketCounts.length; i++) {
      seen += bucketCounts[i];
      if (seen >= rank) {
        return midpoint(i);
      }
    }
    return midpoint(bucketCounts.length - 1);
  }

  @Override
  public HistogramStatistics getStatistics() {
    long[] snapshot = bucketCounts();
    long n = count;
    double mean = n == 0 ? 0 : (double) sum / n;
    long lo = n == 0 ? 0 : min;
    long hi = max;
    return new HistogramStatistics() {
      @Override
      public double getQuantile(double quantile) {
        double q = quantile(snapshot, quantile);
        return Double.isNaN(q) ? 0 : q;
      }

      @Override
      public long[] getValues() {
        // Bucket midpoints, one per sample would be unbounded: the non-empty buckets' midpoints.
        return Arrays.stream(nonEmpty(snapshot)).mapToLong(i -> Math.round(midpoint(i))).toArray();
      }

      @Override
      public int size() {
        return (int) Math.min(Integer.MAX_VALUE, n);
      }

      @Override
      public double getMean() {
        return mean;
      }

      @Override
      public double getStdDev() {
        // Population standard deviation from bucket midpoints.
        if (n == 0) {
          return 0;
        }
        double squares = 0;
        for (int i = 0; i < snapshot.length; i++) {
          if (snapshot[i] != 0) {
            double d = midpoint(i) - mean;
            squares += snapshot[i] * d * d;
          }
        }
        return Math.sqrt(squares / n);
      }

      @Override
      public long getMax() {
        return hi;
      }

      @Override
      public long getMin() {
        return lo;
      }
    };
  }

  private static int[] nonEmpty(long[] counts) {
    return java.util.stream.IntStream.range(0, counts.length).filter(i -> counts[i] != 0).toArray();
  }
}
