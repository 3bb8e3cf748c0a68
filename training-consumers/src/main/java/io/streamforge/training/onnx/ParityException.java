package io.streamforge.training.onnx;

/** An exported model that does not match the trained one; the job fails with it. */
public class ParityException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ParityException(String message) {
    super(message);
  }

  public ParityException(String message, Throwable cause) {
    super(message, cause);
  }
}
