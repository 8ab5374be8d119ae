package io.cryptoanomaly.flink;

import io.cryptoanomaly.proto.v1.TakerSide;
import io.cryptoanomaly.proto.v1.Trade;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * Reads {@code <sym>@trade} messages from the project's real Binance recordings
 * ({@code data/recordings/}, see its SOURCE.md) straight from the JSON text, independently of the
 * job's own parsing: the reference side of the exactness tests.
 */
public final class RecordedTrades {
  /** The recordings, relative to flink-job/ (Surefire's working directory). */
  public static final Path RECORDINGS = Path.of("..", "data", "recordings");

  private static final Pattern TRADE =
      Pattern.compile(
          "\"s\":\"(?<s>[A-Z]+)\",\"t\":(?<t>\\d+),\"p\":\"(?<p>[0-9.]+)\",\"q\":\"(?<q>[0-9.]+)\",\"T\":(?<T>\\d+),\"m\":(?<m>true|false)");
  private static final Pattern EVENT_TIME = Pattern.compile("\"E\":(\\d+)");

  /** One recorded trade as Binance sent it. */
  public record Recorded(String symbol, long id, String price, String quantity, long tradeTimeMs, long eventTimeMs, boolean buyerIsMaker) {
    /** The contract record the producer would publish for it. */
    public Trade toProto() {
      return Trade.newBuilder()
          .setSymbol(symbol)
          .setTradeId(id)
          .setEventTimeMs(eventTimeMs)
          .setTradeTimeMs(tradeTimeMs)
          .setPriceDecimal(price)
          .setQuantityDecimal(quantity)
          .setPrice(Double.parseDouble(price))
          .setQuantity(Double.parseDouble(quantity))
          .setTakerSide(buyerIsMaker ? TakerSide.TAKER_SIDE_SELL : TakerSide.TAKER_SIDE_BUY)
          .setIngestTimeMs(eventTimeMs)
          .build();
    }
  }

  private RecordedTrades() {}

  public static List<Recorded> read(String fileName) {
    Path file = RECORDINGS.resolve(fileName);
    if (!Files.exists(file)) {
      throw new IllegalStateException("recording not found: " + file.toAbsolutePath());
    }
    List<Recorded> trades = new ArrayList<>();
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(new GZIPInputStream(Files.newInputStream(file)), StandardCharsets.UTF_8))) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        if (!line.contains("@trade\"")) {
          continue;
        }
        Matcher m = TRADE.matcher(line);
        Matcher e = EVENT_TIME.matcher(line);
        if (!m.find() || !e.find()) {
          throw new IllegalStateException("unexpected trade line: " + line);
        }
        trades.add(
            new Recorded(
                m.group("s"), Long.parseLong(m.group("t")), m.group("p"), m.group("q"),
                Long.parseLong(m.group("T")), Long.parseLong(e.group(1)), m.group("m").equals("true")));
      }
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
    return trades;
  }
}
