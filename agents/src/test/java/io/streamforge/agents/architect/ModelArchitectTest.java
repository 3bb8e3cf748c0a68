package io.streamforge.agents.architect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamforge.agents.search.Choice;
import io.streamforge.agents.search.IntDim;
import io.streamforge.agents.search.SearchSpace;
import io.streamforge.schemas.records.TrainingJob;
import io.streamforge.schemas.records.WorkflowRequest.Constraints;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Parameter counts, sizing by data, and constraints that every sampled model must respect. */
class ModelArchitectTest {
  @Test
  void parameterCountsAreExact() {
    // iris: 4 -> 8 -> 3 = (4*8 + 8) + (8*3 + 3)
    assertThat(ModelArchitect.parameterCount(4, List.of(8), 3, false)).isEqualTo(67);
    // the edge benchmark's 64-256-256-10: 16,640 + 65,792 + 2,570
    assertThat(ModelArchitect.parameterCount(64, List.of(256, 256), 10, false)).isEqualTo(85_002);
    // with batch norm, 2 per hidden unit: (64+16+32) + (128+8+16) + (24+3)
    assertThat(ModelArchitect.parameterCount(4, List.of(16, 8), 3, true)).isEqualTo(291);
    // no hidden layer: a linear model
    assertThat(ModelArchitect.parameterCount(13, List.of(), 1, true)).isEqualTo(14);
  }

  @Test
  void latencyModelIsOverheadPlusFlops() {
    assertThat(ModelArchitect.latencyEstimateMs(0, 1)).isEqualTo(ModelArchitect.OVERHEAD_MS);
    // 85,002 parameters: 0.01 + 2 * 85,002 / 1e7 = 0.0270 ms per row
    assertThat(ModelArchitect.latencyEstimateMs(85_002, 1)).isBetween(0.0269, 0.0271);
    assertThat(ModelArchitect.latencyEstimateMs(85_002, 32))
        .isGreaterThan(ModelArchitect.latencyEstimateMs(85_002, 1) * 20);
  }

  @Test
  void widthsFollowTheDatasetSize() {
    Design iris = ModelArchitect.design(4, 3, 150, null);
    assertThat(iris.space().dimension("width")).isEqualTo(new IntDim("width", 8, 64, true));
    assertThat(iris.space().dimension("layers")).isEqualTo(new IntDim("layers", 1, 2, false));
    assertThat(((Choice) iris.space().dimension("batch_size")).options()).containsExactly("32");
    assertThat(iris.maxParameters()).isEqualTo(ModelArchitect.DEFAULT_MAX_PARAMETERS);

    Design digits = ModelArchitect.design(64, 10, 1797, new Constraints(null, null, null));
    assertThat(digits.space().dimension("width")).isEqualTo(new IntDim("width", 8, 256, true));
    assertThat(((Choice) digits.space().dimension("batch_size")).options())
        .containsExactly("32", "64", "128", "256");

    Design tiny = ModelArchitect.design(3, 1, 20, null);
    assertThat(((Choice) tiny.space().dimension("batch_size")).options()).containsExactly("20");
  }

  @Test
  void turnsParametersIntoAJob() {
    Design d = ModelArchitect.design(64, 10, 1797, null);
    SearchSpace s = d.space();
    Map<String, Double> p =
        Map.of(
            "layers",
            3.0,
            "width",
            128.0,
            "shrink",
            0.5,
            "activation",
            1.0,
            "dropout",
            0.2,
            "batch_norm",
            1.0,
            "optimizer",
            2.0,
            "lr",
            0.05,
            "weight_decay",
            1e-4,
            "batch_size",
            2.0);
    assertThat(s.contains(p)).isTrue();
    assertThat(d.architecture(p))
        .isEqualTo(
            new TrainingJob.Architecture("mlp", List.of(128, 64, 32), "tanh", 0.2, true, Map.of()));
    assertThat(d.optimizer(p))
        .isEqualTo(new TrainingJob.OptimizerSpec("sgd", 0.05, 1e-4, 0.9, "cosine"));
    assertThat(d.batchSize(p)).isEqualTo(128);
  }

