package io.streamforge.streams.support;

import io.streamforge.agents.data.PreprocessingSpec;
import io.streamforge.agents.data.QualityReport;
import io.streamforge.agents.task.Requirements;
import io.streamforge.schemas.records.DatasetManifest;
import io.streamforge.schemas.records.TrainingJob;
import io.streamforge.schemas.records.WorkflowRequest;
import java.util.List;
import java.util.Map;

/**
 * The JSON payloads of {@code agent.messages}, one record per {@code payloadType}. They are the
 * contract between the orchestrator and the agents' apps; fields are only ever added.
 */
public final class Payloads {
  private Payloads() {}

  // ANALYZE
  public static final String ANALYZE = "analyze";
  public static final String REQUIREMENTS = "requirements";

  public record AnalyzeRequest(WorkflowRequest request, DatasetManifest manifest) {}

  // PREPROCESS
  public static final String PREPROCESS = "preprocess";
  public static final String PREPROCESSED = "preprocessed";

  /**
   * @param producerId the publisher of the version (batches of an aborted publish of the same
   *     version number are not counted)
   * @param rows rows of the sealed version: the statistics are complete when they counted as many
   */
  public record PreprocessRequest(
      String dataset,
      int version,
      String producerId,
      long rows,
      Requirements requirements,
      double validationFraction) {}

  public record Preprocessed(
      PreprocessingSpec spec,
      QualityReport report,
      long rows,
      Map<String, Long> labelDistribution,
      Map<String, Map<String, Double>> columns) {}

  // DESIGN
  public static final String DESIGN = "design";
  public static final String DESIGNED = "designed";

  public record DesignRequest(
      int features, int outputs, long rows, WorkflowRequest.Constraints constraints) {}

  public record Designed(long maxParameters, List<String> dimensions, List<String> notes) {}

  // SEARCH
  public static final String SEARCH = "search";
  public static final String SEARCHED = "searched";
  public static final String TRIAL = "trial";
  public static final String CANCEL = "cancel";

  /**
   * What the optimizer needs to run a search.
   *
   * @param template the job every trial starts from (dataset, label, features, task, split,
   *     patience, seed); the optimizer fills architecture, optimizer, batch size, ids and model
   * @param design the architect's inputs: the optimizer derives the same search space from them
   * @param metric the validation metric, {@code val_accuracy} or {@code val_rmse}
   * @param deadlineEpochMs no trial starts after this
   * @param folds k for k-fold validation (each trial is k jobs, one per fold, scored by their
   *     mean), or 0 for the template's holdout
   */
  public record SearchRequest(
      String strategy,
      int maxTrials,
      int parallelTrials,
      long seed,
      int trialEpochs,
      long deadlineEpochMs,
      String metric,
      boolean higherIsBetter,
      TrainingJob template,
      DesignRequest design,
      int folds) {}

  /** One trial, as the optimizer tracks it; its events carry the whole record. */
  public record Trial(
      String trialId,
      int index,
      String jobId,
      Map<String, Double> params,
      String description,
      String status,
      Double value,
      Map<String, Double> metrics,
      String model,
      Integer modelVersion,
      String reason,
      long startedAtMs,
      Long endedAtMs,
      TrainingJob.Architecture architecture,
      TrainingJob.OptimizerSpec optimizer,
      int batchSize) {

    /** SUCCEEDED, PRUNED or FAILED; a trial being pruned (PRUNING) runs until its job ends. */
    public boolean finished() {
      return "SUCCEEDED".equals(status) || "PRUNED".equals(status) || "FAILED".equals(status);
    }
  }

  public record Searched(Trial best, int trials, int failed, int pruned, String stoppedBy) {}

  // CONVERT
  public static final String CONVERT = "convert";
  public static final String CONVERTED = "converted";

  public record ConvertRequest(String model, int version, Map<String, Double> metrics) {}

  // ENSEMBLE
  public static final String ENSEMBLE = "ensemble";
  public static final String ENSEMBLED = "ensembled";

  /**
   * What the ensembler combines: the final model and the search's trials.
   *
   * @param model the workflow's model name (an ensemble is registered as a new version of it)
   * @param version the final model's version
   * @param metrics the final model's metrics
   * @param template the job the ensemble job starts from (dataset, split, ids)
   */
  public record EnsembleRequest(
      String model,
      int version,
      Map<String, Double> metrics,
      List<Trial> trials,
      String metric,
      boolean higherIsBetter,
      int members,
      TrainingJob template) {}

  /**
   * The ensembler's answer.
   *
   * @param kept whether the ensemble beat the best single model (then {@code version} is it)
   * @param version the registered ensemble's version, or null
   * @param metrics the ensemble's metrics (with its parity figure), or null
   */
  public record Ensembled(
      boolean kept,
      Integer version,
      Map<String, Double> metrics,
      List<String> members,
      String reason) {}

  // DEPLOY
  public static final String DEPLOY = "deploy";
  public static final String DEPLOYED = "deployed";

  /** A servable variant of the new version with what was measured of it. */
  public record Candidate(String variant, Map<String, Double> metrics, long bytes) {}

  public record DeployRequest(
      String model,
      int version,
      List<Candidate> candidates,
      WorkflowRequest.Objectives objectives,
      WorkflowRequest.Constraints constraints,
      WorkflowRequest.Rollout rollout,
      boolean higherIsBetter) {}

  /**
   * @param outcome {@code PROMOTED} or {@code ROLLED_BACK}
   */
  public record Deployed(
      String model, int version, String variant, String outcome, String reason) {}

  // Training worker job status (the worker's JSON: see training-consumers' JobStatus)
  public static final String JOB_STATUS = "training-job-status";

  public record JobStatus(
      String jobId,
      String state,
      String reason,
      String model,
      Integer version,
      String sha256,
      Map<String, Double> metrics,
      String worker,
      String report) {}

  // Debugger
  public static final String DEBUG_ACTION = "debug-action";

  public record DebugAction(
      String jobId, String action, Double value, String reason, long step, boolean pruned) {}

  /**
   * A job that trains nothing (quantization, ensembling) for the data of {@code template}: the
   * workers read the validation split from its dataset, label, features and split.
   */
  public static TrainingJob auxiliaryJob(
      TrainingJob template,
      String jobId,
      String workflowId,
      String model,
      Map<String, String> params,
      java.time.Instant at) {
    return new TrainingJob(
        jobId,
        workflowId,
        null,
        model,
        template.dataset(),
        template.datasetVersion(),
        template.label(),
        template.features(),
        template.task(),
        template.preprocessing(),
        null,
        null,
        0,
        1,
        template.seed(),
        template.validationFraction(),
        0,
        template.device(),
        Map.copyOf(params),
        at);
  }
}
