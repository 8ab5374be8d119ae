package io.cryptoanomaly.flink.records;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

class ExactDecimalTest {
  @Test
  void parsesBinanceDecimalStringsIntoE8Units() {
    assertThat(ExactDecimal.parseE8("61737.63000000")).isEqualTo(6_173_763_000_000L);
    assertThat(ExactDecimal.parseE8("0.00000001")).isEqualTo(1L);
    assertThat(ExactDecimal.parseE8("2")).isEqualTo(200_000_000L);
    assertThat(ExactDecimal.parseE8("1.5")).isEqualTo(150_000_000L);
    assertThat(ExactDecimal.parseE8(".5")).isEqualTo(50_000_000L);
    assertThat(ExactDecimal.parseE8("1.1234567800")).isEqualTo(112_345_678L);
  }

  @Test
  void rejectsSignsExponentsExtraPrecisionAndOverflow() {
    assertThatThrownBy(() -> ExactDecimal.parseE8("-1")).hasMessageContaining("unexpected character '-'");
    assertThatThrownBy(() -> ExactDecimal.parseE8("1e5")).hasMessageContaining("unexpected character 'e'");
    assertThatThrownBy(() -> ExactDecimal.parseE8("0.000000001")).hasMessageContaining("more than 8 fractional digits");
    assertThatThrownBy(() -> ExactDecimal.parseE8("1.2.3")).hasMessageContaining("two decimal points");
    assertThatThrownBy(() -> ExactDecimal.parseE8("")).hasMessageContaining("empty");
    assertThatThrownBy(() -> ExactDecimal.parseE8(".")).hasMessageContaining("no digits");
    assertThatThrownBy(() -> ExactDecimal.parseE8("100000000000")).hasMessageContaining("too large");
  }

  @Test
  void convertsToTheSameDoubleAsParsingTheDecimalString() {
    for (String text : new String[] {"61737.63000000", "0.00012000", "2673.60000000", "0.1", "61701.99999999"}) {
      assertThat(ExactDecimal.toDouble(ExactDecimal.parseE8(text))).isEqualTo(Double.parseDouble(text));
    }
  }

  @Test
  void sumsProductsBeyondTheRangeOfALongExactly() {
    long price = ExactDecimal.parseE8("99999999.99999999");
    long quantity = ExactDecimal.parseE8("9999999.99999999");
    long[] sum = new long[2];
    BigDecimal expected = BigDecimal.ZERO;
    for (int i = 0; i < 1000; i++) {
      ExactDecimal.multiplyAccumulate(sum, price, quantity);
      expected = expected.add(new BigDecimal("99999999.99999999").multiply(new BigDecimal("9999999.99999999")));
    }
    assertThat(ExactDecimal.e16SumToBigDecimal(sum)).isEqualTo(expected);
  }
}
