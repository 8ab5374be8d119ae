package io.cryptoanomaly.flink.records;

import static io.cryptoanomaly.flink.Windows.tenSeconds;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.junit.jupiter.api.Test;

/** The Arrow bytes read back with Arrow Java's own stream reader, against the contract's layout. */
class ArrowTradesEncoderTest {
  private static final long T0 = 1_723_161_600_000L;

  /** What a reader sees: the schema and the rows of every record batch. */
  private record Decoded(List<Field> fields, int batches, List<Object[]> rows) {}

  private static Decoded decode(ByteString bytes) throws Exception {
    try (RootAllocator allocator = new RootAllocator();
        ArrowStreamReader reader = new ArrowStreamReader(new ByteArrayInputStream(bytes.toByteArray()), allocator)) {
      VectorSchemaRoot root = reader.getVectorSchemaRoot();
      List<Field> fields = root.getSchema().getFields();
      List<Object[]> rows = new ArrayList<>();
      int batches = 0;
      while (reader.loadNextBatch()) {
        batches++;
        BigIntVector time = (BigIntVector) root.getVector("trade_time_ms");
        BigIntVector id = (BigIntVector) root.getVector("trade_id");
        Float8Vector price = (Float8Vector) root.getVector("price");
        Float8Vector quantity = (Float8Vector) root.getVector("quantity");
        BitVector buy = (BitVector) root.getVector("taker_buy");
        for (int i = 0; i < root.getRowCount(); i++) {
          assertThat(time.isNull(i) || id.isNull(i) || price.isNull(i) || quantity.isNull(i) || buy.isNull(i)).isFalse();
          rows.add(new Object[] {time.get(i), id.get(i), price.get(i), quantity.get(i), buy.get(i) == 1});
        }
      }
      return new Decoded(fields, batches, rows);
    }
  }

  @Test
  void writesTheContractsColumnsWithExactNamesAndTypesInOneRecordBatch() throws Exception {
    TradeColumns trades = tenSeconds("BTCUSDT", T0, "61737.63", "61740.01", "0.00000001").trades();
    Decoded decoded;
    try (ArrowTradesEncoder encoder = new ArrowTradesEncoder()) {
      decoded = decode(encoder.encode(trades));
    }

    assertThat(decoded.fields()).extracting(Field::getName).containsExactly("trade_time_ms", "trade_id", "price", "quantity", "taker_buy");
    assertThat(decoded.fields()).extracting(Field::getType)
        .containsExactly(
            new ArrowType.Int(64, true),
            new ArrowType.Int(64, true),
            new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE),
            new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE),
            ArrowType.Bool.INSTANCE);
    assertThat(decoded.fields()).allSatisfy(f -> assertThat(f.isNullable()).isFalse());
    assertThat(decoded.batches()).isEqualTo(1);
    assertThat(decoded.rows()).hasSize(3);
    for (int i = 0; i < 3; i++) {
      Object[] row = decoded.rows().get(i);
      assertThat(row[0]).isEqualTo(trades.tradeTimeMs()[i]);
      assertThat(row[1]).isEqualTo(trades.tradeId()[i]);
      assertThat(row[2]).isEqualTo(trades.price(i));
      assertThat(row[3]).isEqualTo(trades.quantity(i));
      assertThat(row[4]).isEqualTo(trades.takerSide()[i] == TakerSides.BUY);
    }
    assertThat((double) decoded.rows().get(2)[2]).isEqualTo(1e-8);
  }

  @Test
  void reusesItsBuffersWithoutLeakingRowsFromALargerEarlierWindow() throws Exception {
    try (ArrowTradesEncoder encoder = new ArrowTradesEncoder()) {
      encoder.encode(tenSeconds("BTCUSDT", T0, "1", "2", "3", "4", "5", "6", "7", "8", "9", "10").trades());
      TradeColumns small = tenSeconds("ETHUSDT", T0, "20", "21").trades();
      Decoded decoded = decode(encoder.encode(small));

      assertThat(decoded.rows()).hasSize(2);
      assertThat(decoded.rows()).extracting(row -> (double) row[2]).containsExactly(20.0, 21.0);
      assertThat(decoded.rows()).extracting(row -> (boolean) row[4]).containsExactly(true, false);
    }
  }

  @Test
  void writesAnEmptyWindowAsOneBatchWithNoRows() throws Exception {
    TradeColumns none = new TradeColumns(new long[0], new long[0], new long[0], new long[0], new byte[0]);
    try (ArrowTradesEncoder encoder = new ArrowTradesEncoder()) {
      Decoded decoded = decode(encoder.encode(none));
      assertThat(decoded.fields()).hasSize(5);
      assertThat(decoded.batches()).isEqualTo(1);
      assertThat(decoded.rows()).isEmpty();
    }
  }
}
