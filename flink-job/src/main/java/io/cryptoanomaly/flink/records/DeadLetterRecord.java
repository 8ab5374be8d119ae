package io.cryptoanomaly.flink.records;

/**
 * A Kafka record this job could not decode. Becomes a {@code cryptoanomaly.v1.DeadLetter} with
 * reason {@code DEAD_LETTER_REASON_UNDECODABLE_RECORD} and source {@code "flink-job"}.
 *
 * @param payload the record value exactly as read (empty for a null value)
 * @param detail what was wrong and where it came from, e.g. {@code "raw-trades-0@42: price_decimal:
 *     expected a positive decimal, got \"-1\""}
 * @param receivedAtMs local wall-clock time the record was decoded, ms
 * @param originalSizeBytes size of the value in bytes (-1 for a null value)
 */
public record DeadLetterRecord(
    byte[] payload, String detail, long receivedAtMs, long originalSizeBytes) {}
