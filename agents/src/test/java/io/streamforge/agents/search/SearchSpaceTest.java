package io.streamforge.agents.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Sampling, reading and describing parameters of a mixed space. */
class SearchSpaceTest {
  static final SearchSpace MIXED =
      SearchSpace.of(
          new IntDim("layers", 1, 3, false),
          new IntDim("width", 8, 256, true),
          new FloatDim("lr", 1e-4, 1e-1, true),
          new FloatDim("dropout", 0.0, 0.5, false),
          new Choice("optimizer", List.of("adam", "adamw", "sgd")));

  @Test
  void samplesStayInsideTheSpaceAndCoverIt() {
    Random rnd = new Random(1);
    List<Double> lrs = new ArrayList<>();
    List<Double> widths = new ArrayList<>();
    int[] optimizers = new int[3];
    int[] layers = new int[4];
    for (int i = 0; i < 4000; i++) {
      Map<String, Double> p = MIXED.sample(rnd);
      assertThat(MIXED.contains(p)).as("%s", p).isTrue();
      lrs.add(p.get("lr"));
      widths.add(p.get("width"));
      optimizers[MIXED.integer(p, "optimizer")]++;
      layers[MIXED.integer(p, "layers")]++;
    }
    // log-uniform: the median is the geometric mean of the bounds (1e-4 * 1e-1)^0.5 = 3.2e-3
    Collections.sort(lrs);
    assertThat(lrs.get(2000)).isBetween(2.2e-3, 4.5e-3);
    Collections.sort(widths);
    assertThat(widths.get(2000)).isBetween(36.0, 55.0); // sqrt(8 * 256) = 45
    assertThat(widths.get(0)).isEqualTo(8.0);
    assertThat(widths.get(3999)).isEqualTo(256.0);
    for (int c : optimizers) {
      assertThat(c).isBetween(1200, 1470);
    }
    assertThat(layers[0]).isZero();
    assertThat(layers[1]).isPositive();
    assertThat(layers[3]).isPositive();
  }

  @Test
  void readsAndDescribesParameters() {
    Map<String, Double> p =
        Map.of("layers", 2.0, "width", 64.0, "lr", 0.0031234, "dropout", 0.1, "optimizer", 1.0);
    assertThat(MIXED.integer(p, "layers")).isEqualTo(2);
    assertThat(MIXED.real(p, "lr")).isEqualTo(0.0031234);
    assertThat(MIXED.choice(p, "optimizer")).isEqualTo("adamw");
    assertThat(MIXED.integer(p, "optimizer")).isEqualTo(1);
    assertThat(MIXED.describe(p))
        .isEqualTo("layers=2 width=64 lr=0.00312 dropout=0.1 optimizer=adamw");
  }

  @Test
  void errorsNameWhatIsWrong() {
    Map<String, Double> p = Map.of("layers", 2.0);
    assertThatThrownBy(() -> MIXED.real(p, "lr")).hasMessageContaining("'lr' is missing");
    assertThatThrownBy(() -> MIXED.real(p, "depth")).hasMessageContaining("no dimension 'depth'");
    assertThatThrownBy(() -> MIXED.choice(Map.of("optimizer", 3.0), "optimizer"))
        .hasMessageContaining("3 options");
    assertThatThrownBy(() -> MIXED.choice(p, "layers")).hasMessageContaining("not a choice");
    assertThatThrownBy(() -> new FloatDim("lr", 0, 1, true)).hasMessageContaining("'lr'");
    assertThatThrownBy(() -> new IntDim("n", 5, 4, false)).hasMessageContaining("'n'");
    assertThatThrownBy(() -> new Choice("c", List.of())).hasMessageContaining("'c'");
    assertThatThrownBy(
            () -> SearchSpace.of(new IntDim("a", 1, 2, false), new IntDim("a", 1, 3, false)))
        .hasMessageContaining("'a' appears twice");
  }

  @Test
  void containsRejectsPointsOutsideTheSpace() {
    Map<String, Double> ok =
        Map.of("layers", 1.0, "width", 8.0, "lr", 0.1, "dropout", 0.0, "optimizer", 2.0);
    assertThat(MIXED.contains(ok)).isTrue();
    assertThat(MIXED.contains(with(ok, "width", 8.5))).isFalse();
    assertThat(MIXED.contains(with(ok, "width", 257.0))).isFalse();
    assertThat(MIXED.contains(with(ok, "lr", 0.2))).isFalse();
    assertThat(MIXED.contains(with(ok, "optimizer", 3.0))).isFalse();
    assertThat(MIXED.contains(with(ok, "dropout", Double.NaN))).isFalse();
    assertThat(MIXED.contains(Map.of("layers", 1.0))).isFalse();
  }

  static Map<String, Double> with(Map<String, Double> p, String k, double v) {
    Map<String, Double> m = new java.util.HashMap<>(p);
    m.put(k, v);
    return m;
  }
}
