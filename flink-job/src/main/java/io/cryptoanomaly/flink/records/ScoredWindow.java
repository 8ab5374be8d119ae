package io.cryptoanomaly.flink.records;

/**
 * The scoring result of one closed window, as the job routes it: the few fields it decides on and
 * logs, plus the {@code cryptoanomaly.v1.Alert} in wire form. The job never builds an alert; the
 * one stage that edits it is the market-context stage ({@code MarketContextFunction}), which fills
 * {@code Alert.market}'s counts and may retype it (never {@code is_anomaly} or severity, so the
 * routing fields here stay as the scorer set them). The bytes are then written to {@code alerts}
 * and {@code scored-windows} as they are (scoring and typing are deterministic, so a replay writes
 * the same bytes).
 *
 * @param windowStartMs inclusive, ms
 * @param windowEndMs exclusive, ms
 * @param anomaly the Alert's {@code is_anomaly}: true routes it to the alerts topic too
 * @param severity 0-100
 * @param tradeCount the Alert's {@code trade_count}: a window with trades is a symbol of its moment
 * @param marketDirection the Alert's {@code market.direction} (0 without {@code market}): a price
 *     candidate (+1/-1) waits in the market-context stage for the rest of its moment, anything
 *     else passes it at once
 * @param alert the encoded {@code cryptoanomaly.v1.Alert}; treat as read-only
 */
public record ScoredWindow(
    String symbol,
    String interval,
    long windowStartMs,
    long windowEndMs,
    boolean anomaly,
    int severity,
    long tradeCount,
    int marketDirection,
    byte[] alert) {

  /** A price candidate with trades: the only kind of window the market-context stage holds back. */
  public boolean priceCandidate() {
    return marketDirection != 0 && tradeCount > 0;
  }
}
