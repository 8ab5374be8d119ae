package io.cryptoanomaly.flink.records;

import java.time.Duration;

/** The tumbling window sizes the job computes, with their names as Binance spells them. */
public enum KlineInterval {
  TEN_SECONDS("10s", Duration.ofSeconds(10)),
  ONE_MINUTE("1m", Duration.ofMinutes(1));

  private final String label;
  private final Duration size;

  KlineInterval(String label, Duration size) {
    this.label = label;
    this.size = size;
  }

  /** "10s" or "1m": the contract's {@code Kline.interval}. */
  public String label() {
    return label;
  }

  public Duration size() {
    return size;
  }
}
