package io.streamforge.training.core;

/** The loss became NaN or infinite: the job fails with the step where it happened. */
public class TrainingDivergedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public TrainingDivergedException(String message) {
    super(message);
  }
}
