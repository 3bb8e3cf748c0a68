package io.streamforge.arrowio.read;

/**
 * A row that could not be read.
 *
 * @param source the file (or stream) name
 * @param line the 1-based line number where the row starts
 * @param raw the raw text of the row, exactly as read
 * @param reason what was wrong, e.g. {@code "expected 5 fields but found 4"}
 */
public record BadRow(String source, long line, String raw, String reason) {

  /** {@code source:line: reason}, the form compilers use, so editors can jump to it. */
  public String describe() {
    return source + ":" + line + ": " + reason;
  }
}
