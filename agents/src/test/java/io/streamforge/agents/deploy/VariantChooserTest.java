package io.streamforge.agents.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamforge.schemas.records.WorkflowRequest.Constraints;
import io.streamforge.schemas.records.WorkflowRequest.Objectives;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VariantChooserTest {
  private static final VariantCandidate FP32 = new VariantCandidate(3, "fp32", 0.951, 400_000, 2.0);
  private static final VariantCandidate INT8 =
      new VariantCandidate(3, "int8-weight", 0.950, 100_000, 1.5);
  private static final VariantCandidate TERNARY =
      new VariantCandidate(3, "ternary", 0.90, 30_000, 1.4);
  private static final List<VariantCandidate> ALL = List.of(FP32, INT8, TERNARY);

  private static Objectives weights(double accuracy, double size, double latency) {
    return new Objectives(
        "accuracy", null, Map.of("accuracy", accuracy, "size", size, "latency", latency));
  }

  @Test
  void accuracyAloneTakesTheMostAccurate() {
    VariantChoice c = VariantChooser.choose(ALL, weights(1, 0, 0), null);

    assertThat(c.chosen()).isEqualTo(FP32);
    assertThat(c.score()).isEqualTo(1.0);
    assertThat(c.rejected()).isEmpty();
    assertThat(c.reason()).startsWith("3:fp32 scores 1.0000").contains("runner-up 3:int8-weight");
  }

  @Test
  void weighingSizeTakesTheSmallerModelWhenItLosesLittle() {
    VariantChoice c = VariantChooser.choose(ALL, weights(1, 0.5, 0), null);

    // errors 0.049, 0.05, 0.10; bytes 400k, 100k, 30k:
    // fp32 (1 + 0.5 × 0.075) / 1.5 = 0.692, int8 (0.98 + 0.5 × 0.3) / 1.5 = 0.753,
    // ternary (0.49 + 0.5 × 1) / 1.5 = 0.660
    assertThat(c.chosen()).isEqualTo(INT8);
    assertThat(c.score()).isCloseTo((0.049 / 0.05 + 0.5 * 0.3) / 1.5, within(1e-9));
    assertThat(c.reason()).contains("runner-up 3:fp32 scores 0.6917");
    assertThat(VariantChooser.choose(ALL, weights(1, 2, 0), null).chosen())
        .as("size first: twice the errors is worth 13 times fewer bytes")
        .isEqualTo(TERNARY);
    assertThat(VariantChooser.choose(ALL, weights(1, 0.01, 0), null).chosen())
        .as("size barely counts")
        .isEqualTo(FP32);
  }

  @Test
  void latencyWeighsByTheFastest() {
    VariantCandidate slowSmall = new VariantCandidate(4, "int8-weight", 0.95, 50_000, 4.0);
    VariantChoice c = VariantChooser.choose(List.of(FP32, slowSmall), weights(0, 0, 1), null);

    assertThat(c.chosen()).isEqualTo(FP32);
    assertThat(c.score()).isEqualTo(1.0);
  }

  @Test
  void constraintBreakersAreRejectedWithTheReason() {
    VariantChoice c =
        VariantChooser.choose(ALL, weights(1, 0, 0), new Constraints(200_000L, 1.45, null));

    assertThat(c.chosen()).isEqualTo(TERNARY);
    assertThat(c.rejected())
        .containsOnlyKeys("3:fp32", "3:int8-weight")
        .hasEntrySatisfying(
            "3:fp32",
            r ->
                assertThat(r)
                    .contains("400000 bytes is over the limit of 200000")
                    .contains("latency 2 ms"))
        .hasEntrySatisfying(
            "3:int8-weight",
            r -> assertThat(r).contains("latency 1.50 ms is over the limit of 1.45 ms"));
  }

  @Test
  void noCandidateLeftNamesEveryRejection() {
    assertThatThrownBy(
            () ->
                VariantChooser.choose(ALL, weights(1, 0, 0), new Constraints(10_000L, null, null)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("3:fp32: 400000 bytes")
        .hasMessageContaining("3:int8-weight: 100000 bytes")
        .hasMessageContaining("3:ternary: 30000 bytes");
  }

  @Test
  void tiesGoToFp32ThenToTheSmaller() {
    VariantCandidate a = new VariantCandidate(1, "int8-weight", 0.9, 100, Double.NaN);
    VariantCandidate b = new VariantCandidate(1, "fp32", 0.9, 400, Double.NaN);
    VariantCandidate c = new VariantCandidate(2, "ternary", 0.9, 50, Double.NaN);
    VariantCandidate d = new VariantCandidate(2, "int8-weight", 0.9, 60, Double.NaN);

    assertThat(VariantChooser.choose(List.of(a, b, c), weights(1, 0, 0), null).chosen())
        .isEqualTo(b);
    assertThat(VariantChooser.choose(List.of(a, d, c), weights(1, 0, 0), null).chosen())
        .isEqualTo(c);
  }

  @Test
  void regressionQualityIsMinusTheRmse() {
    VariantCandidate good = new VariantCandidate(1, "fp32", -0.50, 400, Double.NaN);
    VariantCandidate worse = new VariantCandidate(2, "fp32", -0.60, 400, Double.NaN);

    VariantChoice c = VariantChooser.choose(List.of(worse, good), weights(1, 0, 0), null);

    assertThat(c.chosen()).isEqualTo(good);
    assertThat(c.reason()).contains("runner-up 2:fp32 scores 0.8333");
  }

  @Test
  void withoutWeightsThePrimaryObjectiveCounts() {
    VariantChoice c = VariantChooser.choose(ALL, new Objectives("size", null, null), null);

    assertThat(c.chosen()).isEqualTo(TERNARY);
  }

  @Test
  void aChoiceRoundTripsThroughJson() throws Exception {
    ObjectMapper json = new ObjectMapper();
    VariantChoice c =
        VariantChooser.choose(ALL, weights(1, 0, 0), new Constraints(200_000L, null, null));

    assertThat(json.readValue(json.writeValueAsString(c), VariantChoice.class)).isEqualTo(c);
  }
}
