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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.api.common.operators.MailboxExecutor;
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
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;

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
 *
 * <p><b>In-flight bundles</b> ({@code maxInFlight} &gt; 0, docs/decisions/027): a flushed bundle's
 * call runs on one of {@code maxInFlight} call threads while the task thread goes on collecting
 * (and sending) the next bundles. The call threads touch nothing of the operator: they run {@link
 * Scorer#score} and complete a future, and a mailbox mail brings the completion back to the task
 * thread, which applies completed bundles strictly in send order (check the response, write the
 * states, emit the results). So the output order is exactly the synchronous one. Rules:
 *
 * <ul>
 *   <li>a bundle is sent only when none of its keys is in an in-flight bundle (the task thread
 *       waits for the in-flight ones first), and its states are read after that: two windows of a
 *       key always chain through the state the previous call returned;
 *   <li>at most {@code maxInFlight} calls are outstanding; one more waits for the oldest;
 *   <li>a watermark is forwarded only when every bundle sent before it has been applied (it is
 *       held meanwhile, as PyFlink holds it), so results are never late behind it;
 *   <li>{@link #prepareSnapshotPreBarrier} and {@link #finish} flush and wait for every in-flight
 *       bundle: a checkpoint never contains an in-flight call;
 *   <li>a failed call (after the scorer's own retries) fails the operator when it is applied.
 * </ul>
 *
 * With {@code maxInFlight} = 0 the call runs on the task thread (one blocking call per bundle).
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
   * @param maxInFlight calls outstanding while the task thread goes on; 0 = the call blocks the
   *     task thread
   */
  public record BundleSettings(int maxBundleSize, Duration maxBundleAge, int maxInFlight) implements Serializable {
    public static final int MAX_IN_FLIGHT = 64;

    public BundleSettings {
      if (maxBundleSize < 1) {
        throw new IllegalArgumentException("maxBundleSize must be at least 1, got " + maxBundleSize);
      }
      if (maxBundleAge.isNegative() || maxBundleAge.isZero()) {
        throw new IllegalArgumentException("maxBundleAge must be positive, got " + maxBundleAge);
      }
      if (maxInFlight < 0 || maxInFlight > MAX_IN_FLIGHT) {
        throw new IllegalArgumentException("maxInFlight must be 0.." + MAX_IN_FLIGHT + ", got " + maxInFlight);
      }
    }

    /** One blocking call at a time on the task thread. */
    public BundleSettings(int maxBundleSize, Duration maxBundleAge) {
      this(maxBundleSize, maxBundleAge, 0);
    }
  }

  /**
   * A window waiting in the bundle, with its key, stream timestamp and arrival ({@link
   * System#nanoTime}): the window operator emits a window when the watermark passes its end, so
   * the arrival here is its close, one network hop later.
   */
  private record Pending(String key, ClosedWindow window, boolean hasTimestamp, long timestamp, long arrivedNanos) {}

  /** The outcome of one call, produced on a call thread. */
  private record CallResult(ScoreBundleResponse response, long startedNanos, long endedNanos) {}

  /** A sent bundle, until the task thread has applied its result. */
  private record InFlight(
      long seq,
      List<Pending> pending,
      ScoreBundleRequest request,
      Map<String, byte[]> keys,
      long trades,
      CompletableFuture<CallResult> result) {}

  /** A watermark held until the bundle {@code afterSeq} (the last one sent before it) is applied. */
  private record HeldWatermark(Watermark mark, long afterSeq) {}

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
  /** Sent bundles in send order; the head is applied first. Task thread only. */
  private transient ArrayDeque<InFlight> inFlight;
  /** Keys of the in-flight bundles, with the number of in-flight bundles holding each. */
  private transient Map<String, Integer> inFlightKeys;
  private transient ArrayDeque<HeldWatermark> heldWatermarks;
  /** Runs the calls when maxInFlight &gt; 0; null otherwise. */
  private transient ExecutorService calls;
  /** Brings completions back to the task thread. */
  private transient MailboxExecutor mailbox;

  private transient Counter windowsScored;
  private transient Counter anomalies;
  private transient Counter bundlesScored;
  private transient Histogram bundleSize;
  private transient Histogram scoreMillis;
  // Per-stage cumulative histograms (microseconds; LogHistogram: one array increment per update).
  /**
   * Per window: arrival (window close) to its result handed to the output, i.e. to the keyed
   * exchange into the market-context stage (not to the sinks, which read from that stage).
   */
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
  /** Per wait: the task thread blocked for an in-flight call (key conflict, limit, barrier, end). */
  private transient LogHistogram inFlightWaitMicros;

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
    inFlightWaitMicros = getMetricGroup().histogram("inFlightWaitMicros", new LogHistogram());
    getMetricGroup().gauge("inFlightBundles", () -> inFlight.size());
    inFlight = new ArrayDeque<>();
    inFlightKeys = new HashMap<>();
    heldWatermarks = new ArrayDeque<>();
    mailbox = getContainingTask().getMailboxExecutorFactory().createExecutor(getOperatorConfig().getChainIndex());
    if (settings.maxInFlight() > 0) {
      String prefix = "remote-scoring-" + task.getIndexOfThisSubtask() + "-call-";
      AtomicInteger threads = new AtomicInteger();
      calls =
          Executors.newFixedThreadPool(
              settings.maxInFlight(),
              r -> {
                Thread t = new Thread(r, prefix + threads.incrementAndGet());
                t.setDaemon(true);
                return t;
              });
    }
    arrow = new ArrowTradesEncoder();
    scorer = scorerFactory.create();
  }

  @Override
  public void processElement(StreamRecord<ClosedWindow> element) throws Exception {
    String key = (String) getCurrentKey();
    ClosedWindow window = element.getValue();
    if (applyCompleted()) {
      setCurrentKey(key);
    }
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
    // Held until every bundle sent before it is applied: results carry timestamps below this
    // watermark and must not arrive behind it (they would be late for any event-time operator
    // downstream).
    flush();
    applyCompleted();
    if (inFlight.isEmpty()) {
      super.processWatermark(mark);
    } else {
      heldWatermarks.add(new HeldWatermark(mark, inFlight.peekLast().seq()));
    }
  }

  @Override
  public void processWatermarkStatus(WatermarkStatus status) throws Exception {
    // Rare (idleness): keep it behind the held watermarks and results rather than reordering.
    awaitAll();
    super.processWatermarkStatus(status);
  }

  @Override
  public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
    // Exactly-once: every window before the barrier is scored, its state written and its result
    // emitted before the barrier, so the checkpoint holds no half-scored or in-flight bundle.
    flush();
    awaitAll();
    super.prepareSnapshotPreBarrier(checkpointId);
  }

  @Override
  public void finish() throws Exception {
    flush();
    awaitAll();
    super.finish();
  }

  @Override
  public void close() throws Exception {
    try {
      cancelAgeTimer();
      if (calls != null) {
        // Interrupts calls still running (cancellation, failure): their results are never applied.
        calls.shutdownNow();
      }
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

  /**
   * Sends the bundle, if any: waits for in-flight bundles holding one of its keys, reads the
   * states, encodes, calls (inline when maxInFlight = 0, else on a call thread) and returns; the
   * result is applied by {@link #applyCompleted} in send order.
   */
  private void flush() throws Exception {
    if (bundle.isEmpty()) {
      return;
    }
    cancelAgeTimer();
    List<Pending> pending = bundle;
    bundle = new ArrayList<>(Math.min(settings.maxBundleSize(), 1024));
    lastStartInBundle.clear();
    long seq = bundleSeq++;
    String bundleId = bundleIdPrefix + seq;

    long flushStarted = System.nanoTime();
    Map<String, byte[]> before = new LinkedHashMap<>();
    for (Pending p : pending) {
      before.putIfAbsent(p.key(), NO_STATE);
    }
    // A key still in flight: its state is not final yet. Wait (applying in order) until it is.
    while (!inFlight.isEmpty() && sharesAKey(before)) {
      awaitHead();
    }
    // At most maxInFlight calls outstanding: the oldest must finish before one more starts.
    while (settings.maxInFlight() > 0 && inFlight.size() >= settings.maxInFlight()) {
      awaitHead();
    }
    long statesFrom = System.nanoTime();
    List<ClosedWindow> windows = new ArrayList<>(pending.size());
    long trades = 0;
    for (Pending p : pending) {
      windows.add(p.window());
      trades += p.window().trades().size();
      bundleWaitMicros.update((flushStarted - p.arrivedNanos()) / 1_000);
    }
    for (Map.Entry<String, byte[]> entry : before.entrySet()) {
      setCurrentKey(entry.getKey());
      byte[] state = detectorState.value();
      entry.setValue(state == null ? NO_STATE : state);
    }
    ScoreBundleRequest request = BundleCodec.request(bundleId, before, windows, arrow);
    encodeMicros.update((System.nanoTime() - statesFrom) / 1_000);

    InFlight sent = new InFlight(seq, pending, request, before, trades, new CompletableFuture<>());
    inFlight.add(sent);
    for (String key : before.keySet()) {
      inFlightKeys.merge(key, 1, Integer::sum);
    }
    if (calls == null) {
      call(sent);
      applyCompleted();
    } else {
      try {
        calls.execute(() -> {
          call(sent);
          try {
            mailbox.execute(this::applyCompleted, "apply scored bundle %s", bundleId);
          } catch (RejectedExecutionException e) {
            // The task is closing: nobody applies this result, and no checkpoint includes it.
          }
        });
      } catch (RejectedExecutionException e) {
        sent.result().completeExceptionally(e);
      }
    }
  }

  /** Runs one call (its retries included) and completes the bundle's future; any thread. */
  private void call(InFlight sent) {
    long started = System.nanoTime();
    try {
      ScoreBundleResponse response = scorer.score(sent.request());
      sent.result().complete(new CallResult(response, started, System.nanoTime()));
    } catch (Throwable t) {
      sent.result().completeExceptionally(t);
    }
  }

  private boolean sharesAKey(Map<String, byte[]> keys) {
    for (String key : keys.keySet()) {
      if (inFlightKeys.containsKey(key)) {
        return true;
      }
    }
    return false;
  }

  /** Applies the completed bundles at the head of the queue, in order; true if any was applied. */
  private boolean applyCompleted() throws Exception {
    boolean any = false;
    while (!inFlight.isEmpty() && inFlight.peek().result().isDone()) {
      apply(inFlight.poll());
      any = true;
    }
    return any;
  }

  /** Blocks the task thread until the oldest in-flight bundle completes, then applies it. */
  private void awaitHead() throws Exception {
    InFlight head = inFlight.peek();
    if (!head.result().isDone()) {
      long from = System.nanoTime();
      try {
        head.result().get();
      } catch (ExecutionException e) {
        // apply() rethrows it with the bundle's context
      }
      inFlightWaitMicros.update((System.nanoTime() - from) / 1_000);
    }
    applyCompleted();
  }

  private void awaitAll() throws Exception {
    while (!inFlight.isEmpty()) {
      awaitHead();
    }
  }

  /** On the task thread: check the response, write states, emit results, release watermarks. */
  private void apply(InFlight done) throws Exception {
    for (String key : done.keys().keySet()) {
      inFlightKeys.computeIfPresent(key, (k, n) -> n == 1 ? null : n - 1);
    }
    CallResult call;
    try {
      call = done.result().get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      String message = "scoring a bundle of " + done.pending().size() + " windows failed; failing the job: " + cause.getMessage();
      throw new ScoringException(cause instanceof ScoringException se && se.retriable(), message, cause);
    }
    long scored = call.endedNanos();
    scoreMillis.update((scored - call.startedNanos()) / 1_000_000);
    rpcMicros.update((scored - call.startedNanos()) / 1_000);
    long applyFrom = System.nanoTime();
    ScoreBundleRequest request = done.request();
    List<ScoredWindow> results = BundleCodec.results(request, call.response());
    Map<String, byte[]> after = BundleCodec.states(request, call.response());

    for (Map.Entry<String, byte[]> state : after.entrySet()) {
      setCurrentKey(state.getKey());
      detectorState.update(state.getValue());
    }
    List<Pending> pending = done.pending();
    for (int i = 0; i < results.size(); i++) {
      Pending p = pending.get(i);
      ScoredWindow result = results.get(i);
      output.collect(p.hasTimestamp() ? new StreamRecord<>(result, p.timestamp()) : new StreamRecord<>(result));
      closeToEmitMicros.update((System.nanoTime() - p.arrivedNanos()) / 1_000);
      if (result.anomaly()) {
        anomalies.inc();
      }
    }
    emitMicros.update((System.nanoTime() - applyFrom) / 1_000);
    windowsScored.inc(results.size());
    bundlesScored.inc();
    bundleSize.update(results.size());
    tradesScored.inc(done.trades());
    // Memoised by protobuf: the gRPC marshaller asked for the same size when it wrote the request.
    requestBytes.inc(request.getSerializedSize());

    while (!heldWatermarks.isEmpty() && heldWatermarks.peek().afterSeq() <= done.seq()) {
      super.processWatermark(heldWatermarks.poll().mark());
    }
  }

  private void cancelAgeTimer() {
    if (ageTimer != null) {
      ageTimer.cancel(false);
      ageTimer = null;
    }
  }
}
