package io.streamforge.schemas.records;

import io.streamforge.schemas.arrow.ArrowRecord;
import java.time.Instant;
import java.util.Map;

/**
 * What a user asks for: an AutoML workflow, on {@code workflows} (compacted, keyed by workflow id).
 *
 * @param workflowId unique id
 * @param task the task in free text
 * @param dataset dataset name
 * @param datasetVersion sealed version, or null for the latest
 * @param label label column
 * @param taskType classification or regression, or null to infer
 * @param timeBudgetSeconds total time budget, or null
 * @param constraints resource limits
 * @param objectives what to optimise
 * @param search hyperparameter search settings
 * @param holdoutFraction validation holdout (0 when k folds are used)
 * @param folds k for k-fold validation, or 0
 * @param deployment canary rollout settings
 * @param ensemble whether to try an ensemble
 * @param options further options
 * @param submittedAt when it was submitted
 */
@ArrowRecord(name = "workflow-request", version = "1.0")
public record WorkflowRequest(
    String workflowId,
    String task,
    String dataset,
    Integer datasetVersion,
    String label,
    TrainingJob.TaskType taskType,
    Long timeBudgetSeconds,
    Constraints constraints,
    Objectives objectives,
    Search search,
    double holdoutFraction,
    int folds,
    Rollout deployment,
    boolean ensemble,
    Map<String, String> options,
    Instant submittedAt) {

  /** Resource limits; null where none. */
  public record Constraints(Long maxModelBytes, Double maxLatencyMs, Long maxMemoryBytes) {}

  /**
   * @param primary {@code accuracy}, {@code latency} or {@code size}
   * @param secondary one of those, or null
   * @param weights weight per objective
   */
  public record Objectives(String primary, String secondary, Map<String, Double> weights) {}

  /**
   * @param strategy {@code tpe}, {@code random} or {@code gp}
   * @param maxTrials trial limit
   * @param parallelTrials trials at once
   * @param patience early-stopping patience in epochs
   */
  public record Search(String strategy, int maxTrials, int parallelTrials, int patience) {}

  /**
   * @param canaryWeight initial canary share, 0 to 100
   * @param analysisIntervalSeconds how often the canary is judged
   * @param thresholds e.g. {@code max_error_rate}, {@code max_p99_ratio}, {@code min_samples}
   */
  public record Rollout(
      double canaryWeight, int analysisIntervalSeconds, Map<String, Double> thresholds) {}
}
