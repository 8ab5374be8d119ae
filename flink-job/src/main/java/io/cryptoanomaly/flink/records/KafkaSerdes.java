package io.cryptoanomaly.flink.records;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

/** Kafka (de)serialisation of the job's records. Keys are the symbol as UTF-8 (or none). */
public final class KafkaSerdes {
  /** Headers on {@code late-trades} records. */
  public static final String HEADER_LATE_INTERVAL = "late-for-interval";
  public static final String HEADER_LATE_WINDOW_START = "late-window-start-ms";
  public static final String HEADER_LATE_WATERMARK = "late-watermark-ms";

  private KafkaSerdes() {}

  /** "topic-partition@offset": where a dead letter came from. */
  static String origin(ConsumerRecord<byte[], byte[]> record) {
    return record.topic() + "-" + record.partition() + "@" + record.offset();
  }

  /** raw-trades value -> trade or dead letter; never throws, so a bad record cannot fail the job. */
  public static final class TradeDeserializer implements KafkaRecordDeserializationSchema<TradeOrDeadLetter> {
    private static final long serialVersionUID = 1L;

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<TradeOrDeadLetter> out) {
      out.collect(ProtoAdapter.decodeTrade(record.value(), origin(record), System.currentTimeMillis()));
    }

    @Override
    public TypeInformation<TradeOrDeadLetter> getProducedType() {
      return TypeInformation.of(TradeOrDeadLetter.class);
    }
  }

  /** book-ticker value -> quote or dead letter; never throws. */
  public static final class BookTickerDeserializer implements KafkaRecordDeserializationSchema<QuoteOrDeadLetter> {
    private static final long serialVersionUID = 1L;

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<QuoteOrDeadLetter> out) {
      out.collect(ProtoAdapter.decodeBookTicker(record.value(), origin(record), System.currentTimeMillis()));
    }

    @Override
    public TypeInformation<QuoteOrDeadLetter> getProducedType() {
      return TypeInformation.of(QuoteOrDeadLetter.class);
    }
  }

  /** Kline -> protobuf Kline, key = symbol, record timestamp = window end. */
  public static final class KlineSerializer implements KafkaRecordSerializationSchema<KlineBar> {
    private static final long serialVersionUID = 1L;
    private final String topic;

    public KlineSerializer(String topic) {
      this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(KlineBar bar, KafkaSinkContext context, Long timestamp) {
      return new ProducerRecord<>(
          topic, null, bar.windowEndMs(), utf8(bar.symbol()), ProtoAdapter.toKline(bar).toByteArray());
    }
  }

  /**
   * Scored window -> its protobuf Alert as the scorer encoded it, key = symbol, record timestamp =
   * window end. Serves both {@code alerts} and {@code scored-windows}.
   */
  public static final class ScoredWindowSerializer implements KafkaRecordSerializationSchema<ScoredWindow> {
    private static final long serialVersionUID = 1L;
    private final String topic;

    public ScoredWindowSerializer(String topic) {
      this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(ScoredWindow scored, KafkaSinkContext context, Long timestamp) {
      return new ProducerRecord<>(topic, null, scored.windowEndMs(), utf8(scored.symbol()), scored.alert());
    }
  }

  /** Dead letter -> protobuf DeadLetter, no key (the symbol of an undecodable record is unknown). */
  public static final class DeadLetterSerializer implements KafkaRecordSerializationSchema<DeadLetterRecord> {
    private static final long serialVersionUID = 1L;
    private final String topic;

    public DeadLetterSerializer(String topic) {
      this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(
        DeadLetterRecord record, KafkaSinkContext context, Long timestamp) {
      return new ProducerRecord<>(topic, null, null, null, ProtoAdapter.toDeadLetter(record).toByteArray());
    }
  }

  /**
   * Late trade -> protobuf Trade (the topic carries one message type, like raw-trades), key =
   * symbol, timestamp = trade time; interval, window start and watermark go into headers.
   */
  public static final class LateTradeSerializer implements KafkaRecordSerializationSchema<LateTrade> {
    private static final long serialVersionUID = 1L;
    private final String topic;

    public LateTradeSerializer(String topic) {
      this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(LateTrade late, KafkaSinkContext context, Long timestamp) {
      List<Header> headers =
          List.of(
              new RecordHeader(HEADER_LATE_INTERVAL, utf8(late.interval())),
              new RecordHeader(HEADER_LATE_WINDOW_START, utf8(Long.toString(late.windowStartMs()))),
              new RecordHeader(HEADER_LATE_WATERMARK, utf8(Long.toString(late.watermarkMs()))));
      return new ProducerRecord<>(
          topic,
          null,
          late.trade().tradeTimeMs(),
          utf8(late.trade().symbol()),
          ProtoAdapter.toTrade(late.trade()).toByteArray(),
          headers);
    }
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
