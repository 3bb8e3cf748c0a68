package io.streamforge.arrowio.dataset;

/** A dataset version that cannot be read: missing, unsealed or aborted; the message says which. */
public class DatasetUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public DatasetUnavailableException(String message) {
    super(message);
  }
}
