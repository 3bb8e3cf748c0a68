package io.streamforge.agents.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Hand-made learning curves (losses, minimized) where a pruner must and must not stop a run. */
class PrunerTest {
  /** A curve with values at steps 1, 2, 3... */
  static NavigableMap<Long, Double> curve(double... values) {
    NavigableMap<Long, Double> m = new TreeMap<>();
    for (int i = 0; i < values.length; i++) {
      m.put(i + 1L, values[i]);
    }
    return m;
  }

  @Test
  void medianPrunesARunWorseThanTheMedianOfBestSoFar() {
    Pruner p = Pruner.median(3, 2);
    // noisy curves: at step 3 the best-so-far values are 0.5, 0.7, 0.6 (median 0.6) while the
    // latest values are 0.9, 0.7, 0.95 (median 0.9); step 4 must not count
    List<NavigableMap<Long, Double>> others =
        List.of(curve(1.0, 0.5, 0.9, 0.4), curve(1.0, 0.8, 0.7, 0.1), curve(1.0, 0.6, 0.95));
    assertThat(p.shouldPrune(3, 0.65, others)).isTrue();
    assertThat(p.shouldPrune(3, 0.6, others)).isFalse();
    assertThat(p.shouldPrune(3, 0.3, others)).isFalse();
    // step 1 is in the warm-up, however bad
    assertThat(p.shouldPrune(1, 99, others)).isFalse();
    // a diverged run is pruned once past the warm-up
    assertThat(p.shouldPrune(2, Double.NaN, others)).isTrue();
  }

  @Test
  void medianWaitsForEnoughRunsAtThatStep() {
    Pruner p = Pruner.median(3, 0);
    List<NavigableMap<Long, Double>> others =
        List.of(curve(1.0, 0.8, 0.6, 0.5), curve(1.0, 0.8), curve(0.9, 0.7, 0.5, 0.4));
    // only two others reached step 3
    assertThat(p.shouldPrune(3, 5.0, others)).isFalse();
    // three reached step 2: best-so-far 0.8, 0.8, 0.7 -> median 0.8
    assertThat(p.shouldPrune(2, 0.85, others)).isTrue();
    assertThat(p.shouldPrune(2, 0.75, others)).isFalse();
    assertThat(p.shouldPrune(2, 0.85, List.of())).isFalse();
  }

  @Test
  void medianCountsAFailedRunAsTheWorst() {
    Pruner p = Pruner.median(3, 0);
    List<NavigableMap<Long, Double>> others =
        List.of(curve(1.0, 0.5), curve(Double.NaN, Double.NaN), curve(1.0, 0.6));
    // best-so-far 0.5, +inf, 0.6 -> median 0.6
    assertThat(p.shouldPrune(2, 0.65, others)).isTrue();
    assertThat(p.shouldPrune(2, 0.55, others)).isFalse();
  }

  @Test
  void successiveHalvingKeepsTheTopShareAtRungsOnly() {
    SuccessiveHalvingPruner p = (SuccessiveHalvingPruner) Pruner.successiveHalving(1, 3);
    assertThat(p.isRung(1)).isTrue();
    assertThat(p.isRung(3)).isTrue();
    assertThat(p.isRung(9)).isTrue();
    assertThat(p.isRung(2)).isFalse();
    assertThat(p.isRung(6)).isFalse();
    List<NavigableMap<Long, Double>> others = new ArrayList<>();
    double[] atThree = {0.9, 0.4, 0.7, 0.5, 0.8};
    for (double v : atThree) {
      others.add(curve(1.0, 1.0, v));
    }
    // rung 3: six values (five others + this run) -> keep the best 6/3 = 2
    assertThat(p.shouldPrune(3, 0.45, others)).isFalse(); // 0.4, 0.45 are the best two
    assertThat(p.shouldPrune(3, 0.55, others)).isTrue(); // 0.4, 0.5 are
    // step 2 is between rungs: never pruned, however bad
    assertThat(p.shouldPrune(2, 50, others)).isFalse();
    assertThat(p.shouldPrune(3, Double.NaN, others)).isTrue();
  }

  @Test
  void successiveHalvingFirstArrivalsMustBeTheBest() {
    Pruner p = Pruner.successiveHalving(2, 2);
    // rungs 2, 4, 8: at rung 4 only one other value -> 2 values, keep 1: must be the best
    List<NavigableMap<Long, Double>> others = List.of(curve(1.0, 0.9, 0.8, 0.7));
    assertThat(p.shouldPrune(4, 0.71, others)).isTrue();
    assertThat(p.shouldPrune(4, 0.69, others)).isFalse();
    // the first run at a rung has nothing to compare with
    assertThat(p.shouldPrune(8, 5.0, others)).isFalse();
    assertThat(p.shouldPrune(3, 5.0, others)).isFalse();
  }

  @Test
  void badSettingsAreRefused() {
    assertThatThrownBy(() -> Pruner.median(0, 0)).hasMessageContaining("minRuns");
    assertThatThrownBy(() -> Pruner.median(1, -1)).hasMessageContaining("warmupSteps");
    assertThatThrownBy(() -> Pruner.successiveHalving(0, 3)).hasMessageContaining("minStep");
    assertThatThrownBy(() -> Pruner.successiveHalving(1, 1))
        .hasMessageContaining("reductionFactor");
  }
}
