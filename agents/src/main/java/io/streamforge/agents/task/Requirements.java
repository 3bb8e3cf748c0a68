package io.streamforge.agents.task;

import io.streamforge.schemas.records.TrainingJob;
import java.util.List;
import java.util.Objects;

/**
 * What a workflow has to train, as the task analysis understood it: the rest of the pipeline
 * (quality checks, preprocessing, search, the final choice) reads these instead of re-reading the
 * free-text request.
 *
 * @param taskType classification or regression
 * @param label the label column
 * @param features the columns training can use, in schema order (before quality checks drop any)
 * @param metric the validation metric that ranks models: {@code val_accuracy} or {@code val_rmse}
 * @param higherIsBetter whether a larger {@code metric} is better
 * @param notes one line per decision, in words, for the user and the log
 */
public record Requirements(
    TrainingJob.TaskType taskType,
    String label,
    List<String> features,
    String metric,
    boolean higherIsBetter,
    List<String> notes) {

  /** The metric of classification runs (the trainer's epoch metric name). */
  public static final String ACCURACY = "val_accuracy";

  /** The metric of regression runs (the trainer's epoch metric name). */
  public static final String RMSE = "val_rmse";

  public Requirements {
    Objects.requireNonNull(taskType, "taskType");
    Objects.requireNonNull(label, "label");
    Objects.requireNonNull(metric, "metric");
    features = List.copyOf(features);
    notes = notes == null ? List.of() : List.copyOf(notes);
  }

  /** Whether the task is classification. */
  public boolean classification() {
    return taskType == TrainingJob.TaskType.CLASSIFICATION;
  }
}
