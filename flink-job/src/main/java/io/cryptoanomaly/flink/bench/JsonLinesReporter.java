package io.cryptoanomaly.flink.bench;

import io.cryptoanomaly.flink.metrics.LogHistogram;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.LogicalScopeProvider;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.Scheduled;

/**
 * A metric reporter for the pipeline benchmark: every interval (and once at close) it appends one
 * JSON line with every counter, the gauges the benchmark reads (task busy / back-pressured / idle
 * time, watermarks, JVM CPU and GC, checkpoints) and the buckets of every {@link LogHistogram}, so
 * the benchmark can subtract two snapshots and get rates and quantiles of a steady interval.
 *
 * <pre>
 * {"t": epoch ms, "c": {key: count}, "g": {key: number}, "h": {key: {"n": count, "s": sum, "b": {bucket: count}}}}
 * </pre>
 *
 * key = "&lt;operator or task name&gt;#&lt;subtask&gt;|&lt;logical scope&gt;.&lt;metric&gt;", e.g.
 * {@code remote-scoring#0|taskmanager.job.task.operator.windowsScored}. Configured with
 * {@code metrics.reporter.<name>.factory.class} = {@link JsonLinesReporterFactory} and
 * {@code metrics.reporter.<name>.path}.
 */
public final class JsonLinesReporter implements MetricReporter, Scheduled {
  static final String PATH = "path";

  private static final Set<String> GAUGES =
      Set.of(
          "busyTimeMsPerSecond",
          "backPressuredTimeMsPerSecond",
          "idleTimeMsPerSecond",
          "accumulateBusyTimeMs",
          "accumulateBackPressuredTimeMs",
          "accumulateIdleTimeMs",
          "pendingWindows",
          "currentInputWatermark",
          "currentOutputWatermark",
          "numberOfCompletedCheckpoints",
          "numberOfFailedCheckpoints",
          "lastCheckpointDuration",
          "pendingRecords",
          "currentSendTime");

  private final Map<Metric, String> metrics = new ConcurrentHashMap<>();
  private final Map<Metric, String> removed = new ConcurrentHashMap<>();
  private BufferedWriter out;

  @Override
  public void open(MetricConfig config) {
    Path path = Path.of(config.getString(PATH, "flink-metrics.jsonl"));
    try {
      if (path.getParent() != null) {
        Files.createDirectories(path.getParent());
      }
      out = Files.newBufferedWriter(path, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException("bench reporter cannot open " + path, e);
    }
  }

  @Override
  public void notifyOfAddedMetric(Metric metric, String name, MetricGroup group) {
    String scope = LogicalScopeProvider.castFrom(group).getLogicalScope(text -> text, '.');
    boolean jvm = scope.contains(".Status.JVM");
    if (metric instanceof Gauge<?> && !GAUGES.contains(name) && !jvm) {
      return;
    }
    if (!(metric instanceof Counter || metric instanceof Gauge<?> || metric instanceof LogHistogram)) {
      return;
    }
    Map<String, String> vars = group.getAllVariables();
    String owner = vars.getOrDefault("<operator_name>", vars.getOrDefault("<task_name>", ""));
    String subtask = vars.get("<subtask_index>");
    metrics.put(metric, owner + (subtask == null ? "" : "#" + subtask) + "|" + scope + "." + name);
  }

  @Override
  public void notifyOfRemovedMetric(Metric metric, String name, MetricGroup group) {
    // A finished task's final values matter (a short bounded run may end between two lines):
    // report it once more with the next line, then forget it.
    String key = metrics.remove(metric);
    if (key != null) {
      removed.put(metric, key);
    }
  }

  @Override
  public synchronized void report() {
    if (out == null) {
      return;
    }
    StringBuilder c = new StringBuilder();
    StringBuilder g = new StringBuilder();
    StringBuilder h = new StringBuilder();
    Map<Metric, String> all = new java.util.HashMap<>(removed);
    removed.clear();
    all.putAll(metrics);
    for (Map.Entry<Metric, String> e : all.entrySet()) {
      Metric metric = e.getKey();
      String key = json(e.getValue());
      if (metric instanceof Counter counter) {
        sep(c).append(key).append(':').append(counter.getCount());
      } else if (metric instanceof LogHistogram histogram) {
        long[] buckets = histogram.bucketCounts();
        sep(h).append(key).append(":{\"n\":").append(histogram.getCount()).append(",\"s\":").append(histogram.sum()).append(",\"b\":{");
        boolean first = true;
        for (int i = 0; i < buckets.length; i++) {
          if (buckets[i] != 0) {
            if (!first) {
              h.append(',');
            }
            first = false;
            h.append('"').append(i).append("\":").append(buckets[i]);
          }
        }
        h.append("}}");
      } else if (metric instanceof Gauge<?> gauge) {
        Object value;
        try {
          value = gauge.getValue();
        } catch (RuntimeException ex) {
          continue;
        }
        if (value instanceof Number number && Double.isFinite(number.doubleValue())) {
          sep(g).append(key).append(':').append(number instanceof Double || number instanceof Float
              ? String.format(Locale.ROOT, "%.6g", number.doubleValue())
              : number.toString());
        }
      }
    }
    try {
      out.write("{\"t\":" + System.currentTimeMillis() + ",\"c\":{" + c + "},\"g\":{" + g + "},\"h\":{" + h + "}}\n");
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public synchronized void close() {
    report();
    try {
      if (out != null) {
        out.close();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      out = null;
    }
  }

  private static StringBuilder sep(StringBuilder b) {
    return b.length() == 0 ? b : b.append(',');
  }

  private static String json(String text) {
    StringBuilder b = new StringBuilder(text.length() + 2).append('"');
    for (char ch : text.toCharArray()) {
      if (ch == '"' || ch == '\\') {
        b.append('\\').append(ch);
      } else if (ch < 0x20) {
        b.append(String.format(Locale.ROOT, "\\u%04x", (int) ch));
      } else {
        b.append(ch);
      }
    }
    return b.append('"').toString();
  }
}
