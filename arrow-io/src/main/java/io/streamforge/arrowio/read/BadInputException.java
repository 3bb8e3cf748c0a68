package io.streamforge.arrowio.read;

/** Input that cannot be read; the message names file, line and reason. */
public class BadInputException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final transient BadRow row;

  public BadInputException(BadRow row) {
    super(row.describe());
    this.row = row;
  }

  public BadInputException(String message) {
    super(message);
    this.row = null;
  }

  /** The offending row, or null when the problem is not a single row (e.g. an unreadable file). */
  public BadRow row() {
    return row;
  }
}
