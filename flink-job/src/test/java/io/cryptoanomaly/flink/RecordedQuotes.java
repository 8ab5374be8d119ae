package io.cryptoanomaly.flink;

import io.cryptoanomaly.proto.v1.BookTicker;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * Reads {@code <sym>@bookTicker} messages from the real recordings (hftbacktest format:
 * {@code <local receive ns> <json>}). Spot book tickers carry no event time, so each gets the
 * producer's estimate: its receive time shifted by the latest clock offset (trade {@code E} minus
 * that trade's receive time; the first trade's offset before any trade). Sorted by that time.
 */
public final class RecordedQuotes {
  private static final Pattern QUOTE =
      Pattern.compile(
          "\"u\":(?<u>\\d+),\"s\":\"(?<s>[A-Z]+)\",\"b\":\"(?<b>[0-9.]+)\",\"B\":\"(?<B>[0-9.]+)\",\"a\":\"(?<a>[0-9.]+)\",\"A\":\"(?<A>[0-9.]+)\"");
  private static final Pattern EVENT_TIME = Pattern.compile("\"E\":(\\d+)");

  /** One recorded quote with its estimated event time. */
  public record Quote(String symbol, long updateId, long eventTimeMs, String bid, String bidQty, String ask, String askQty) {
    public double spreadBps() {
      double b = Double.parseDouble(bid);
      double a = Double.parseDouble(ask);
      return (a - b) / ((a + b) / 2) * 10_000;
    }

    public BookTicker toProto() {
      return BookTicker.newBuilder()
          .setSymbol(symbol)
          .setUpdateId(updateId)
          .setBidPriceDecimal(bid)
          .setBidQuantityDecimal(bidQty)
          .setAskPriceDecimal(ask)
          .setAskQuantityDecimal(askQty)
          .setBidPrice(Double.parseDouble(bid))
          .setBidQuantity(Double.parseDouble(bidQty))
          .setAskPrice(Double.parseDouble(ask))
          .setAskQuantity(Double.parseDouble(askQty))
          .setEventTimeMs(eventTimeMs)
          .setEventTimeEstimated(true)
          .setIngestTimeMs(eventTimeMs)
          .build();
    }
  }

  private RecordedQuotes() {}

  public static List<Quote> read(String fileName) {
    Path file = RecordedTrades.RECORDINGS.resolve(fileName);
    List<String> lines = new ArrayList<>();
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(new GZIPInputStream(Files.newInputStream(file)), StandardCharsets.UTF_8))) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        if (line.contains("@trade\"") || line.contains("@bookTicker\"")) {
          lines.add(line);
        }
      }
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
    Long offset = null;
    for (String line : lines) {
      if (line.contains("@trade\"")) {
        offset = offsetOf(line);
        break;
      }
    }
    List<Quote> quotes = new ArrayList<>();
    for (String line : lines) {
      if (line.contains("@trade\"")) {
        offset = offsetOf(line);
        continue;
      }
      Matcher m = QUOTE.matcher(line);
      if (!m.find()) {
        throw new IllegalStateException("unexpected book-ticker line: " + line);
      }
      long time = receivedMs(line) + (offset == null ? 0 : offset);
      quotes.add(new Quote(m.group("s"), Long.parseLong(m.group("u")), time, m.group("b"), m.group("B"), m.group("a"), m.group("A")));
    }
    quotes.sort(Comparator.comparingLong(Quote::eventTimeMs));
    return quotes;
  }

  private static long receivedMs(String line) {
    return Long.parseLong(line.substring(0, line.indexOf(' '))) / 1_000_000;
  }

  private static long offsetOf(String tradeLine) {
    Matcher e = EVENT_TIME.matcher(tradeLine);
    if (!e.find()) {
      throw new IllegalStateException("trade without E: " + tradeLine);
    }
    return Long.parseLong(e.group(1)) - receivedMs(tradeLine);
  }
}
