package io.streamforge.arrowio.models;

/** A model artifact that cannot be published or fetched intact; the message names it. */
public class ArtifactException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final boolean retriable;

  /**
   * A problem with the artifact itself (corrupt, incomplete, the wrong bytes): retrying won't help.
   */
  public ArtifactException(String message) {
    this(message, null, false);
  }

  public ArtifactException(String message, Throwable cause) {
    this(message, cause, false);
  }

  /**
   * @param retriable whether the same fetch may succeed later (a timeout, a topic or artifact not
   *     there yet), as opposed to a broken artifact
   */
  public ArtifactException(String message, Throwable cause, boolean retriable) {
    super(message, cause);
    this.retriable = retriable;
  }

  public boolean retriable() {
    return retriable;
  }
}
