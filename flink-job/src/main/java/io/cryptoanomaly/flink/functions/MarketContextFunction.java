package io.cryptoanomaly.flink.functions;

import com.google.protobuf.InvalidProtocolBufferException;
import io.cryptoanomaly.flink.metrics.LogHistogram;
import io.cryptoanomaly.flink.records.ScoredWindow;
import io.cryptoanomaly.proto.v1.Alert;
import io.cryptoanomaly.proto.v1.AnomalyType;
import io.cryptoanomaly.proto.v1.MarketContext;
import io.cryptoanomaly.proto.v1.Reason;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cross-symbol typing (MARKET_WIDE_MOVE, docs/decisions/068): the second half of the rule whose
 * first half the scorer applies per window ({@code udf-server/src/market.ts}, same rule and reason
 * text, pinned by {@code protos/conformance/market-context.json}).
 *
 * <p>Keyed by the <em>moment</em> {@link #momentKey "interval/windowStartMs"}: every symbol's
 * scored window of one interval and window start meets in one key. Only <b>price candidates</b>
 * ({@link ScoredWindow#priceCandidate()}: a spike, crash or pump the scorer's consensus agreed on,
 * with trades) can become market-wide, so only they wait: they are buffered in keyed state until an
 * event-time timer at {@code windowEndMs - 1} fires, then typed together and emitted sorted by
 * symbol. Every other window only adds one to the moment's symbol count (when it has trades) and
 * passes at once, so the stage adds no latency to the ~99 % of windows that cannot change. The
 * scoring operator emits a window's result before it forwards the watermark that closed the window
 * (it holds watermarks until the results before them are applied), so when the watermark here
 * reaches {@code windowEndMs - 1} every window of the moment has been counted and the timer fires
 * once. The outcome depends only on the set of windows of the moment, never on how they were
 * bundled into scoring calls, on parallelism or on a restore (the buffer and the count are keyed
 * state, so a moment split by a checkpoint is completed after the restore).
 *
 * <p>Per moment, as {@code applyToMoment} in market.ts:
 *
 * <ul>
 *   <li>windows with {@code trade_count} 0 are not symbols of the moment;
 *   <li>a price candidate's {@code market.symbols} becomes the number of windows with trades and
 *       {@code market.moving} the candidates moving its way; other windows keep the scorer's 0s;
 *   <li>when {@code moving >= rule_min_symbols} and {@code moving >= rule_min_share * symbols} (the
 *       rule travels on each alert), the window becomes {@code ANOMALY_TYPE_MARKET_WIDE_MOVE} with a
 *       reason naming the movers appended after the scorer's reasons;
 *   <li>an alert without {@code market} (an older scorer) counts as present, never moving, and is
 *       left as it is.
 * </ul>
 *
 * The stage only types and explains: {@code is_anomaly} and severity, hence the {@link
 * ScoredWindow}'s routing fields, are never changed, and no window is created or dropped.
 *
 * <p>Defensive paths (neither happens with the job's defaults; both are counted, never fatal):
 *
 * <ul>
 *   <li><b>Late windows</b> ({@code marketContextLateWindows}): a candidate whose moment's timer
 *       time is already at or behind the watermark. The scoring operator's watermark holding rules
 *       out a window that closed normally; but with {@code --allowed-lateness} above 0 a late trade
 *       re-fires its window after the watermark has passed it, and that re-scored window arrives
 *       here after its moment was typed. It is typed at once with whatever the moment still has
 *       (normally nothing, so it is a moment of one symbol) rather than dropped or held for a timer
 *       that would never fire. A late window that is not a candidate passes as always.
 *   <li><b>Undecodable alert bytes</b> ({@code marketContextUndecodable}): the scoring operator
 *       re-encodes parsed alerts, so this cannot come from it; such a candidate passes through
 *       unchanged (it still counts as a symbol by its {@code tradeCount}).
 * </ul>
 */
public class MarketContextFunction extends KeyedProcessFunction<String, ScoredWindow, ScoredWindow> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(MarketContextFunction.class);
  private static final long LOG_EVERY = 1000;

  static final String STATE_NAME = "moment-candidates";
  static final String COUNT_STATE_NAME = "moment-symbols";
  /** Reason fields, as market.ts writes them. */
  public static final String REASON_FEATURE = "market";
  public static final String REASON_DETECTOR = "market-context";
  /** Movers named in the reason; the rest are counted ("and 2 more"). */
  public static final int REASON_MAX_SYMBOLS = 10;

  private static final Comparator<ScoredWindow> BY_SYMBOL = Comparator.comparing(ScoredWindow::symbol);

  private transient ListState<ScoredWindow> buffered;
  /** Windows with trades seen for the moment (the denominator of the share rule). */
  private transient ValueState<Integer> symbolCount;
  private transient Counter marketWideWindows;
  private transient Counter lateWindows;
  private transient Counter undecodable;
  /**
   * Latency this stage adds to price candidates (µs): from the first candidate of a moment arriving
   * here to the moment's emission, recorded once per emitted candidate (an upper bound for the
   * later ones; windows that pass at once are not recorded). Arrival
   * times are a metric only, so they live in a plain map, not in state: after a restore a moment's
   * first arrival is simply the first one seen since.
   */
  private transient LogHistogram holdMicros;
  private transient Map<String, Long> firstArrivalNanos;

  /** The key of this stage: one interval's windows that start at the same time, e.g. "10s/1723161600000". */
  public static String momentKey(ScoredWindow window) {
    return window.interval() + "/" + window.windowStartMs();
  }

  @Override
  public void open(OpenContext openContext) {
    // ScoredWindow is a record of primitives, Strings and a byte[]: a POJO type for Flink, so the
    // state serializer is Flink's own even with pipeline.generic-types = false (no Kryo).
    buffered =
        getRuntimeContext().getListState(new ListStateDescriptor<>(STATE_NAME, TypeInformation.of(ScoredWindow.class)));
    symbolCount = getRuntimeContext().getState(new ValueStateDescriptor<>(COUNT_STATE_NAME, Types.INT));
    var metrics = getRuntimeContext().getMetricGroup();
    marketWideWindows = metrics.counter("marketWideWindows");
    lateWindows = metrics.counter("marketContextLateWindows");
    undecodable = metrics.counter("marketContextUndecodable");
    holdMicros = metrics.histogram("marketContextHoldMicros", new LogHistogram());
    firstArrivalNanos = new HashMap<>();
  }

  @Override
  public void processElement(ScoredWindow window, Context context, Collector<ScoredWindow> out) throws Exception {
    long due = window.windowEndMs() - 1;
    if (due > context.timerService().currentWatermark()) {
      if (window.tradeCount() > 0) {
        Integer seen = symbolCount.value();
        symbolCount.update(seen == null ? 1 : seen + 1);
        // Once per key and time however many windows arrive: Flink deduplicates timers. Also
        // registered for a moment without candidates, so its count is cleared.
        context.timerService().registerEventTimeTimer(due);
      }
      if (!window.priceCandidate()) {
        out.collect(window);
        return;
      }
      buffered.add(window);
      firstArrivalNanos.putIfAbsent(context.getCurrentKey(), System.nanoTime());
      return;
    }
    if (!window.priceCandidate()) {
      out.collect(window);
      return;
    }
    // After the moment's timer fired (see the class comment): a timer registered now would never
    // fire, and dropping would lose a scored window, so it is typed now with what the moment has.
    lateWindows.inc();
    if (lateWindows.getCount() % LOG_EVERY == 1) {
      LOG.warn(
          "Scored window #{} {}/{}@{} reached the market-context stage after its moment was typed (watermark {}); typed on its own",
          lateWindows.getCount(), window.symbol(), window.interval(), window.windowStartMs(),
          context.timerService().currentWatermark());
    }
    Integer seen = symbolCount.value();
    List<ScoredWindow> moment = drain();
    moment.add(window);
    emit(moment, (seen == null ? 0 : seen) + 1, out, context.getCurrentKey());
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext context, Collector<ScoredWindow> out) throws Exception {
    Integer seen = symbolCount.value();
    emit(drain(), seen == null ? 0 : seen, out, context.getCurrentKey());
  }

  /** The moment's buffered candidates; clears the moment's state (candidates and count). */
  private List<ScoredWindow> drain() throws Exception {
    List<ScoredWindow> moment = new ArrayList<>();
    Iterable<ScoredWindow> windows = buffered.get();
    if (windows != null) {
      windows.forEach(moment::add);
    }
    buffered.clear();
    symbolCount.clear();
    return moment;
  }

  private void emit(List<ScoredWindow> candidates, int symbols, Collector<ScoredWindow> out, String key) {
    for (ScoredWindow typed : typeMoment(candidates, symbols)) {
      out.collect(typed);
    }
    Long first = firstArrivalNanos.remove(key);
    long held = first == null ? 0 : Math.max(0, (System.nanoTime() - first) / 1000);
    for (int i = 0; i < candidates.size(); i++) {
      holdMicros.update(held);
    }
  }

  /**
   * One moment's price candidates, typed against {@code symbols} windows with trades, sorted by
   * symbol (the emit order: state order depends on arrival, the output must not). A candidate
   * whose bytes cannot be read is returned as it came.
   */
  List<ScoredWindow> typeMoment(List<ScoredWindow> candidates, int symbols) {
    List<ScoredWindow> sorted = new ArrayList<>(candidates);
    // Stable: two windows of one symbol (never expected) keep their arrival order.
    sorted.sort(BY_SYMBOL);
    int n = sorted.size();
    Alert[] alerts = new Alert[n];
    List<String> up = new ArrayList<>();
    List<String> down = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ScoredWindow window = sorted.get(i);
      try {
        alerts[i] = Alert.parseFrom(window.alert());
      } catch (InvalidProtocolBufferException e) {
        undecodable.inc();
        if (undecodable.getCount() % LOG_EVERY == 1) {
          LOG.warn(
              "Undecodable alert #{} of {}/{}@{} passed through untyped: {}",
              undecodable.getCount(), window.symbol(), window.interval(), window.windowStartMs(), e.getMessage());
        }
        continue;
      }
      int direction = alerts[i].getMarket().getDirection();
      if (direction == 1) {
        up.add(alerts[i].getSymbol());
      } else if (direction == -1) {
        down.add(alerts[i].getSymbol());
      }
    }
    up.sort(Comparator.naturalOrder());
    down.sort(Comparator.naturalOrder());

    List<ScoredWindow> typed = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      ScoredWindow window = sorted.get(i);
      Alert alert = alerts[i];
      if (alert == null || !alert.hasMarket() || alert.getMarket().getDirection() == 0) {
        typed.add(window);
        continue;
      }
      MarketContext market = alert.getMarket();
      int direction = market.getDirection();
      // As market.ts: any positive direction counts with the ups, any negative with the downs.
      List<String> movers = direction > 0 ? up : down;
      int moving = movers.size();
      Alert.Builder result = alert.toBuilder().setMarket(market.toBuilder().setSymbols(symbols).setMoving(moving));
      if (moving >= market.getRuleMinSymbols() && moving >= market.getRuleMinShare() * symbols) {
        result
            .setType(AnomalyType.ANOMALY_TYPE_MARKET_WIDE_MOVE)
            .addReasons(
                Reason.newBuilder()
                    .setFeature(REASON_FEATURE)
                    .setActual(moving)
                    .setTypical(symbols)
                    .setZ(0)
                    .setDetector(REASON_DETECTOR)
                    .setText(reasonText(movers, symbols, direction)));
        marketWideWindows.inc();
      }
      typed.add(
          new ScoredWindow(
              window.symbol(),
              window.interval(),
              window.windowStartMs(),
              window.windowEndMs(),
              window.anomaly(),
              window.severity(),
              window.tradeCount(),
              window.marketDirection(),
              result.build().toByteArray()));
    }
    return typed;
  }

  /**
   * "2 of 2 symbols moved up together in this window (BTCUSDT, ETHUSDT)": {@code movers} sorted, at
   * most {@value #REASON_MAX_SYMBOLS} named (market.ts {@code marketReasonText}).
   */
  static String reasonText(List<String> movers, int symbols, int direction) {
    String shown = String.join(", ", movers.subList(0, Math.min(movers.size(), REASON_MAX_SYMBOLS)));
    String more = movers.size() > REASON_MAX_SYMBOLS ? " and " + (movers.size() - REASON_MAX_SYMBOLS) + " more" : "";
    return movers.size() + " of " + symbols + " symbols moved " + (direction > 0 ? "up" : "down")
        + " together in this window (" + shown + more + ")";
  }
}
