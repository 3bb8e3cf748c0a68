package io.streamforge.arrowio.models;

/** A model artifact that cannot be published or fetched intact; the message names it. */
public class ArtifactException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ArtifactException(String message) {
    super(message);
  }

  public ArtifactException(String message, Throwable cause) {
    super(message, cause);
  }
}
