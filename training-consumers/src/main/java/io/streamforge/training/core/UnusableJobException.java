package io.streamforge.training.core;

/**
 * A job that cannot run as asked: a missing dataset, version or column, an unusable label, an
 * unsupported option. The message says which and why; workers fail the job fast with it and take
 * the next one.
 */
public class UnusableJobException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public UnusableJobException(String message) {
    super(message);
  }

  public UnusableJobException(String message, Throwable cause) {
    super(message, cause);
  }
}
