package io.cryptoanomaly.flink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import io.cryptoanomaly.flink.RecordedQuotes.Quote;
import io.cryptoanomaly.flink.RecordedTrades.Recorded;
import io.cryptoanomaly.flink.records.ClosedWindow;
import io.cryptoanomaly.flink.records.DeadLetterRecord;
import io.cryptoanomaly.flink.records.KlineBar;
import io.cryptoanomaly.flink.records.LateTrade;
import io.cryptoanomaly.flink.records.ProtoAdapter;
import io.cryptoanomaly.flink.records.QuoteOrDeadLetter;
import io.cryptoanomaly.flink.records.ScoredWindow;
import io.cryptoanomaly.flink.records.TradeOrDeadLetter;
import io.cryptoanomaly.flink.scoring.FakeScorer;
import io.cryptoanomaly.proto.v1.WindowToScore;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.connector.datagen.functions.FromElementsGeneratorFunction;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The pipeline with its second source: 5 real minutes of BTCUSDT trades and book tickers (~45,000
 * quotes) on a MiniCluster (parallelism 2), once with quotes and once trades-only. Quotes must not
 * change a single kline; every closed window carries a book summary that matches an independent
 * count and maximum over the recording; the scoring requests carry it; an undecodable quote is a
 * dead letter.
 */
class AnomalyJobBookTickerPipelineTest {
  private static final int PARALLELISM = 2;
  private static final long TEN_SECONDS_MS = 10_000;
  private static final String FILE = "btcusdt_20240809.gz";

  @RegisterExtension
  static final MiniClusterExtension MINI_CLUSTER =
      new MiniClusterExtension(
          new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(PARALLELISM).build());

  private static List<Quote> quotes;
  private static final byte[] GARBAGE = "not a book ticker".getBytes(StandardCharsets.UTF_8);

  private static Run withQuotes;
  private static Run tradesOnly;

  private record Run(
      List<KlineBar> klines, List<ClosedWindow> windows, List<DeadLetterRecord> deadLetters, FakeScorer scorer) {}

  @BeforeAll
  static void runBothPipelines() throws Exception {
    List<Recorded> trades = RecordedTrades.read(FILE);
    quotes = RecordedQuotes.read(FILE);
    List<TradeOrDeadLetter> tradeInput = new ArrayList<>();
    for (Recorded t : trades) {
      tradeInput.add(ProtoAdapter.decodeTrade(t.toProto().toByteArray(), "test-0@0", 0));
    }
    List<QuoteOrDeadLetter> quoteInput = new ArrayList<>();
    for (Quote q : quotes) {
      quoteInput.add(ProtoAdapter.decodeBookTicker(q.toProto().toByteArray(), "book-0@0", 0));
    }
    quoteInput.add(quoteInput.size() / 2, ProtoAdapter.decodeBookTicker(GARBAGE, "book-0@1", 0));
    withQuotes = run(tradeInput, quoteInput);
    tradesOnly = run(tradeInput, null);
  }

