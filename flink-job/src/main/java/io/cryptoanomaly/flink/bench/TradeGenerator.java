package io.cryptoanomaly.flink.bench;

import io.cryptoanomaly.proto.v1.TakerSide;
import io.cryptoanomaly.proto.v1.Trade;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Pre-loads synthetic trades into {@code raw-trades} for the pipeline benchmark (not part of the
 * job): {@code cryptoanomaly.v1.Trade} records exactly as the producer writes them (key = symbol,
 * header {@code record-type}, exact 8-decimal strings plus their float64 mirrors, taker side).
 *
 * <p>Per symbol: a geometric random walk price on a realistic tick (5 significant digits), lognormal
 * quantities worth ~500 USDT, contiguous trade ids, trade times non-decreasing. Activity is skewed
 * across symbols (lognormal weights, mean {@code --trades-per-window} per 10 s window) like a real
 * exchange. Records are written in 100 ms event-time slices, so every partition is roughly in
 * event-time order, as the live producer's would be.
 *
 * <pre>
 * java -cp ... io.cryptoanomaly.flink.bench.TradeGenerator --bootstrap-servers 127.0.0.1:9092 \
 *     [--topic raw-trades] [--symbols 1000] [--seconds 300] [--trades-per-window 200] [--seed 42]
 * </pre>
 *
 * Progress on stderr; one JSON summary line on stdout.
 */
public final class TradeGenerator {
  static final long START_MS = 1_767_225_600_000L; // 2026-01-01T00:00:00Z, a window boundary
  private static final long SLICE_MS = 100;
  private static final long E8 = 100_000_000L;

  private TradeGenerator() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> o = options(args);
    String servers = o.getOrDefault("--bootstrap-servers", "127.0.0.1:9092");
    String topic = o.getOrDefault("--topic", "raw-trades");
    int symbols = Integer.parseInt(o.getOrDefault("--symbols", "1000"));
    int seconds = Integer.parseInt(o.getOrDefault("--seconds", "300"));
    double perWindow = Double.parseDouble(o.getOrDefault("--trades-per-window", "200"));
    long seed = Long.parseLong(o.getOrDefault("--seed", "42"));

