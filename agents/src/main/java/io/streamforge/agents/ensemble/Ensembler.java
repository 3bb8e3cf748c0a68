package io.streamforge.agents.ensemble;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Ensembling of finished trials: averaging their outputs (any models) or their weights (models of
 * one architecture, trained from related starts), judged on the validation rows against the best
 * single model.
 */
public final class Ensembler {
  private Ensembler() {}

  /**
   * Averages the models' outputs on the validation rows and scores the average: for classification
   * the accuracy of the argmax of the mean class probabilities, for regression the RMSE of the mean
   * prediction (lower is better). The ensemble is kept only when it beats the best single model
   * strictly.
   *
   * @param predictions per model, its outputs per validation row: class probabilities ({@code
   *     [rows][classes]}) or predictions ({@code [rows][1]})
   * @param labels per row, the class index (classification) or the target (regression)
   * @throws IllegalArgumentException when there is no model, or a model's rows or widths differ
   */
  public static EnsembleResult outputAverage(
      Map<String, float[][]> predictions, float[] labels, boolean classification) {
    if (predictions.isEmpty()) {
      throw new IllegalArgumentException("no model outputs to average");
    }
    Map<String, float[][]> models = new TreeMap<>(predictions);
    int rows = labels.length;
    int width = -1;
    for (Map.Entry<String, float[][]> e : models.entrySet()) {
      float[][] p = e.getValue();
      if (p.length != rows) {
        throw new IllegalArgumentException(
            "model '" + e.getKey() + "' has " + p.length + " rows of output; labels have " + rows);
      }
      for (int r = 0; r < rows; r++) {
        if (width < 0) {
          width = p[r].length;
        }
        if (p[r].length != width || width == 0) {
          throw new IllegalArgumentException(
              "model '"
                  + e.getKey()
                  + "' row "
                  + r
                  + " has "
                  + p[r].length
                  + " outputs; expected "
                  + width);
        }
      }
    }
    if (rows == 0) {
      throw new IllegalArgumentException("no validation rows to score on");
    }
    float[][] mean = new float[rows][width];
    for (float[][] p : models.values()) {
      for (int r = 0; r < rows; r++) {
        for (int j = 0; j < width; j++) {
          mean[r][j] += p[r][j] / models.size();
        }
      }
    }
    Map<String, Double> singles = new TreeMap<>();
    models.forEach((name, p) -> singles.put(name, score(p, labels, classification)));
    return judge(
        EnsembleResult.OUTPUT_AVERAGE,
        score(mean, labels, classification),
        singles,
        classification);
  }

  private static double score(float[][] out, float[] labels, boolean classification) {
    int rows = labels.length;
    if (classification) {
      long right = 0;
      for (int r = 0; r < rows; r++) {
        int best = 0;
        for (int j = 1; j < out[r].length; j++) {
          if (out[r][j] > out[r][best]) {
            best = j;
          }
        }
        if (best == (int) labels[r]) {
          right++;
        }
      }
      return (double) right / rows;
    }
    double se = 0;
    for (int r = 0; r < rows; r++) {
      double d = out[r][0] - labels[r];
      se += d * d;
    }
    return Math.sqrt(se / rows);
  }

  /**
   * Compares an ensemble's validation score with its members' and decides whether to keep it
   * (strictly better than the best member, and at least two members).
   *
   * @param method {@link EnsembleResult#OUTPUT_AVERAGE} or {@link EnsembleResult#WEIGHT_AVERAGE}
   * @param singles each member's own score
   * @param higherIsBetter true for accuracy, false for RMSE
   */
  public static EnsembleResult judge(
      String method, double ensembleScore, Map<String, Double> singles, boolean higherIsBetter) {
    if (singles.isEmpty()) {
      throw new IllegalArgumentException("no member scores to compare the ensemble with");
    }
    String best = null;
    for (Map.Entry<String, Double> e : new TreeMap<>(singles).entrySet()) {
      if (best == null || better(e.getValue(), singles.get(best), higherIsBetter)) {
        best = e.getKey();
      }
    }
    double bestScore = singles.get(best);
    boolean beats = better(ensembleScore, bestScore, higherIsBetter);
    boolean keep = beats && singles.size() >= 2;
    String metric = higherIsBetter ? "accuracy" : "RMSE";
    String reason =
        String.format(
            Locale.ROOT,
            "%s of %d model(s): %s %.4f vs best single '%s' %.4f; %s",
            method,
            singles.size(),
            metric,
            ensembleScore,
            best,
            bestScore,
            keep
                ? "keeping the ensemble"
                : beats
                    ? "one model is no ensemble; keeping the single model"
                    : "not better; keeping the single model");
    return new EnsembleResult(method, ensembleScore, bestScore, best, keep, reason);
  }

  private static boolean better(double a, double b, boolean higherIsBetter) {
    if (Double.isNaN(a)) {
      return false;
    }
    if (Double.isNaN(b)) {
      return true;
    }
    return higherIsBetter ? a > b : a < b;
  }

  /**
   * The element-wise mean of each tensor over models of one architecture (the weight-averaging
   * ensemble, a "model soup").
   *
   * @param models per model its tensors, in the same order and of the same sizes
   * @throws IllegalArgumentException naming the first model and tensor whose shape differs from the
   *     first model's
   */
  public static List<float[]> averageWeights(List<List<float[]>> models) {
    if (models.isEmpty()) {
      throw new IllegalArgumentException("no models to average");
    }
    List<float[]> first = models.get(0);
    for (int m = 1; m < models.size(); m++) {
      List<float[]> other = models.get(m);
      if (other.size() != first.size()) {
        throw new IllegalArgumentException(
            "model " + m + " has " + other.size() + " tensors; model 0 has " + first.size());
      }
      for (int t = 0; t < first.size(); t++) {
        if (other.get(t).length != first.get(t).length) {
          throw new IllegalArgumentException(
              "tensor "
                  + t
                  + " of model "
                  + m
                  + " has "
                  + other.get(t).length
                  + " values; model 0's has "
                  + first.get(t).length);
        }
      }
    }
    List<float[]> out = new ArrayList<>(first.size());
    for (int t = 0; t < first.size(); t++) {
      int n = first.get(t).length;
      double[] sum = new double[n];
      for (List<float[]> model : models) {
        float[] w = model.get(t);
        for (int i = 0; i < n; i++) {
          sum[i] += w[i];
        }
      }
      float[] mean = new float[n];
      for (int i = 0; i < n; i++) {
        mean[i] = (float) (sum[i] / models.size());
      }
      out.add(mean);
    }
    return out;
  }

  /**
   * The names of the {@code k} best trials by validation score, best first; ties go to the name
   * that sorts first, NaN scores are skipped. For weight averaging pass only trials of one
   * architecture; for output averaging any.
   */
  public static List<String> pickTop(Map<String, Double> scores, int k, boolean higherIsBetter) {
    if (k < 1) {
      throw new IllegalArgumentException("k must be at least 1, was " + k);
    }
    Comparator<Map.Entry<String, Double>> byScore = Comparator.comparingDouble(Map.Entry::getValue);
    if (higherIsBetter) {
      byScore = byScore.reversed();
    }
    return scores.entrySet().stream()
        .filter(e -> e.getValue() != null && !e.getValue().isNaN())
        .sorted(byScore.thenComparing(Map.Entry::getKey))
        .limit(k)
        .map(Map.Entry::getKey)
        .toList();
  }
}
