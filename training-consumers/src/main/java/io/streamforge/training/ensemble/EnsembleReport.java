package io.streamforge.training.ensemble;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What an ensembling job found, as the JSON object in its status's {@code report}: {@code {"kept",
 * "method", "ensembleScore", "bestSingle", "bestSingleScore", "members", "reason"}}. Scores are
 * validation accuracy in [0, 1] for classifiers, RMSE in label units for regressors (lower is
 * better).
 *
 * @param kept whether the ensemble beat the best single member and was registered
 * @param method the method that was evaluated ({@code output-average} or {@code weight-average});
 *     when weight averaging was asked for but the members differ in shape, {@code output-average}
 *     and the reason says so
 * @param ensembleScore the ensemble's validation score
 * @param bestSingle the best member, {@code model:version} (on a tie, the earlier one in the job)
 * @param bestSingleScore its score
 * @param members every member's score, {@code model:version} → score, in the job's order
 * @param reason the verdict in words: method, scores, kept or not and why
 */
public record EnsembleReport(
    boolean kept,
    String method,
    double ensembleScore,
    String bestSingle,
    double bestSingleScore,
    Map<String, Double> members,
    String reason) {
  private static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  public EnsembleReport {
    members = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(members));
  }

  /** The report as the JSON object of the job status. */
  public String toJson() {
    try {
      return JSON.writeValueAsString(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write the ensemble report: " + e.getMessage(), e);
    }
  }

  /**
   * Reads a report written by {@link #toJson()}.
   *
   * @throws IllegalArgumentException when {@code json} is not such a report
   */
  public static EnsembleReport fromJson(String json) {
    try {
      return JSON.readValue(json, EnsembleReport.class);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not an ensemble report: " + e.getMessage(), e);
    }
  }
}
