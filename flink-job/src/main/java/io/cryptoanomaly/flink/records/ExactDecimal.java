package io.cryptoanomaly.flink.records;

import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * Exact decimals as scaled longs: a value {@code v} is held as {@code v * 10^8} ("E8").
 *
 * <p>Why scaled longs and not {@link BigDecimal} per trade: Binance spot prices and quantities are
 * decimal strings with exactly 8 fractional digits, and every realistic value times 10^8 fits a
 * long with room to spare (BTC at 10^7 USDT is 10^15 E8; a long holds 9.2 * 10^18). A long column
 * is 8 bytes per trade, allocation-free to append, and sums of a window stay exact in a long.
 * Products (quote volume = price * qty) have scale 16 and can exceed a long, so they are summed in
 * 128 bits ({@link #multiplyAccumulate}) and turned into a {@link BigDecimal} once per window.
 * See docs/decisions/020-exact-decimal-arithmetic.md.
 *
 * <p>Every scaled value below 2^53 converts to the exact double {@code (double) e8}, and IEEE
 * division by the exact 1e8 is correctly rounded, so {@link #toDouble} equals
 * {@code Double.parseDouble} of the decimal string: the float64 mirrors agree with the producer's.
 */
public final class ExactDecimal {
  /** Number of fractional digits kept. */
  public static final int SCALE = 8;

  private static final long ONE_E8 = 100_000_000L;

  private ExactDecimal() {}

  /**
   * Parses a non-negative decimal string such as {@code "61737.63000000"} into E8 units.
   *
   * @throws IllegalArgumentException when the text is not a plain non-negative decimal, has more
   *     than 8 significant fractional digits, or overflows
   */
  public static long parseE8(String text) {
    if (text == null || text.isEmpty()) {
      throw new IllegalArgumentException("empty");
    }
    long integral = 0;
    long fraction = 0;
    int fractionDigits = 0;
    boolean seenPoint = false;
    boolean seenDigit = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '.') {
        if (seenPoint) {
          throw new IllegalArgumentException("two decimal points");
        }
        seenPoint = true;
        continue;
      }
      if (c < '0' || c > '9') {
        throw new IllegalArgumentException("unexpected character '" + c + "'");
      }
      seenDigit = true;
      int digit = c - '0';
      if (!seenPoint) {
        integral = Math.addExact(Math.multiplyExact(integral, 10L), digit);
      } else if (fractionDigits < SCALE) {
        fraction = fraction * 10 + digit;
        fractionDigits++;
      } else if (digit != 0) {
        throw new IllegalArgumentException("more than " + SCALE + " fractional digits");
      }
    }
    if (!seenDigit) {
      throw new IllegalArgumentException("no digits");
    }
    for (int i = fractionDigits; i < SCALE; i++) {
      fraction *= 10;
    }
    try {
      return Math.addExact(Math.multiplyExact(integral, ONE_E8), fraction);
    } catch (ArithmeticException overflow) {
      throw new IllegalArgumentException("too large for " + SCALE + " fractional digits in 64 bits");
    }
  }

  /** The E8 value as a decimal with exactly 8 fractional digits, e.g. "61737.63000000". */
  public static BigDecimal toBigDecimal(long e8) {
    return BigDecimal.valueOf(e8, SCALE);
  }

  /** The E8 value as the nearest double (equal to parsing its decimal string). */
  public static double toDouble(long e8) {
    return e8 / (double) ONE_E8;
  }

  /**
   * Adds {@code a * b} (two non-negative E8 values, so an E16 product) to the unsigned 128-bit
   * sum held in {@code sum[0]} (high word) and {@code sum[1]} (low word). No allocation.
   */
  public static void multiplyAccumulate(long[] sum, long a, long b) {
    long productHigh = Math.multiplyHigh(a, b);
    long productLow = a * b;
    long low = sum[1] + productLow;
    long carry = Long.compareUnsigned(low, productLow) < 0 ? 1 : 0;
    sum[1] = low;
    sum[0] = sum[0] + productHigh + carry;
  }

  /** The 128-bit sum from {@link #multiplyAccumulate} as an exact decimal with 16 fractional digits. */
  public static BigDecimal e16SumToBigDecimal(long[] sum) {
    BigInteger high = BigInteger.valueOf(sum[0]).shiftLeft(64);
    BigInteger low = new BigInteger(Long.toUnsignedString(sum[1]));
    return new BigDecimal(high.add(low), 2 * SCALE);
  }
}
