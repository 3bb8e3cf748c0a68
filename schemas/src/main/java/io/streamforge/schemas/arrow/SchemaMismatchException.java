package io.streamforge.schemas.arrow;

/**
 * Data written with a schema this reader cannot read: another schema altogether, or an unknown
 * major version.
 */
public class SchemaMismatchException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public SchemaMismatchException(String message) {
    super(message);
  }
}
