package io.cryptoanomaly.flink.bench;

import io.cryptoanomaly.flink.AnomalyJob;
import io.cryptoanomaly.flink.JobConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.Configuration;

/**
 * The job as {@link AnomalyJob#main} runs it, plus the benchmark's metric reporter
 * ({@link JsonLinesReporter}): driven by bench/ (node bench/dist/src/pipeline.js), which pre-loads
 * the input, starts the sidecar and reads the metric lines.
 *
 * <pre>
 * java ... io.cryptoanomaly.flink.bench.PipelineBench --metrics-file var/bench/run.jsonl \
 *     [--metrics-interval "1 s"] --bounded --starting-offsets earliest ... (any AnomalyJob option)
 * </pre>
 *
 * Prints {@code {"event":"finished","netRuntimeMs":...}} on stdout when the (bounded) job ends.
 */
public final class PipelineBench {
  private PipelineBench() {}

  public static void main(String[] args) throws Exception {
    String file = null;
    String interval = "1 s";
    List<String> jobArgs = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--metrics-file" -> file = args[++i];
        case "--metrics-interval" -> interval = args[++i];
        default -> jobArgs.add(args[i]);
      }
    }
    if (file == null) {
      System.err.println("pipeline-bench: --metrics-file is required");
      System.exit(2);
    }
    JobConfig config;
    try {
      config = JobConfig.parse(jobArgs.toArray(String[]::new));
    } catch (IllegalArgumentException e) {
      System.err.println("pipeline-bench: " + e.getMessage());
      System.exit(2);
      return;
    }
    Configuration flink = new Configuration();
    flink.setString("metrics.reporter.bench.factory.class", JsonLinesReporterFactory.class.getName());
    flink.setString("metrics.reporter.bench.interval", interval);
    flink.setString("metrics.reporter.bench." + JsonLinesReporter.PATH, file);
    long started = System.currentTimeMillis();
    JobExecutionResult result = AnomalyJob.run(config, flink);
    System.out.printf(
        Locale.ROOT,
        "{\"event\":\"finished\",\"startedMs\":%d,\"endedMs\":%d,\"netRuntimeMs\":%d}%n",
        started, System.currentTimeMillis(), result.getNetRuntime());
    System.out.flush();
    // The MiniCluster has shut down; do not wait for lingering non-daemon client threads.
    System.exit(0);
  }
}
