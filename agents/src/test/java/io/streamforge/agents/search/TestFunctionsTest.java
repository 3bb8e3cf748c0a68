package io.streamforge.agents.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The benchmark functions at their published minimizers. */
class TestFunctionsTest {
  @Test
  void braninHasItsThreeMinima() {
    assertThat(TestFunctions.branin(-Math.PI, 12.275)).isCloseTo(0.397887, within(1e-6));
    assertThat(TestFunctions.branin(Math.PI, 2.275)).isCloseTo(0.397887, within(1e-6));
    assertThat(TestFunctions.branin(9.42478, 2.475)).isCloseTo(0.397887, within(1e-6));
    assertThat(TestFunctions.branin(0, 0)).isCloseTo(55.602113, within(1e-5));
  }

  @Test
  void hartmann6HasItsMinimum() {
    double[] argmin = {0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573};
    assertThat(TestFunctions.hartmann6(argmin)).isCloseTo(-3.32237, within(1e-5));
    SearchSpace s = TestFunctions.hartmann6Space();
    Map<String, Double> p =
        Map.of(
            "x1", 0.20169, "x2", 0.150011, "x3", 0.476874, "x4", 0.275332, "x5", 0.311652, "x6",
            0.6573);
    assertThat(TestFunctions.objective("hartmann6", s, p)).isCloseTo(-3.32237, within(1e-5));
    assertThatThrownBy(() -> TestFunctions.objective("rosenbrock", s, p))
        .hasMessageContaining("'rosenbrock'");
  }
}
