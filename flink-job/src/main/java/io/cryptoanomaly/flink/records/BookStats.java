package io.cryptoanomaly.flink.records;

/**
 * One closed window's book-ticker summary, the domain form of {@code cryptoanomaly.v1.BookSummary}
 * (field meanings and units there). Built by {@link QuoteStats#finish}; null on a
 * {@link ClosedWindow} that saw no quote. When every quote was crossed or locked, only
 * {@code quoteCount}, {@code maxQuoteGapMs} and {@code crossedOrLocked} are set.
 */
public record BookStats(
    int quoteCount,
    double spreadBpsTwa,
    double spreadBpsGeo,
    double spreadBpsMax,
    double spreadBpsLast,
    double lastBid,
    double lastAsk,
    double depthQuoteTwa,
    double depthQuoteMin,
    long maxQuoteGapMs,
    int crossedOrLocked) {}