  @Test
  void everySampledModelRespectsSizeLatencyAndMemory() {
    List<Constraints> limits =
        List.of(
            new Constraints(60_000L, null, null),
            new Constraints(null, 0.02, null),
            new Constraints(null, null, 800_000L),
            new Constraints(2_000_000L, 0.05, 8_000_000L));
    Random rnd = new Random(5);
    for (Constraints c : limits) {
      Design d = ModelArchitect.design(64, 10, 50_000, c);
      int clamped = 0;
      for (int i = 0; i < 1000; i++) {
        Map<String, Double> p = d.space().sample(rnd);
        TrainingJob.Architecture a = d.architecture(p);
        long n = ModelArchitect.parameterCount(64, a.hiddenSizes(), 10, a.batchNorm());
        assertThat(n).as("%s with %s", a, c).isLessThanOrEqualTo(d.maxParameters());
        if (c.maxModelBytes() != null) {
          assertThat(n * 4).isLessThanOrEqualTo(c.maxModelBytes());
        }
        if (c.maxLatencyMs() != null) {
          assertThat(ModelArchitect.latencyEstimateMs(n, 1)).isLessThanOrEqualTo(c.maxLatencyMs());
        }
        if (c.maxMemoryBytes() != null) {
          assertThat(n * 16).isLessThanOrEqualTo(c.maxMemoryBytes());
        }
        assertThat(a.hiddenSizes()).allSatisfy(h -> assertThat(h).isGreaterThanOrEqualTo(4));
        assertThat(a.hiddenSizes()).hasSizeBetween(1, d.space().integer(p, "layers"));
        if (a.hiddenSizes().get(0) < d.space().integer(p, "width")
            || a.hiddenSizes().size() < d.space().integer(p, "layers")) {
          clamped++;
        }
      }
      // the limits are tight enough that deep, wide draws had to be trimmed
      assertThat(clamped).as("clamped draws under %s", c).isPositive();
    }
  }

  @Test
  void latencyDropsTheWidestWidths() {
    Design free = ModelArchitect.design(64, 10, 1797, null);
    Design fast = ModelArchitect.design(64, 10, 1797, new Constraints(null, 0.012, null));
    // (0.012 - 0.01) ms * 1e7 FLOP/ms / 2 = 10,000 parameters; (10,000 - 10) / 75 = 133 wide
    assertThat(fast.maxParameters()).isEqualTo(10_000);
    assertThat(fast.space().dimension("width")).isEqualTo(new IntDim("width", 8, 133, true));
    assertThat(free.space().dimension("width")).isEqualTo(new IntDim("width", 8, 256, true));
    assertThat(fast.notes()).anyMatch(n -> n.contains("maxLatencyMs=0.012"));
    assertThat(fast.notes()).anyMatch(n -> n.contains("widths above 133 dropped"));
  }

  @Test
  void modelBytesBudgetKeepsAMargin() {
    Design d = ModelArchitect.design(64, 10, 1797, new Constraints(100_000L, null, null));
    // (100,000 - 4,096 - 8*64 - 4*10) * 0.9 / 4 = 21,454.2
    assertThat(d.maxParameters()).isEqualTo(21_454);
    assertThat(d.maxParameters() * 4).isLessThan(100_000);
  }

  @Test
  void impossibleConstraintsAreRefusedByName() {
    // the smallest MLP for 1000 features and 10 classes: 1000*4+4 + 4*10+10 = 4,054 parameters
    assertThatThrownBy(
            () -> ModelArchitect.design(1000, 10, 5000, new Constraints(10_000L, null, null)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxModelBytes=10000")
        .hasMessageContaining("4,054 parameters")
        .hasMessageContaining("needs maxModelBytes >= " + ModelArchitect.bytesFor(4054, 1000, 10));
    assertThat(ModelArchitect.sizeBudget(ModelArchitect.bytesFor(4054, 1000, 10), 1000, 10))
        .isEqualTo(4054);
    assertThatThrownBy(
            () -> ModelArchitect.design(1000, 10, 5000, new Constraints(null, 0.005, null)))
        .hasMessageContaining("maxLatencyMs=0.005")
        .hasMessageContaining("needs maxLatencyMs >= 0.0108");
    assertThatThrownBy(
            () -> ModelArchitect.design(1000, 10, 5000, new Constraints(9_000L, 0.005, 1_000L)))
        .hasMessageContaining("maxModelBytes=9000")
        .hasMessageContaining("maxLatencyMs=0.005")
        .hasMessageContaining("maxMemoryBytes=1000");
    assertThatThrownBy(() -> ModelArchitect.design(4, 3, 150, new Constraints(null, -1.0, null)))
        .hasMessageContaining("maxLatencyMs must be a positive number");
    assertThatThrownBy(() -> ModelArchitect.design(0, 3, 150, null))
        .hasMessageContaining("features=0");
  }

  @Test
  void justEnoughRoomGivesTheSmallestModel() {
    // iris, 4 -> 4 -> 3: 4*4+4 + 4*3+3 = 35 parameters, and room for nothing more
    long bytes = ModelArchitect.bytesFor(35, 4, 3);
    Design d = ModelArchitect.design(4, 3, 150, new Constraints(bytes, null, null));
    assertThat(d.maxParameters()).isEqualTo(35);
    assertThat(d.space().dimension("width")).isEqualTo(new IntDim("width", 4, 4, true));
    Random rnd = new Random(2);
    for (int i = 0; i < 200; i++) {
      TrainingJob.Architecture a = d.architecture(d.space().sample(rnd));
      assertThat(a.hiddenSizes()).containsExactly(4);
      assertThat(a.batchNorm()).isFalse();
    }
    assertThatThrownBy(
            () -> ModelArchitect.design(4, 3, 150, new Constraints(bytes - 1, null, null)))
        .hasMessageContaining("needs maxModelBytes >= " + bytes);
  }
}