    SplittableRandom random = new SplittableRandom(seed);
    String[] names = new String[symbols];
    byte[][] keys = new byte[symbols][];
    double[] weight = new double[symbols];
    double[] logPrice = new double[symbols];
    long[] nextId = new long[symbols];
    double weights = 0;
    for (int s = 0; s < symbols; s++) {
      names[s] = String.format(Locale.ROOT, "S%04dUSDT", s);
      keys[s] = names[s].getBytes(StandardCharsets.UTF_8);
      weight[s] = Math.exp(0.8 * gaussian(random));
      weights += weight[s];
      logPrice[s] = Math.log(Math.pow(10, -2 + random.nextDouble() * 6.5)); // 0.01 .. ~30,000 USDT
      nextId[s] = 1_000_000L + random.nextInt(1_000_000_000);
    }
    double[] perSlice = new double[symbols];
    for (int s = 0; s < symbols; s++) {
      // Mean trades per 100 ms slice; the weights average 1 over the symbols.
      perSlice[s] = perWindow / 100.0 * weight[s] * symbols / weights;
    }

    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    props.put(ProducerConfig.LINGER_MS_CONFIG, "20");
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(512 * 1024));
    props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(256L * 1024 * 1024));
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none"); // the producer's default
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    byte[] recordType = "cryptoanomaly.v1.Trade".getBytes(StandardCharsets.UTF_8);
    AtomicReference<Exception> failure = new AtomicReference<>();

    long trades = 0;
    long bytes = 0;
    long started = System.nanoTime();
    long lastReport = started;
    long slices = seconds * 1000L / SLICE_MS;
    long[] times = new long[64];
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
      for (long slice = 0; slice < slices; slice++) {
        long sliceStart = START_MS + slice * SLICE_MS;
        for (int s = 0; s < symbols; s++) {
          int n = poisson(random, perSlice[s]);
          if (n == 0) {
            continue;
          }
          if (times.length < n) {
            times = new long[n * 2];
          }
          for (int i = 0; i < n; i++) {
            times[i] = sliceStart + random.nextInt((int) SLICE_MS);
          }
          Arrays.sort(times, 0, n);
          double price = Math.exp(logPrice[s]);
          for (int i = 0; i < n; i++) {
            // ~3 bp per trade, with a rare jump (a small anomaly now and then).
            double step = 0.0003 * gaussian(random) + (random.nextInt(200_000) == 0 ? 0.02 * gaussian(random) : 0);
            logPrice[s] += step;
            price = Math.exp(logPrice[s]);
            long priceE8 = onTick(price);
            double notional = 500 * Math.exp(1.2 * gaussian(random));
            long qtyE8 = Math.max(1, onTick(notional / price));
            long tradeTime = times[i];
            long eventTime = tradeTime + random.nextInt(5);
            long ingest = eventTime + 20 + random.nextInt(30);
            byte[] value =
                Trade.newBuilder()
                    .setSymbol(names[s])
                    .setTradeId(nextId[s]++)
                    .setEventTimeMs(eventTime)
                    .setTradeTimeMs(tradeTime)
                    .setPriceDecimal(decimal(priceE8))
                    .setQuantityDecimal(decimal(qtyE8))
                    .setPrice(priceE8 / 1e8)
                    .setQuantity(qtyE8 / 1e8)
                    .setTakerSide(random.nextBoolean() ? TakerSide.TAKER_SIDE_BUY : TakerSide.TAKER_SIDE_SELL)
                    .setIngestTimeMs(ingest)
                    .build()
                    .toByteArray();
            // Record timestamp = now, as the producer's (kafkajs) default: an old timestamp would let
            // the broker's time-based retention delete the pre-loaded segments under the benchmark.
            ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, null, null, keys[s], value);
            record.headers().add(new RecordHeader("record-type", recordType));
            producer.send(
                record,
                (metadata, error) -> {
                  if (error != null) {
                    failure.compareAndSet(null, error);
                  }
                });
            trades++;
            bytes += value.length;
          }
        }
        if (failure.get() != null) {
          throw failure.get();
        }
        long now = System.nanoTime();
        if (now - lastReport > 2_000_000_000L) {
          lastReport = now;
          System.err.printf(
              Locale.ROOT,
              "generator: %,d trades (%.0f%% of event time, %,.0f/s)%n",
              trades, 100.0 * (slice + 1) / slices, trades / ((now - started) / 1e9));
        }
      }
      producer.flush();
    }
    if (failure.get() != null) {
      throw failure.get();
    }
    double secs = (System.nanoTime() - started) / 1e9;
    System.out.printf(
        Locale.ROOT,
        "{\"event\":\"generated\",\"trades\":%d,\"valueBytes\":%d,\"symbols\":%d,\"eventSeconds\":%d,"
            + "\"startMs\":%d,\"endMs\":%d,\"seconds\":%.3f,\"tradesPerSecond\":%.0f}%n",
        trades, bytes, symbols, seconds, START_MS, START_MS + seconds * 1000L, secs, trades / secs);
  }

  /** 5 significant digits, at least 1e-8: a realistic tick for any price level. */
  static long onTick(double value) {
    double tick = Math.pow(10, Math.floor(Math.log10(value)) - 4);
    long tickE8 = Math.max(1, Math.round(tick * E8));
    long v = Math.round(value * E8 / tickE8) * tickE8;
    return Math.max(tickE8, v);
  }

  /** An E8 long as Binance spells it: 8 fractional digits. */
  static String decimal(long e8) {
    long whole = e8 / E8;
    long frac = e8 % E8;
    StringBuilder out = new StringBuilder(24).append(whole).append('.');
    String f = Long.toString(frac);
    for (int i = f.length(); i < 8; i++) {
      out.append('0');
    }
    return out.append(f).toString();
  }

  private static double gaussian(SplittableRandom random) {
    // Box-Muller; one value per call is enough here.
    double u = 1 - random.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextDouble());
  }

  private static int poisson(SplittableRandom random, double mean) {
    if (mean > 30) {
      return (int) Math.max(0, Math.round(mean + Math.sqrt(mean) * gaussian(random)));
    }
    double limit = Math.exp(-mean);
    double p = random.nextDouble();
    int k = 0;
    while (p > limit) {
      p *= random.nextDouble();
      k++;
    }
    return k;
  }

  private static Map<String, String> options(String[] args) {
    Map<String, String> out = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!args[i].startsWith("--")) {
        throw new IllegalArgumentException("expected --name value pairs, got " + args[i]);
      }
      out.put(args[i], args[i + 1]);
    }
    return out;
  }
}