  private static Run run(List<TradeOrDeadLetter> tradeInput, List<QuoteOrDeadLetter> quoteInput) throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(PARALLELISM);
    Configuration noKryo = new Configuration();
    noKryo.set(PipelineOptions.GENERIC_TYPES, false);
    env.configure(noKryo);
    TypeInformation<TradeOrDeadLetter> tradeType = TypeInformation.of(TradeOrDeadLetter.class);
    var tradeSource =
        new DataGeneratorSource<>(
            new FromElementsGeneratorFunction<>(tradeType, tradeInput.toArray(TradeOrDeadLetter[]::new)), tradeInput.size(), tradeType);
    DataGeneratorSource<QuoteOrDeadLetter> quoteSource = null;
    if (quoteInput != null) {
      TypeInformation<QuoteOrDeadLetter> quoteType = TypeInformation.of(QuoteOrDeadLetter.class);
      quoteSource =
          new DataGeneratorSource<>(
              new FromElementsGeneratorFunction<>(quoteType, quoteInput.toArray(QuoteOrDeadLetter[]::new)), quoteInput.size(), quoteType);
    }
    CollectingSink<KlineBar> kline10s = new CollectingSink<>();
    CollectingSink<KlineBar> kline1m = new CollectingSink<>();
    CollectingSink<DeadLetterRecord> deadLetters = new CollectingSink<>();
    CollectingSink<LateTrade> lateTrades = new CollectingSink<>();
    CollectingSink<ClosedWindow> closed = new CollectingSink<>();
    AnomalyJob.Pipeline pipeline =
        AnomalyJob.build(env, JobConfig.defaults(), tradeSource, quoteSource, new AnomalyJob.Sinks(kline10s, kline1m, deadLetters, lateTrades));
    pipeline.closedWindows().sinkTo(closed);
    FakeScorer scorer = new FakeScorer();
    JobConfig scoring = JobConfig.parse("--bundle-size", "16");
    AnomalyJob.score(pipeline, scoring, scorer.factory(), new AnomalyJob.ScoringSinks(new CollectingSink<ScoredWindow>(), new CollectingSink<ScoredWindow>()));
    env.execute("book-ticker-pipeline-test");
    List<KlineBar> klines = new ArrayList<>(kline10s.results());
    klines.addAll(kline1m.results());
    assertThat(lateTrades.results()).isEmpty();
    return new Run(klines, closed.results(), deadLetters.results(), scorer);
  }

  @Test
  void quotesChangeNoKline() {
    assertThat(withQuotes.klines()).isNotEmpty();
    assertThat(new HashSet<>(withQuotes.klines())).isEqualTo(new HashSet<>(tradesOnly.klines()));
    assertThat(withQuotes.klines()).hasSameSizeAs(tradesOnly.klines());
    assertThat(tradesOnly.windows()).allSatisfy(w -> assertThat(w.book()).isNull());
  }

  @Test
  void everyClosedWindowCarriesItsQuotesCountAndWidestSpread() {
    Map<Long, List<Quote>> byWindow =
        quotes.stream().collect(Collectors.groupingBy(q -> q.eventTimeMs() - Math.floorMod(q.eventTimeMs(), TEN_SECONDS_MS)));
    List<ClosedWindow> tenSeconds = withQuotes.windows().stream().filter(w -> w.interval().equals("10s")).toList();
    assertThat(tenSeconds).hasSizeGreaterThan(25);
    for (ClosedWindow w : tenSeconds) {
      List<Quote> in = byWindow.get(w.windowStartMs());
      assertThat(w.book()).as("window %d", w.windowStartMs()).isNotNull();
      assertThat(w.book().quoteCount()).as("window %d", w.windowStartMs()).isEqualTo(in.size());
      double max = in.stream().filter(q -> q.spreadBps() > 0).mapToDouble(Quote::spreadBps).max().orElseThrow();
      assertThat(w.book().spreadBpsMax()).isCloseTo(max, offset(1e-9));
      assertThat(w.book().spreadBpsGeo()).isBetween(0.0, max);
      assertThat(w.book().spreadBpsTwa()).isBetween(w.book().spreadBpsGeo() - 1e-12, max);
    }
  }

  @Test
  void scoringRequestsCarryTheBookSummaryOfTheirWindow() {
    Map<String, ClosedWindow> windows =
        withQuotes.windows().stream().collect(Collectors.toMap(w -> w.interval() + "@" + w.windowStartMs(), w -> w));
    List<WindowToScore> sent = withQuotes.scorer().requests.stream().flatMap(r -> r.getWindowsList().stream()).toList();
    assertThat(sent).hasSameSizeAs(windows.values());
    for (WindowToScore w : sent) {
      ClosedWindow c = windows.get(w.getInterval() + "@" + w.getWindowStartMs());
      assertThat(w.hasBook()).isTrue();
      assertThat(w.getBook().getQuoteCount()).isEqualTo(c.book().quoteCount());
      assertThat(w.getBook().getSpreadBpsGeo()).isEqualTo(c.book().spreadBpsGeo());
      assertThat(w.getBook().getMaxQuoteGapMs()).isEqualTo(c.book().maxQuoteGapMs());
    }
    assertThat(tradesOnly.scorer().requests.stream().flatMap(r -> r.getWindowsList().stream())).noneMatch(WindowToScore::hasBook);
  }

  @Test
  void sendsAnUndecodableQuoteToTheDeadLetterSink() {
    assertThat(withQuotes.deadLetters()).hasSize(1);
    assertThat(withQuotes.deadLetters().get(0).payload()).isEqualTo(GARBAGE);
    assertThat(withQuotes.deadLetters().get(0).detail()).contains("BookTicker");
  }
}
