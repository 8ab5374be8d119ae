package io.cryptoanomaly.flink.scoring;

import com.google.protobuf.ByteString;
import io.cryptoanomaly.proto.v1.Alert;
import io.cryptoanomaly.proto.v1.AnomalyType;
import io.cryptoanomaly.proto.v1.Confidence;
import io.cryptoanomaly.proto.v1.DetectorScore;
import io.cryptoanomaly.proto.v1.KeyState;
import io.cryptoanomaly.proto.v1.Kline;
import io.cryptoanomaly.proto.v1.MarketContext;
import io.cryptoanomaly.proto.v1.ScoreBundleRequest;
import io.cryptoanomaly.proto.v1.ScoreBundleResponse;
import io.cryptoanomaly.proto.v1.WindowToScore;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An in-JVM scorer with the sidecar's shape and contract, for tests and for the benchmark's
 * ceiling run (the job without the RPC and the real detectors). It checks the request as the
 * sidecar does (every window's key has a state entry; a key's windows in increasing start time)
 * and chains a 16-byte state per key: windows seen (int64) and the previous close (float64).
 *
 * <p>Its one "detector" flags a window whose close moved at least {@code thresholdPct} percent
 * from the previous window's close; it is warm from the second window of a key on. Like the
 * sidecar it fills the scorer's half of {@code Alert.market}: a flagged window (a spike or crash)
 * moves the way its return does, with the sidecar's default rule (at least {@value
 * #MARKET_WIDE_MIN_SYMBOLS} symbols and {@value #MARKET_WIDE_SHARE} of them), so the job's
 * market-context stage has something to type.
 */
public final class StubScorer implements Scorer {
  public static final String VERSION = "stub";
  public static final String DETECTOR = "stub-return";
  public static final double DEFAULT_THRESHOLD_PCT = 0.1;
  private static final int STATE_BYTES = Long.BYTES + Double.BYTES;
  private static final int MAX_SEVERITY = 100;
  /** udf-server's typology.marketWideMinSymbols and typology.marketWideShare defaults. */
  public static final int MARKET_WIDE_MIN_SYMBOLS = 2;
  public static final double MARKET_WIDE_SHARE = 0.5;

  private final double thresholdPct;

  public StubScorer() {
    this(DEFAULT_THRESHOLD_PCT);
  }

  public StubScorer(double thresholdPct) {
    this.thresholdPct = thresholdPct;
  }

  @Override
  public ScoreBundleResponse score(ScoreBundleRequest request) throws ScoringException {
    Map<String, ByteBuffer> states = new LinkedHashMap<>();
    for (KeyState state : request.getStatesList()) {
      if (states.put(state.getKey(), decode(state.getState(), state.getKey())) != null) {
        throw invalid("key " + state.getKey() + " has two states");
      }
    }
    Map<String, Long> lastStart = new LinkedHashMap<>();
    ScoreBundleResponse.Builder response = ScoreBundleResponse.newBuilder().setConfigVersion(VERSION).setModelVersion(VERSION);
    for (WindowToScore window : request.getWindowsList()) {
      ByteBuffer state = states.get(window.getKey());
      if (state == null) {
        throw invalid("window " + window.getKey() + "@" + window.getWindowStartMs() + " has no state entry");
      }
      Long previous = lastStart.put(window.getKey(), window.getWindowStartMs());
      if (previous != null && previous >= window.getWindowStartMs()) {
        throw invalid("windows of " + window.getKey() + " out of order: " + window.getWindowStartMs() + " after " + previous);
      }
      response.addResults(score(window, state));
    }
    states.forEach(
        (key, state) -> response.addStates(KeyState.newBuilder().setKey(key).setState(ByteString.copyFrom(state.array()))));
    return response.build();
  }

  /** Scores one window and updates {@code state} in place (the chaining). */
  private Alert score(WindowToScore window, ByteBuffer state) {
    Kline kline = window.getKline();
    long seen = state.getLong(0);
    double previousClose = state.getDouble(Long.BYTES);
    boolean warm = seen > 0 && previousClose > 0;
    double returnPct = warm ? (kline.getClose() / previousClose - 1) * 100 : 0;
    boolean anomaly = warm && Math.abs(returnPct) >= thresholdPct;
    int severity = warm ? (int) Math.min(MAX_SEVERITY, Math.round(Math.abs(returnPct) / thresholdPct * 50)) : 0;
    state.putLong(0, seen + 1).putDouble(Long.BYTES, kline.getClose());
    return Alert.newBuilder()
        .setSymbol(window.getSymbol())
        .setInterval(window.getInterval())
        .setWindowStartMs(window.getWindowStartMs())
        .setWindowEndMs(window.getWindowEndMs())
        .setClose(kline.getClose())
        .setReturnPct(returnPct)
        .setVotes(anomaly ? 1 : 0)
        .setVoters(warm ? 1 : 0)
        .setIsAnomaly(anomaly)
        .setConfidence(anomaly ? Confidence.CONFIDENCE_LOW : Confidence.CONFIDENCE_NONE)
        .setSeverity(severity)
        .setType(anomaly ? (returnPct > 0 ? AnomalyType.ANOMALY_TYPE_PRICE_SPIKE : AnomalyType.ANOMALY_TYPE_FLASH_CRASH) : AnomalyType.ANOMALY_TYPE_UNSPECIFIED)
        .addDetectorScores(DetectorScore.newBuilder().setDetector(DETECTOR).setScore(Math.abs(returnPct)).setVote(anomaly).setWarm(warm))
        .putFeatures("return_pct", returnPct)
        .setConfigVersion(VERSION)
        .setModelVersion(VERSION)
        .setTradeCount(kline.getTradeCount())
        .setMarket(
            MarketContext.newBuilder()
                .setDirection(anomaly ? (int) Math.signum(returnPct) : 0)
                .setRuleMinSymbols(MARKET_WIDE_MIN_SYMBOLS)
                .setRuleMinShare(MARKET_WIDE_SHARE))
        .build();
  }

  private static ByteBuffer decode(ByteString bytes, String key) throws ScoringException {
    ByteBuffer state = ByteBuffer.allocate(STATE_BYTES);
    if (bytes.isEmpty()) {
      return state;
    }
    if (bytes.size() != STATE_BYTES) {
      throw invalid("state of " + key + " has " + bytes.size() + " bytes, expected " + STATE_BYTES);
    }
    bytes.copyTo(state.array(), 0);
    return state;
  }

  private static ScoringException invalid(String problem) {
    return new ScoringException(false, "stub scorer: invalid request: " + problem);
  }

  @Override
  public void close() {}
}
