package io.cryptoanomaly.flink.functions;

import static io.cryptoanomaly.flink.Windows.tenSeconds;
import static org.assertj.core.api.Assertions.assertThat;

import io.cryptoanomaly.flink.metrics.LogHistogram;
import io.cryptoanomaly.flink.records.ClosedWindow;
import io.cryptoanomaly.flink.scoring.BundleCodec;
import io.cryptoanomaly.flink.scoring.FakeScorer;
import java.time.Duration;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.metrics.groups.InternalOperatorMetricGroup;
import org.apache.flink.runtime.metrics.util.InterceptingOperatorMetricGroup;
import org.apache.flink.runtime.metrics.util.InterceptingTaskMetricGroup;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/** The per-stage metrics of {@link RemoteScoringOperator} that the pipeline benchmark reads. */
class RemoteScoringOperatorMetricsTest {
  private static final long T0 = 1_723_161_600_000L;

  @Test
  void countsTradesAndTimesEveryStageOfABundle() throws Exception {
    InterceptingOperatorMetricGroup metrics = new InterceptingOperatorMetricGroup();
    InterceptingTaskMetricGroup task =
        new InterceptingTaskMetricGroup() {
          @Override
          public InternalOperatorMetricGroup getOrAddOperator(
              OperatorID id, String name, Map<String, String> additionalVariables) {
            return metrics;
          }
        };
    FakeScorer scorer = new FakeScorer();
    var operator =
        new RemoteScoringOperator(
            scorer.factory(), new RemoteScoringOperator.BundleSettings(1_000, Duration.ofMinutes(10)));
    try (var harness =
        new KeyedOneInputStreamOperatorTestHarness<>(
            operator,
            (ClosedWindow w) -> BundleCodec.stateKey(w),
            Types.STRING,
            new MockEnvironmentBuilder().setMetricGroup(task).build())) {
      harness.open();
      ClosedWindow btc = tenSeconds("BTCUSDT", T0, "100", "101", "102");
      ClosedWindow eth = tenSeconds("ETHUSDT", T0, "10", "11");
      harness.processElement(new StreamRecord<>(btc, btc.windowEndMs() - 1));
      harness.processElement(new StreamRecord<>(eth, eth.windowEndMs() - 1));
      harness.processWatermark(new Watermark(btc.windowEndMs()));

      assertThat(((Counter) metrics.get("windowsScored")).getCount()).isEqualTo(2);
      assertThat(((Counter) metrics.get("tradesScored")).getCount()).isEqualTo(5);
      assertThat(((Counter) metrics.get("requestBytes")).getCount())
          .isEqualTo(scorer.requests.get(0).getSerializedSize());
      for (String perWindow : new String[] {"closeToEmitMicros", "bundleWaitMicros"}) {
        assertThat(((LogHistogram) metrics.get(perWindow)).getCount()).as(perWindow).isEqualTo(2);
      }
      for (String perBundle : new String[] {"encodeMicros", "rpcMicros", "emitMicros"}) {
        assertThat(((LogHistogram) metrics.get(perBundle)).getCount()).as(perBundle).isEqualTo(1);
      }
      LogHistogram latency = (LogHistogram) metrics.get("closeToEmitMicros");
      LogHistogram rpc = (LogHistogram) metrics.get("rpcMicros");
      // A window's latency includes its bundle's call.
      assertThat(latency.getStatistics().getMax()).isGreaterThanOrEqualTo(rpc.getStatistics().getMax());
    }
  }
}
