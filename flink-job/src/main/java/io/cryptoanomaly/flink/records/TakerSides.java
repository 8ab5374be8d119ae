package io.cryptoanomaly.flink.records;

/**
 * Taker side codes used in the job's columns. They equal the numbers of the contract's
 * {@code cryptoanomaly.v1.TakerSide} enum, so the Arrow column can carry them unchanged.
 */
public final class TakerSides {
  /** The taker bought (Binance {@code m == false}). */
  public static final byte BUY = 1;
  /** The taker sold (Binance {@code m == true}). */
  public static final byte SELL = 2;

  private TakerSides() {}
}
