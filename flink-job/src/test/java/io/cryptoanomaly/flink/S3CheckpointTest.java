package io.cryptoanomaly.flink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A MiniCluster checkpoints to s3:// on the devkit's real S3 server (Adobe S3Mock) through
 * flink-s3-fs-hadoop on the plain classpath. Skipped when the S3Mock jar is not cached yet
 * (scripts/test.sh downloads it before the Java suites).
 */
class S3CheckpointTest {
  static Path s3mockJar() {
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
    return base.resolve("crypto-anomaly/s3mock-5.2.0/s3mock-5.2.0-exec.jar");
  }

  static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void checkpointsOfALocalJobLandInTheS3Bucket(@TempDir Path store) throws Exception {
    Path jar = s3mockJar();
    assumeTrue(Files.exists(jar), "S3Mock jar not cached: " + jar);
    int port = freePort();
    ProcessBuilder pb =
        new ProcessBuilder("java", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", jar.toString(),
                "--http.port=" + port, "--server.port=" + freePort(), "--server.address=127.0.0.1")
            .redirectErrorStream(true)
            .redirectOutput(store.resolve("s3mock.log").toFile());
    pb.environment().put("COM_ADOBE_TESTING_S3MOCK_STORE_ROOT", store.resolve("data").toString());
    pb.environment().put("COM_ADOBE_TESTING_S3MOCK_STORE_INITIAL_BUCKETS", "flink-checkpoints");
    Process s3 = pb.start();
    try {
      String endpoint = "http://127.0.0.1:" + port;
      awaitReady(endpoint, s3);
      Configuration conf = new Configuration();
      conf.setString("s3.endpoint", endpoint);
      conf.setString("s3.path.style.access", "true");
      conf.setString("s3.access-key", "devkit");
      conf.setString("s3.secret-key", "devkit-secret");
      conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, "s3://flink-checkpoints/test");
      conf.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, Duration.ofMillis(300));
      FileSystem.initialize(conf, null);
      StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
      env.setParallelism(1);
      env.fromSequence(0, Long.MAX_VALUE).map(new Slow()).sinkTo(new DiscardingSink<>());
      JobClient job = env.executeAsync("s3-checkpoint-test");
      try {
        org.apache.flink.core.fs.Path dir = new org.apache.flink.core.fs.Path("s3://flink-checkpoints/test/" + job.getJobID());
        long deadline = System.currentTimeMillis() + 60_000;
        boolean found = false;
        while (!found && System.currentTimeMillis() < deadline) {
          Thread.sleep(300);
          FileSystem fs = dir.getFileSystem();
          if (!fs.exists(dir)) continue;
          FileStatus[] entries = fs.listStatus(dir);
          found = entries != null && Arrays.stream(entries).anyMatch(e -> e.getPath().getName().startsWith("chk-")
              && exists(new org.apache.flink.core.fs.Path(e.getPath(), "_metadata")));
        }
        assertThat(found).as("a completed checkpoint (chk-N/_metadata) under " + dir).isTrue();
      } finally {
        job.cancel().get();
      }
    } finally {
      s3.destroy();
      s3.waitFor();
    }
  }

  private static boolean exists(org.apache.flink.core.fs.Path p) {
    try {
      return p.getFileSystem().exists(p);
    } catch (Exception e) {
      return false;
    }
  }

  private static void awaitReady(String endpoint, Process s3) throws Exception {
    long deadline = System.currentTimeMillis() + 60_000;
    while (System.currentTimeMillis() < deadline) {
      assertThat(s3.isAlive()).as("S3Mock running").isTrue();
      try {
        HttpURLConnection c = (HttpURLConnection) URI.create(endpoint + "/").toURL().openConnection();
        c.setConnectTimeout(1000);
        if (c.getResponseCode() == 200) return;
      } catch (java.io.IOException notYet) {
        // still starting
      }
      Thread.sleep(250);
    }
    throw new AssertionError("S3Mock did not answer on " + endpoint);
  }

  /** Keeps the unbounded sequence slow so checkpoints happen while it runs. */
  static final class Slow implements MapFunction<Long, Long> {
    @Override
    public Long map(Long value) throws Exception {
      Thread.sleep(1);
      return value;
    }
  }
}
