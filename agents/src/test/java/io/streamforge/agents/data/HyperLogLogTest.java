package io.streamforge.agents.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class HyperLogLogTest {

  private static HyperLogLog of(String prefix, int from, int to) {
    HyperLogLog h = new HyperLogLog();
    for (int i = from; i < to; i++) {
      h.add(prefix + i);
    }
    return h;
  }

  @Test
  void estimatesOneHundredThousandDistinctStringsWithinThreePercent() {
    HyperLogLog h = of("user-", 0, 100_000);

    double error = Math.abs(h.estimate() - 100_000) / 100_000.0;

    assertThat(error).isLessThan(0.03);
  }

  @Test
  void largeAndSmallCardinalitiesStayClose() {
    for (int n : new int[] {1, 10, 100, 1_000, 5_000, 20_000, 300_000}) {
      long e = of("v", 0, n).estimate();
      assertThat((double) e).as("estimate of %d", n).isCloseTo(n, within(Math.max(1, 0.05 * n)));
    }
    assertThat(new HyperLogLog().estimate()).isZero();
  }

  @Test
  void repeatedValuesCountOnce() {
    HyperLogLog h = new HyperLogLog();
    for (int r = 0; r < 50; r++) {
      for (int i = 0; i < 200; i++) {
        h.add("k" + i);
      }
    }
    assertThat((double) h.estimate()).isCloseTo(200, within(6.0));
  }

  @Test
  void numbersHashByValue() {
    HyperLogLog h = new HyperLogLog();
    h.add(0.0);
    h.add(-0.0);
    h.add(1.5);
    h.add(1.5);
    assertThat(h.estimate()).isEqualTo(2);
  }

  @Test
  void mergeIsTheSketchOfTheUnion() {
    HyperLogLog a = of("x", 0, 30_000);
    HyperLogLog b = of("x", 20_000, 50_000);
    HyperLogLog a0 = a.copy();

    HyperLogLog union = a.merge(b);

    assertThat(union).isEqualTo(of("x", 0, 50_000));
    assertThat(a).as("merge leaves its inputs alone").isEqualTo(a0);
    assertThat((double) union.estimate()).isCloseTo(50_000, within(1_500.0));
  }

  @Test
  void roundTripsThroughJsonSparseAndDense() throws Exception {
    ObjectMapper json = new ObjectMapper();
    HyperLogLog sparse = of("s", 0, 40);
    HyperLogLog dense = of("d", 0, 100_000);

    String s = json.writeValueAsString(sparse);
    String d = json.writeValueAsString(dense);

    assertThat(s.length()).as("a sparse sketch is small").isLessThan(200);
    assertThat(d.length()).as("6 bits per register").isLessThan(4_200);
    assertThat(json.readValue(s, HyperLogLog.class)).isEqualTo(sparse);
    assertThat(json.readValue(d, HyperLogLog.class)).isEqualTo(dense);
    assertThat(json.readValue(json.writeValueAsString(new HyperLogLog()), HyperLogLog.class))
        .isEqualTo(new HyperLogLog());
  }

  @Test
  void refusesTextThatIsNoSketch() {
    assertThatThrownBy(() -> HyperLogLog.fromBase64("QUJD"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a HyperLogLog sketch");
    assertThatThrownBy(() -> HyperLogLog.fromBase64("%%"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
