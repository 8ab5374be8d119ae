package io.cryptoanomaly.flink.functions;

import io.cryptoanomaly.flink.records.ArrowTradesEncoder;
import io.cryptoanomaly.flink.records.ClosedWindow;
import io.cryptoanomaly.flink.metrics.LogHistogram;
import io.cryptoanomaly.flink.records.ScoredWindow;
import io.cryptoanomaly.flink.scoring.BundleCodec;
import io.cryptoanomaly.flink.scoring.Scorer;
import io.cryptoanomaly.flink.scoring.ScorerFactory;
import io.cryptoanomaly.flink.scoring.ScoringException;
import io.cryptoanomaly.proto.v1.ScoreBundleRequest;
import io.cryptoanomaly.proto.v1.ScoreBundleResponse;
import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * Scores closed windows in bundles with one remote call per bundle, keeping each key's detector
 * state in Flink keyed state (the sidecar is stateless). Keyed by the state key
 * "&lt;symbol&gt;/&lt;interval&gt;" ({@link BundleCodec#stateKey}).
 *
 * <p>A bundle is flushed (scored, states written, results emitted) when:
 *
 * <ul>
 *   <li>a watermark arrives: the watermark is forwarded only after the flush, so every result
 *       precedes, in the stream, the watermark that closed its window (held as PyFlink's
 *       AbstractPythonFunctionOperator holds it while a bundle is in flight);
 *   <li>it holds {@code maxBundleSize} windows;
 *   <li>its oldest window has waited {@code maxBundleAge} (a processing-time timer);
 *   <li>always before a checkpoint barrier ({@link #prepareSnapshotPreBarrier}) and at the end of
 *       input ({@link #finish}). The bundle is therefore empty in every checkpoint: it is not
 *       state, and a restore never repeats or loses a window.
 * </ul>
 *
 * <p>State access happens on the task thread only: every bundle key's state is read before the
 * call ({@code setCurrentKey} + {@code value()}), sent once per key, and the returned states are
 * written after it. Two windows of one key in one bundle are sent in order and the scorer chains
 * their state; the request carries the key's state from before the bundle, the response the state
 * after the key's last window.
 *
 * <p>One result per window, in bundle order, with the window's timestamp. Any scoring failure (the
 * scorer's retries spent, a response missing a result or a state) throws: the job fails and
 * restarts from its last checkpoint, whose replay re-scores the windows of the lost bundle.
 */
public class RemoteScoringOperator extends AbstractStreamOperator<ScoredWindow>
    implements OneInputStreamOperator<ClosedWindow, ScoredWindow> {
  private static final long serialVersionUID = 1L;

  static final String STATE_NAME = "detector-state";
  private static final byte[] NO_STATE = new byte[0];
  private static final int HISTOGRAM_WINDOW = 1024;

  /**
   * @param maxBundleSize windows per call, at least 1 (1 = no bundling)
   * @param maxBundleAge longest a window waits in the bundle, processing time
   */
  public record BundleSettings(int maxBundleSize, Duration maxBundleAge) implements Serializable {
    public BundleSettings {
      if (maxBundleSize < 1) {
        throw new IllegalArgumentException("maxBundleSize must be at least 1, got " + maxBundleSize);
      }
      if (maxBundleAge.isNegative() || maxBundleAge.isZero()) {
        throw new IllegalArgumentException("maxBundleAge must be positive, got " + maxBundleAge);
      }
    }
  }

  /**
   * A window waiting in the bundle, with its key, stream timestamp and arrival ({@link
   * System#nanoTime}): the window operator emits a window when the watermark passes its end, so
   * the arrival here is its close, one network hop later.
   */
  private record Pending(String key, ClosedWindow window, boolean hasTimestamp, long timestamp, long arrivedNanos) {}

  private final ScorerFactory scorerFactory;
  private final BundleSettings settings;

  private transient Scorer scorer;
  private transient ArrowTradesEncoder arrow;
  private transient ValueState<byte[]> detectorState;
  private transient List<Pending> bundle;
  /** Latest window start per key in the current bundle. */
  private transient Map<String, Long> lastStartInBundle;
  private transient ScheduledFuture<?> ageTimer;
  /** Identifies the current bundle, so a late age timer of a flushed bundle does nothing. */
  private transient long bundleSeq;
  private transient String bundleIdPrefix;

  private transient Counter windowsScored;
  private transient Counter anomalies;
  private transient Counter bundlesScored;
  private transient Histogram bundleSize;
  private transient Histogram scoreMillis;
  // Per-stage cumulative histograms (microseconds; LogHistogram: one array increment per update).
  /** Per window: arrival (window close) to its result handed to the (chained) result sinks. */
  private transient LogHistogram closeToEmitMicros;
  /** Per window: arrival to the start of its bundle's flush (bundling delay). */
  private transient LogHistogram bundleWaitMicros;
  /** Per bundle: reading states and building the request (Arrow encoding, protobuf). */
  private transient LogHistogram encodeMicros;
  /** Per bundle: the scorer call (gRPC round trip including the sidecar's work, or the stub). */
  private transient LogHistogram rpcMicros;
  /** Per bundle: checking the response, writing states, emitting results into the sinks. */
  private transient LogHistogram emitMicros;
  private transient Counter tradesScored;
  private transient Counter requestBytes;

  public RemoteScoringOperator(ScorerFactory scorerFactory, BundleSettings settings) {
    this.scorerFactory = scorerFactory;
    this.settings = settings;
  }

  @Override
  public void open() throws Exception {
    super.open();
    detectorState =
        getPartitionedState(new ValueStateDescriptor<>(STATE_NAME, PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
    bundle = new ArrayList<>(Math.min(settings.maxBundleSize(), 1024));
    lastStartInBundle = new HashMap<>();
    var task = getRuntimeContext().getTaskInfo();
    bundleIdPrefix = "s" + task.getIndexOfThisSubtask() + "a" + task.getAttemptNumber() + "-";
    windowsScored = getMetricGroup().counter("windowsScored");
    anomalies = getMetricGroup().counter("anomalies");
    bundlesScored = getMetricGroup().counter("bundlesScored");
    bundleSize = getMetricGroup().histogram("bundleSize", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
    scoreMillis = getMetricGroup().histogram("scoreMillis", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
    getMetricGroup().gauge("pendingWindows", () -> bundle.size());
    closeToEmitMicros = getMetricGroup().histogram("closeToEmitMicros", new LogHistogram());
    bundleWaitMicros = getMetricGroup().histogram("bundleWaitMicros", new LogHistogram());
    encodeMicros = getMetricGroup().histogram("encodeMicros", new LogHistogram());
    rpcMicros = getMetricGroup().histogram("rpcMicros", new LogHistogram());
    emitMicros = getMetricGroup().histogram("emitMicros", new LogHistogram());
    tradesScored = getMetricGroup().counter("tradesScored");
    requestBytes = getMetricGroup().counter("requestBytes");
    arrow = new ArrowTradesEncoder();
    scorer = scorerFactory.create();
  }

  @Override
  public void processElement(StreamRecord<ClosedWindow> element) throws Exception {
    String key = (String) getCurrentKey();
    ClosedWindow window = element.getValue();
    Long lastStart = lastStartInBundle.get(key);
    if (lastStart != null && lastStart >= window.windowStartMs()) {
      // A re-fired window (allowed lateness) behind a later one of the same key: the contract wants
      // a key's windows in increasing start time within a request, so it goes into the next bundle.
      flush();
      setCurrentKey(key);
    }
    lastStartInBundle.put(key, window.windowStartMs());
    bundle.add(new Pending(key, window, element.hasTimestamp(), element.getTimestamp(), System.nanoTime()));
    if (bundle.size() == 1) {
      long seq = bundleSeq;
      long due = getProcessingTimeService().getCurrentProcessingTime() + settings.maxBundleAge().toMillis();
      ageTimer = getProcessingTimeService().registerTimer(due, time -> onBundleAge(seq));
    }
    if (bundle.size() >= settings.maxBundleSize()) {
      flush();
    }
  }

  private void onBundleAge(long seq) throws Exception {
    if (seq == bundleSeq) {
      flush();
    }
  }

  @Override
  public void processWatermark(Watermark mark) throws Exception {
    // Held until the bundle is scored: results carry timestamps below this watermark and must not
    // arrive behind it (they would be late for any event-time operator downstream).
    flush();
    super.processWatermark(mark);
  }

  @Override
  public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
    // Exactly-once: every window before the barrier is scored, its state written and its result
    // emitted before the barrier, so the checkpoint holds no half-scored bundle.
    flush();
    super.prepareSnapshotPreBarrier(checkpointId);
  }

  @Override
  public void finish() throws Exception {
    flush();
    super.finish();
  }

  @Override
  public void close() throws Exception {
    try {
      cancelAgeTimer();
      if (scorer != null) {
        scorer.close();
      }
      if (arrow != null) {
        arrow.close();
      }
    } finally {
      super.close();
    }
  }

  /** Scores the bundle, if any: read states, one call, write states, emit results. */
  private void flush() throws Exception {
    if (bundle.isEmpty()) {
      return;
    }
    cancelAgeTimer();
    List<Pending> pending = bundle;
    bundle = new ArrayList<>(Math.min(settings.maxBundleSize(), 1024));
    lastStartInBundle.clear();
    String bundleId = bundleIdPrefix + bundleSeq++;

    long flushStarted = System.nanoTime();
    Map<String, byte[]> before = new LinkedHashMap<>();
    List<ClosedWindow> windows = new ArrayList<>(pending.size());
    long trades = 0;
    for (Pending p : pending) {
      windows.add(p.window());
      trades += p.window().trades().size();
      bundleWaitMicros.update((flushStarted - p.arrivedNanos()) / 1_000);
      if (!before.containsKey(p.key())) {
        setCurrentKey(p.key());
        byte[] state = detectorState.value();
        before.put(p.key(), state == null ? NO_STATE : state);
      }
    }
    ScoreBundleRequest request = BundleCodec.request(bundleId, before, windows, arrow);

    long started = System.nanoTime();
    encodeMicros.update((started - flushStarted) / 1_000);
    ScoreBundleResponse response;
    try {
      response = scorer.score(request);
    } catch (ScoringException e) {
      throw new ScoringException(
          e.retriable(), "scoring a bundle of " + pending.size() + " windows failed; failing the job: " + e.getMessage(), e);
    }
    long scored = System.nanoTime();
    scoreMillis.update((scored - started) / 1_000_000);
    rpcMicros.update((scored - started) / 1_000);
    List<ScoredWindow> results = BundleCodec.results(request, response);
    Map<String, byte[]> after = BundleCodec.states(request, response);

    for (Map.Entry<String, byte[]> state : after.entrySet()) {
      setCurrentKey(state.getKey());
      detectorState.update(state.getValue());
    }
    for (int i = 0; i < results.size(); i++) {
      Pending p = pending.get(i);
      ScoredWindow result = results.get(i);
      output.collect(p.hasTimestamp() ? new StreamRecord<>(result, p.timestamp()) : new StreamRecord<>(result));
      closeToEmitMicros.update((System.nanoTime() - p.arrivedNanos()) / 1_000);
      if (result.anomaly()) {
        anomalies.inc();
      }
    }
    emitMicros.update((System.nanoTime() - scored) / 1_000);
    windowsScored.inc(results.size());
    bundlesScored.inc();
    bundleSize.update(results.size());
    tradesScored.inc(trades);
    // Memoised by protobuf: the gRPC marshaller asks for the same size when it writes the request.
    requestBytes.inc(request.getSerializedSize());
  }

  private void cancelAgeTimer() {
    if (ageTimer != null) {
      ageTimer.cancel(false);
      ageTimer = null;
    }
  }
}
