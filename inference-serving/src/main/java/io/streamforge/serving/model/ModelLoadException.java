package io.streamforge.serving.model;

/** A model version that cannot be served: unreadable, incompatible or failing its warm-up. */
public class ModelLoadException extends Exception {
  private static final long serialVersionUID = 1L;

  public ModelLoadException(String message) {
    super(message);
  }

  public ModelLoadException(String message, Throwable cause) {
    super(message, cause);
  }
}
