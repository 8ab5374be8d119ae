package io.cryptoanomaly.flink.scoring;

import com.google.protobuf.ByteString;
import io.cryptoanomaly.flink.records.ArrowTradesEncoder;
import io.cryptoanomaly.flink.records.ClosedWindow;
import io.cryptoanomaly.flink.records.ProtoAdapter;
import io.cryptoanomaly.flink.records.ScoredWindow;
import io.cryptoanomaly.flink.records.BookStats;
import io.cryptoanomaly.proto.v1.Alert;
import io.cryptoanomaly.proto.v1.BookSummary;
import io.cryptoanomaly.proto.v1.KeyState;
import io.cryptoanomaly.proto.v1.ScoreBundleRequest;
import io.cryptoanomaly.proto.v1.ScoreBundleResponse;
import io.cryptoanomaly.proto.v1.WindowToScore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The adapter between the scoring operator's domain types and the ScoringService wire types:
 * builds a {@link ScoreBundleRequest} and checks a {@link ScoreBundleResponse} against it. A
 * response that does not account for every window and every key is an error, never a silent
 * drop: {@link ScoringException} (not retriable).
 */
public final class BundleCodec {
  private BundleCodec() {}

  /** The state key of a window: "<symbol>/<interval>", e.g. "BTCUSDT/10s" (the operator's key). */
  public static String stateKey(String symbol, String interval) {
    return symbol + "/" + interval;
  }

  public static String stateKey(ClosedWindow window) {
    return stateKey(window.symbol(), window.interval());
  }

  /**
   * @param states each key's state before the bundle, in first-appearance order (empty = new key)
   * @param windows in scoring order: windows of one key in increasing start time
   */
  public static ScoreBundleRequest request(
      String bundleId, Map<String, byte[]> states, List<ClosedWindow> windows, ArrowTradesEncoder arrow) {
    ScoreBundleRequest.Builder request = ScoreBundleRequest.newBuilder().setBundleId(bundleId);
    states.forEach((key, state) -> request.addStates(KeyState.newBuilder().setKey(key).setState(ByteString.copyFrom(state))));
    for (ClosedWindow window : windows) {
      WindowToScore.Builder w =
          WindowToScore.newBuilder()
              .setKey(stateKey(window))
              .setSymbol(window.symbol())
              .setInterval(window.interval())
              .setWindowStartMs(window.windowStartMs())
              .setWindowEndMs(window.windowEndMs())
              .setTradesArrow(arrow.encode(window.trades()))
              .setKline(ProtoAdapter.toKline(window.kline()));
      if (window.book() != null) {
        w.setBook(bookSummary(window.book()));
      }
      request.addWindows(w);
    }
    return request.build();
  }

  /** The window's book-ticker summary on the wire (units in scoring.proto). */
  public static BookSummary bookSummary(BookStats book) {
    return BookSummary.newBuilder()
        .setQuoteCount(book.quoteCount())
        .setSpreadBpsTwa(book.spreadBpsTwa())
        .setSpreadBpsGeo(book.spreadBpsGeo())
        .setSpreadBpsMax(book.spreadBpsMax())
        .setSpreadBpsLast(book.spreadBpsLast())
        .setLastBid(book.lastBid())
        .setLastAsk(book.lastAsk())
        .setDepthQuoteTwa(book.depthQuoteTwa())
        .setDepthQuoteMin(book.depthQuoteMin())
        .setMaxQuoteGapMs(book.maxQuoteGapMs())
        .setCrossedOrLocked(book.crossedOrLocked())
        .build();
  }

  /** One result per request window, in order; each must name the window it scores. */
  public static List<ScoredWindow> results(ScoreBundleRequest request, ScoreBundleResponse response)
      throws ScoringException {
    if (response.getResultsCount() != request.getWindowsCount()) {
      throw broken(request, response.getResultsCount() + " results for " + request.getWindowsCount() + " windows");
    }
    List<ScoredWindow> results = new ArrayList<>(request.getWindowsCount());
    for (int i = 0; i < request.getWindowsCount(); i++) {
      WindowToScore window = request.getWindows(i);
      Alert alert = response.getResults(i);
      if (!alert.getSymbol().equals(window.getSymbol())
          || !alert.getInterval().equals(window.getInterval())
          || alert.getWindowStartMs() != window.getWindowStartMs()) {
        throw broken(
            request,
            "result " + i + " is for " + stateKey(alert.getSymbol(), alert.getInterval()) + "@" + alert.getWindowStartMs()
                + ", expected " + window.getKey() + "@" + window.getWindowStartMs());
      }
      results.add(
          new ScoredWindow(
              window.getSymbol(),
              window.getInterval(),
              window.getWindowStartMs(),
              window.getWindowEndMs(),
              alert.getIsAnomaly(),
              alert.getSeverity(),
              alert.getTradeCount(),
              alert.hasMarket() ? alert.getMarket().getDirection() : 0,
              alert.toByteArray()));
    }
    return results;
  }

  /** Each request key's state after the bundle; every key exactly once, no others. */
  public static Map<String, byte[]> states(ScoreBundleRequest request, ScoreBundleResponse response)
      throws ScoringException {
    Map<String, byte[]> after = new LinkedHashMap<>();
    for (KeyState state : response.getStatesList()) {
      if (after.put(state.getKey(), state.getState().toByteArray()) != null) {
        throw broken(request, "state of key " + state.getKey() + " returned twice");
      }
    }
    for (KeyState before : request.getStatesList()) {
      if (!after.containsKey(before.getKey())) {
        throw broken(request, "no state returned for key " + before.getKey());
      }
    }
    if (after.size() != request.getStatesCount()) {
      throw broken(request, "state returned for a key not in the request (" + after.keySet() + ")");
    }
    return after;
  }

  private static ScoringException broken(ScoreBundleRequest request, String problem) {
    return new ScoringException(false, "ScoreBundle " + request.getBundleId() + ": response breaks the contract: " + problem);
  }
}
