package io.streamforge.training;

import io.streamforge.schemas.records.TrainingJob;
import io.streamforge.schemas.records.TrainingJob.Architecture;
import io.streamforge.schemas.records.TrainingJob.OptimizerSpec;
import io.streamforge.schemas.records.TrainingJob.TaskType;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Default training jobs: an MLP 64-32 with ReLU and light dropout, Adam at 0.01 with a cosine
 * schedule, batch 16, 40 epochs, seed 42, 20% validation. These defaults reach the accuracies
 * recorded in {@code docs/training.md} on the bundled datasets.
 */
public final class JobSpecs {
  public static final List<Integer> HIDDEN = List.of(64, 32);
  public static final double DROPOUT = 0.1;
  public static final double LEARNING_RATE = 0.01;
  public static final int BATCH_SIZE = 16;
  public static final int EPOCHS = 40;
  public static final long SEED = 42;
  public static final double VALIDATION_FRACTION = 0.2;

  private JobSpecs() {}

  /** A job with every default; {@code version} 0 means the latest sealed version. */
  public static TrainingJob defaults(
      String jobId, String model, String dataset, int version, String label, TaskType task) {
    return new TrainingJob(
        jobId,
        null,
        null,
        model,
        dataset,
        version,
        label,
        List.of(),
        task,
        null,
        new Architecture("mlp", HIDDEN, "relu", DROPOUT, false, Map.of()),
        new OptimizerSpec("adam", LEARNING_RATE, 0.0, 0.0, "cosine"),
        BATCH_SIZE,
        EPOCHS,
        SEED,
        VALIDATION_FRACTION,
        0,
        "auto",
        Map.of(),
        Instant.now());
  }

  /**
   * A job that trains nothing (quantization, ensembling): its work is in {@code params}; the data
   * come from the registered models it names.
   */
  public static TrainingJob paramsOnly(
      String jobId, String workflowId, String model, Map<String, String> params) {
    return new TrainingJob(
        jobId,
        workflowId,
        null,
        model,
        null,
        0,
        null,
        List.of(),
        null,
        null,
        null,
        null,
        0,
        0,
        0,
        0,
        0,
        "cpu",
        Map.copyOf(params),
        Instant.now());
  }
}
