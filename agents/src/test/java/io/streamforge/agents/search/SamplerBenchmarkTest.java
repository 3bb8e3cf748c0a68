package io.streamforge.agents.search;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The benchmark's shape, on a budget small enough for a unit test. */
class SamplerBenchmarkTest {
  @Test
  void reportsBraninAtEachCountAndHartmannAtTheLargest() {
    List<SamplerBenchmark.Row> rows =
        SamplerBenchmark.run(List.of("random", "tpe"), 3, new int[] {20, 12});
    assertThat(rows)
        .extracting(r -> r.function() + "/" + r.sampler() + "/" + r.trials())
        .containsExactly(
            "branin/random/12",
            "branin/random/20",
            "branin/tpe/12",
            "branin/tpe/20",
            "hartmann6/random/20",
            "hartmann6/tpe/20");
    for (SamplerBenchmark.Row r : rows) {
      assertThat(r.min()).isLessThanOrEqualTo(r.medianBest());
      assertThat(r.medianBest()).isLessThanOrEqualTo(r.max());
      assertThat(r.min()).isGreaterThanOrEqualTo(TestFunctions.minimum(r.function()));
    }
    // more trials never find less: best-after-20 <= best-after-12, seed by seed
    assertThat(rows.get(1).max()).isLessThanOrEqualTo(rows.get(0).max());
    String table = SamplerBenchmark.markdown(rows);
    assertThat(table)
        .contains("| branin | 0.39789 | random | 12 |")
        .contains("| hartmann6 | -3.32237 | tpe | 20 |");
  }
}
