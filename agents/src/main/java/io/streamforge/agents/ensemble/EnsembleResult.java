package io.streamforge.agents.ensemble;

/**
 * Whether an ensemble earned its place: it is kept only when it beats the best single model on the
 * validation rows, since it costs several models' inference.
 *
 * @param method {@code output-average} or {@code weight-average}
 * @param ensembleScore the ensemble's validation score (accuracy, or RMSE for regression)
 * @param bestSingleScore the best single model's score
 * @param bestSingle that model's name
 * @param keep whether to use the ensemble
 * @param reason the comparison in words
 */
public record EnsembleResult(
    String method,
    double ensembleScore,
    double bestSingleScore,
    String bestSingle,
    boolean keep,
    String reason) {

  public static final String OUTPUT_AVERAGE = "output-average";
  public static final String WEIGHT_AVERAGE = "weight-average";
}
