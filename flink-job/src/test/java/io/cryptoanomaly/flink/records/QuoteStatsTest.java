package io.cryptoanomaly.flink.records;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import org.junit.jupiter.api.Test;

/** The per-window quote aggregates against hand-computed values. */
class QuoteStatsTest {
  private static final long START = 1_723_161_600_000L;
  private static final long END = START + 10_000;
  private static final double EPS = 1e-9;

  /**
   * Quotes at +1 s (2 bps, depth 99.99), +4 s (10 bps, depth 49.975), +5 s (crossed), +6 s (2 bps,
   * depth 99.99); the window ends at +10 s. Valid quotes hold 3 s, 2 s and 4 s.
   */
  private static QuoteStats fixture() {
    QuoteStats q = new QuoteStats();
    q.add(START + 1_000, 99.99, 1, 100.01, 2);
    q.add(START + 4_000, 99.95, 0.5, 100.05, 0.5);
    q.add(START + 5_000, 100.1, 1, 100.0, 1);
    q.add(START + 6_000, 99.99, 1, 100.01, 1);
    return q;
  }

  @Test
  void summarisesSpreadsDepthAndGapsTimeWeightedToTheWindowEnd() {
    BookStats b = fixture().finish(START, END);
    assertThat(b.quoteCount()).isEqualTo(4);
    assertThat(b.crossedOrLocked()).isEqualTo(1);
    // (3 s x 2 + 2 s x 10 + 4 s x 2) / 9 s
    assertThat(b.spreadBpsTwa()).isCloseTo(34.0 / 9, offset(EPS));
    // exp((7 ln 2 + 2 ln 10) / 9)
    assertThat(b.spreadBpsGeo()).isCloseTo(Math.pow(2, 7.0 / 9) * Math.pow(10, 2.0 / 9), offset(EPS));
    assertThat(b.spreadBpsMax()).isCloseTo(10, offset(EPS));
    assertThat(b.spreadBpsLast()).isCloseTo(2, offset(EPS));
    assertThat(b.lastBid()).isEqualTo(99.99);
    assertThat(b.lastAsk()).isEqualTo(100.01);
    assertThat(b.depthQuoteTwa()).isCloseTo((3 * 99.99 + 2 * 49.975 + 4 * 99.99) / 9, offset(EPS));
    assertThat(b.depthQuoteMin()).isCloseTo(49.975, offset(EPS));
    // Gaps: 1 s from the window start, 3, 1, 1 s between quotes, 4 s to the window end.
    assertThat(b.maxQuoteGapMs()).isEqualTo(4_000);
  }

  @Test
  void leavesTheAccumulatorUnchangedWhenFinishingSoAWindowCanFireAgain() {
    QuoteStats q = fixture();
    BookStats first = q.finish(START, END);
    assertThat(q.finish(START, END)).isEqualTo(first);
    assertThat(q.copy().finish(START, END)).isEqualTo(first);
  }

  @Test
  void givesNoSummaryWithoutQuotesAndOnlyCountsWhenEveryQuoteIsCrossed() {
    assertThat(new QuoteStats().finish(START, END)).isNull();
    QuoteStats crossed = new QuoteStats();
    crossed.add(START + 2_000, 100, 1, 100, 1);
    BookStats b = crossed.finish(START, END);
    assertThat(b.quoteCount()).isEqualTo(1);
    assertThat(b.crossedOrLocked()).isEqualTo(1);
    assertThat(b.spreadBpsGeo()).isZero();
    assertThat(b.maxQuoteGapMs()).isEqualTo(8_000);
  }

  @Test
  void holdsAQuoteThatArrivesWithAnEarlierTimeForZeroMilliseconds() {
    QuoteStats q = new QuoteStats();
    q.add(START + 5_000, 99.99, 1, 100.01, 1);
    q.add(START + 4_000, 99.95, 1, 100.05, 1); // estimated time jittered back: holds 0 ms
    BookStats b = q.finish(START, END);
    // The late-stamped quote is the newest by arrival: 10 bps from +5 s to the end.
    assertThat(b.spreadBpsTwa()).isCloseTo(10, offset(EPS));
    assertThat(b.spreadBpsMax()).isCloseTo(10, offset(EPS));
    assertThat(b.maxQuoteGapMs()).isEqualTo(5_000);
  }

  @Test
  void mergesAsIfTheSecondWindowsQuotesArrivedAfterTheFirsts() {
    QuoteStats a = new QuoteStats();
    a.add(START + 1_000, 99.99, 1, 100.01, 2);
    a.add(START + 4_000, 99.95, 0.5, 100.05, 0.5);
    QuoteStats b = new QuoteStats();
    b.add(START + 5_000, 100.1, 1, 100.0, 1);
    b.add(START + 6_000, 99.99, 1, 100.01, 1);
    a.merge(b);
    assertThat(a.finish(START, END)).isEqualTo(fixture().finish(START, END));
  }
}
