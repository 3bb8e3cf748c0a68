package io.streamforge.schemas.records;

import io.streamforge.schemas.arrow.ArrowRecord;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A request to train one model, on {@code training.jobs} (keyed by job id).
 *
 * @param jobId unique job id
 * @param workflowId the workflow it belongs to, or null for a job submitted by hand
 * @param trialId the search trial, or null
 * @param model the model name to register the result under
 * @param dataset dataset name
 * @param datasetVersion sealed dataset version
 * @param label label column
 * @param features feature columns; empty for all but the label
 * @param task classification or regression
 * @param preprocessing preprocessing spec as JSON, or null to compute it from the data
 * @param architecture the network
 * @param optimizer the optimizer
 * @param batchSize rows per step
 * @param epochs passes over the training split
 * @param seed random seed
 * @param validationFraction share of rows (by row hash) held out for validation
 * @param patience early-stopping patience in epochs, 0 for none
 * @param device {@code auto}, {@code cpu} or {@code gpu}
 * @param params further options, open for later use
 * @param submittedAt when it was submitted
 */
@ArrowRecord(name = "training-job", version = "1.0")
public record TrainingJob(
    String jobId,
    String workflowId,
    String trialId,
    String model,
    String dataset,
    int datasetVersion,
    String label,
    List<String> features,
    TaskType task,
    String preprocessing,
    Architecture architecture,
    OptimizerSpec optimizer,
    int batchSize,
    int epochs,
    long seed,
    double validationFraction,
    int patience,
    String device,
    Map<String, String> params,
    Instant submittedAt) {

  /** What the model predicts. */
  public enum TaskType {
    CLASSIFICATION,
    REGRESSION
  }

  /**
   * A network description; {@code type} names the block kind ({@code mlp} for now), and {@code
   * params} keeps the description open to more block types.
   */
  public record Architecture(
      String type,
      List<Integer> hiddenSizes,
      String activation,
      double dropout,
      boolean batchNorm,
      Map<String, String> params) {}

  /**
   * @param name {@code adam}, {@code adamw} or {@code sgd}
   * @param learningRate initial learning rate
   * @param weightDecay weight decay
   * @param momentum momentum (SGD)
   * @param schedule {@code constant}, {@code cosine}, {@code step}...
   */
  public record OptimizerSpec(
      String name, double learningRate, double weightDecay, double momentum, String schedule) {}
}
