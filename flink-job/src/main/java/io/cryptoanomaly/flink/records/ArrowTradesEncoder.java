package io.cryptoanomaly.flink.records;

import com.google.protobuf.ByteString;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Writes one window's {@link TradeColumns} as the contract's Arrow IPC stream
 * ({@code WindowToScore.trades_arrow} in {@code scoring.proto}): the stream format, one record
 * batch, rows in the columns' order (trade time, then trade id), non-nullable columns
 *
 * <pre>
 *   trade_time_ms Int64, trade_id Int64, price Float64, quantity Float64, taker_buy Bool
 * </pre>
 *
 * One encoder per operator instance, used from the task thread only: the allocator, the vectors
 * and the output buffer are reused from window to window (vectors keep their largest capacity), so
 * a window costs one column fill and one copy of the bytes into the protobuf message, and no
 * object per trade. Needs {@code --add-opens=java.base/java.nio=ALL-UNNAMED} (Arrow's memory
 * module reads direct buffer addresses).
 */
public final class ArrowTradesEncoder implements AutoCloseable {
  public static final String TRADE_TIME_MS = "trade_time_ms";
  public static final String TRADE_ID = "trade_id";
  public static final String PRICE = "price";
  public static final String QUANTITY = "quantity";
  public static final String TAKER_BUY = "taker_buy";

  public static final Schema SCHEMA =
      new Schema(
          List.of(
              Field.notNullable(TRADE_TIME_MS, new ArrowType.Int(64, true)),
              Field.notNullable(TRADE_ID, new ArrowType.Int(64, true)),
              Field.notNullable(PRICE, new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)),
              Field.notNullable(QUANTITY, new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)),
              Field.notNullable(TAKER_BUY, ArrowType.Bool.INSTANCE)));

  private static final DictionaryProvider NO_DICTIONARIES = new DictionaryProvider.MapDictionaryProvider();
  private static final int INITIAL_BUFFER_BYTES = 64 * 1024;

  private final BufferAllocator allocator = new RootAllocator();
  private final VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator);
  private final BigIntVector time = (BigIntVector) root.getVector(TRADE_TIME_MS);
  private final BigIntVector id = (BigIntVector) root.getVector(TRADE_ID);
  private final Float8Vector price = (Float8Vector) root.getVector(PRICE);
  private final Float8Vector quantity = (Float8Vector) root.getVector(QUANTITY);
  private final BitVector takerBuy = (BitVector) root.getVector(TAKER_BUY);
  private final ExposedBuffer out = new ExposedBuffer(INITIAL_BUFFER_BYTES);

  public ArrowTradesEncoder() {
    root.allocateNew();
  }

  /** The window's trades as one Arrow IPC stream with one record batch. */
  public ByteString encode(TradeColumns trades) {
    int n = trades.size();
    for (FieldVector vector : root.getFieldVectors()) {
      // reset() keeps the buffers (capacity grows to the largest window seen), zeroes validity.
      vector.reset();
    }
    long[] times = trades.tradeTimeMs();
    long[] ids = trades.tradeId();
    long[] prices = trades.priceE8();
    long[] quantities = trades.quantityE8();
    byte[] sides = trades.takerSide();
    for (int i = 0; i < n; i++) {
      time.setSafe(i, times[i]);
      id.setSafe(i, ids[i]);
      price.setSafe(i, ExactDecimal.toDouble(prices[i]));
      quantity.setSafe(i, ExactDecimal.toDouble(quantities[i]));
      takerBuy.setSafe(i, sides[i] == TakerSides.BUY ? 1 : 0);
    }
    root.setRowCount(n);
    out.reset();
    try (ArrowStreamWriter writer = new ArrowStreamWriter(root, NO_DICTIONARIES, Channels.newChannel(out))) {
      writer.start();
      writer.writeBatch();
      writer.end();
    } catch (IOException e) {
      // Writing to memory: only a broken invariant gets here.
      throw new UncheckedIOException("cannot write the Arrow stream of " + n + " trades", e);
    }
    return out.toByteString();
  }

  @Override
  public void close() {
    root.close();
    allocator.close();
  }

  /** A ByteArrayOutputStream whose bytes go into a ByteString with one copy. */
  private static final class ExposedBuffer extends ByteArrayOutputStream {
    ExposedBuffer(int size) {
      super(size);
    }

    ByteString toByteString() {
      return ByteString.copyFrom(buf, 0, count);
    }
  }
}
