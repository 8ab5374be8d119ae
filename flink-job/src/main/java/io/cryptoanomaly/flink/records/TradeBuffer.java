package io.cryptoanomaly.flink.records;

import java.util.Arrays;

/**
 * The window accumulator: the trades of one open window as growable primitive columns, in
 * arrival order, plus running aggregates of its book-ticker quotes ({@link QuoteStats}).
 * Appending a trade copies five primitives; no per-trade or per-quote object is kept.
 *
 * <p>A mutable Flink POJO (public fields, no-arg constructor), so state is serialised by Flink's
 * POJO serializer with primitive-array field serializers, never Kryo. Only the first {@code size}
 * entries of each array are meaningful; capacity grows by doubling.
 *
 * <p>Note for the RocksDB backend: an {@code AggregateFunction} accumulator is read and rewritten
 * on every element there, which makes a trade cost O(window size). The job uses the heap
 * ({@code hashmap}) backend, where the accumulator is updated in place.
 */
public class TradeBuffer {
  private static final int INITIAL_CAPACITY = 64;

  public int size;
  public long[] tradeTimeMs;
  public long[] tradeId;
  public long[] priceE8;
  public long[] quantityE8;
  public byte[] takerSide;
  /** The window's book-ticker aggregates (a fixed handful of primitives; no quote is kept). */
  public QuoteStats quotes;

  public TradeBuffer() {
    this.quotes = new QuoteStats();
    this.size = 0;
    this.tradeTimeMs = new long[0];
    this.tradeId = new long[0];
    this.priceE8 = new long[0];
    this.quantityE8 = new long[0];
    this.takerSide = new byte[0];
  }

  /** Appends one trade's columns. */
  public void append(TradeEvent trade) {
    append(trade.tradeTimeMs(), trade.tradeId(), trade.priceE8(), trade.quantityE8(), trade.takerSide());
  }

  public void append(long timeMs, long id, long price, long quantity, byte side) {
    ensureCapacity(size + 1);
    tradeTimeMs[size] = timeMs;
    tradeId[size] = id;
    priceE8[size] = price;
    quantityE8[size] = quantity;
    takerSide[size] = side;
    size++;
  }

  /** Folds one book-ticker quote into the quote aggregates. */
  public void addQuote(BookTickerEvent quote) {
    quotes.add(quote.eventTimeMs(), quote.bidPrice(), quote.bidQuantity(), quote.askPrice(), quote.askQuantity());
  }

  /** Appends all trades of {@code other} and merges its quote aggregates (for window merging). */
  public void appendAll(TradeBuffer other) {
    quotes.merge(other.quotes);
    ensureCapacity(size + other.size);
    System.arraycopy(other.tradeTimeMs, 0, tradeTimeMs, size, other.size);
    System.arraycopy(other.tradeId, 0, tradeId, size, other.size);
    System.arraycopy(other.priceE8, 0, priceE8, size, other.size);
    System.arraycopy(other.quantityE8, 0, quantityE8, size, other.size);
    System.arraycopy(other.takerSide, 0, takerSide, size, other.size);
    size += other.size;
  }

  /**
   * A trimmed copy of the columns ordered by trade time, then trade id. The buffer itself is left
   * untouched (with allowed lateness the window may fire again from the same state).
   */
  public TradeColumns toSortedColumns() {
    int[] order = sortOrder();
    long[] time = new long[size];
    long[] id = new long[size];
    long[] price = new long[size];
    long[] quantity = new long[size];
    byte[] side = new byte[size];
    for (int i = 0; i < size; i++) {
      int from = order == null ? i : order[i];
      time[i] = tradeTimeMs[from];
      id[i] = tradeId[from];
      price[i] = priceE8[from];
      quantity[i] = quantityE8[from];
      side[i] = takerSide[from];
    }
    return new TradeColumns(time, id, price, quantity, side);
  }

  /** Null when the buffer is already in (time, id) order, the common case. */
  private int[] sortOrder() {
    boolean sorted = true;
    for (int i = 1; i < size && sorted; i++) {
      sorted = compare(i - 1, i) <= 0;
    }
    if (sorted) {
      return null;
    }
    Integer[] boxed = new Integer[size];
    for (int i = 0; i < size; i++) {
      boxed[i] = i;
    }
    Arrays.sort(boxed, this::compare);
    int[] order = new int[size];
    for (int i = 0; i < size; i++) {
      order[i] = boxed[i];
    }
    return order;
  }

  private int compare(int a, int b) {
    int byTime = Long.compare(tradeTimeMs[a], tradeTimeMs[b]);
    return byTime != 0 ? byTime : Long.compare(tradeId[a], tradeId[b]);
  }

  private void ensureCapacity(int needed) {
    if (needed <= tradeTimeMs.length) {
      return;
    }
    int capacity = Math.max(INITIAL_CAPACITY, tradeTimeMs.length);
    while (capacity < needed) {
      capacity *= 2;
    }
    tradeTimeMs = Arrays.copyOf(tradeTimeMs, capacity);
    tradeId = Arrays.copyOf(tradeId, capacity);
    priceE8 = Arrays.copyOf(priceE8, capacity);
    quantityE8 = Arrays.copyOf(quantityE8, capacity);
    takerSide = Arrays.copyOf(takerSide, capacity);
  }
}
