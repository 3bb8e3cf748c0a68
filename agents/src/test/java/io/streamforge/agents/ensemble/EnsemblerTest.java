package io.streamforge.agents.ensemble;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EnsemblerTest {
  private static final int ROWS = 100;

  /** Labels: class 0 on even rows, 1 on odd rows. */
  private static float[] labels() {
    float[] y = new float[ROWS];
    for (int r = 0; r < ROWS; r++) {
      y[r] = r % 2;
    }
    return y;
  }

  /**
   * A two-class model that is right with {@code sure} confidence on rows [from, to) and wrong with
   * {@code unsure} confidence (right class at 1 - unsure) elsewhere.
   */
  private static float[][] model(float[] y, int from, int to, float sure, float unsure) {
    float[][] p = new float[ROWS][2];
    for (int r = 0; r < ROWS; r++) {
      int right = (int) y[r];
      float pRight = r >= from && r < to ? sure : 1 - unsure;
      p[r][right] = pRight;
      p[r][1 - right] = 1 - pRight;
    }
    return p;
  }

  @Test
  void averagingTwoComplementaryClassifiersBeatsEach() {
    float[] y = labels();
    Map<String, float[][]> outputs = new HashMap<>();
    outputs.put("a", model(y, 0, 70, 0.9f, 0.55f)); // right on 70 rows, barely wrong on 30
    outputs.put("b", model(y, 30, 100, 0.9f, 0.55f)); // right on the other 70

    EnsembleResult r = Ensembler.outputAverage(outputs, y, true);

    assertThat(r.method()).isEqualTo("output-average");
    assertThat(r.bestSingleScore()).isCloseTo(0.7, within(1e-12));
    assertThat(r.bestSingle()).isEqualTo("a");
    assertThat(r.ensembleScore()).isEqualTo(1.0);
    assertThat(r.keep()).isTrue();
    assertThat(r.reason()).contains("accuracy 1.0000 vs best single 'a' 0.7000");
  }

  @Test
  void anEnsembleThatDoesNotBeatTheBestModelIsNotKept() {
    float[] y = labels();
    Map<String, float[][]> outputs = new HashMap<>();
    outputs.put("good", model(y, 0, 90, 0.6f, 0.55f)); // 0.9, timid
    outputs.put("bad", model(y, 0, 0, 0.9f, 0.9f)); // wrong everywhere, and sure of it

    EnsembleResult r = Ensembler.outputAverage(outputs, y, true);

    assertThat(r.bestSingle()).isEqualTo("good");
    assertThat(r.bestSingleScore()).isCloseTo(0.9, within(1e-12));
    assertThat(r.ensembleScore()).isLessThan(0.9);
    assertThat(r.keep()).isFalse();
    assertThat(r.reason()).contains("not better");
  }

  @Test
  void regressionAveragesPredictionsAndScoresByRmse() {
    float[] y = new float[ROWS];
    float[][] high = new float[ROWS][1];
    float[][] low = new float[ROWS][1];
    for (int r = 0; r < ROWS; r++) {
      y[r] = r * 0.5f;
      high[r][0] = y[r] + 1;
      low[r][0] = y[r] - (r % 2 == 0 ? 1 : 0.5f);
    }

    EnsembleResult r = Ensembler.outputAverage(Map.of("high", high, "low", low), y, false);

    assertThat(r.bestSingle()).isEqualTo("low");
    assertThat(r.bestSingleScore()).isCloseTo(Math.sqrt((1 + 0.25) / 2), within(1e-6));
    assertThat(r.ensembleScore()).isCloseTo(Math.sqrt(0.0625 / 2), within(1e-6));
    assertThat(r.keep()).isTrue();
    assertThat(r.reason()).contains("RMSE");
  }

  @Test
  void oneModelIsNoEnsemble() {
    float[] y = labels();

    EnsembleResult r = Ensembler.outputAverage(Map.of("a", model(y, 0, 70, 0.9f, 0.6f)), y, true);

    assertThat(r.keep()).isFalse();
    assertThat(r.ensembleScore()).isEqualTo(r.bestSingleScore());
  }

  @Test
  void outputsOfTheWrongShapeAreRefusedByModel() {
    float[] y = labels();
    Map<String, float[][]> outputs = new LinkedHashMap<>();
    outputs.put("a", model(y, 0, 70, 0.9f, 0.6f));
    outputs.put("b", new float[ROWS - 1][2]);

    assertThatThrownBy(() -> Ensembler.outputAverage(outputs, y, true))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("model 'b' has 99 rows");
  }

  @Test
  void weightAveragingIsTheElementWiseMean() {
    List<float[]> m1 = List.of(new float[] {1, 2, 3}, new float[] {10});
    List<float[]> m2 = List.of(new float[] {3, 4, 5}, new float[] {20});
    List<float[]> m3 = List.of(new float[] {5, 0, 1}, new float[] {0});

    List<float[]> avg = Ensembler.averageWeights(List.of(m1, m2, m3));

    assertThat(avg).hasSize(2);
    assertThat(avg.get(0)).containsExactly(3, 2, 3);
    assertThat(avg.get(1)).containsExactly(10);
  }

  @Test
  void weightAveragingNamesTheFirstShapeMismatch() {
    List<float[]> m1 = List.of(new float[] {1, 2, 3}, new float[] {10});
    List<float[]> m2 = List.of(new float[] {3, 4, 5}, new float[] {20, 30});

    assertThatThrownBy(() -> Ensembler.averageWeights(List.of(m1, m2)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("tensor 1 of model 1 has 2 values; model 0's has 1");
    assertThatThrownBy(() -> Ensembler.averageWeights(List.of(m1, List.of(new float[3]))))
        .hasMessage("model 1 has 1 tensors; model 0 has 2");
  }

  @Test
  void pickTopRanksByScoreThenName() {
    Map<String, Double> scores = new HashMap<>();
    scores.put("t1", 0.80);
    scores.put("t2", 0.90);
    scores.put("t3", 0.85);
    scores.put("t4", 0.90);
    scores.put("t5", Double.NaN);

    assertThat(Ensembler.pickTop(scores, 3, true)).containsExactly("t2", "t4", "t3");
    assertThat(Ensembler.pickTop(scores, 2, false)).containsExactly("t1", "t3");
    assertThat(Ensembler.pickTop(scores, 10, true)).hasSize(4);
    assertThatThrownBy(() -> Ensembler.pickTop(scores, 0, true)).hasMessageContaining("k must");
  }

  @Test
  void aWeightAverageIsJudgedLikeAnyEnsemble() {
    EnsembleResult r =
        Ensembler.judge(EnsembleResult.WEIGHT_AVERAGE, 0.42, Map.of("t1", 0.45, "t2", 0.50), false);

    assertThat(r.keep()).isTrue();
    assertThat(r.bestSingle()).isEqualTo("t1");
  }

  @Test
  void aResultRoundTripsThroughJson() throws Exception {
    ObjectMapper json = new ObjectMapper();
    EnsembleResult r =
        Ensembler.judge(EnsembleResult.OUTPUT_AVERAGE, 0.9, Map.of("a", 0.8, "b", 0.85), true);

    assertThat(json.readValue(json.writeValueAsString(r), EnsembleResult.class)).isEqualTo(r);
  }
}
