package io.streamforge.arrowio.read;

/** Decides what happens to a row that could not be read. */
@FunctionalInterface
public interface BadRowHandler {

  /**
   * Called for each bad row, in input order. Throw {@link BadInputException} to stop reading;
   * return normally to skip the row (after recording it somewhere, such as a dead-letter topic).
   */
  void onBadRow(BadRow row);

  /** Stops at the first bad row with an exception naming file, line and reason. */
  BadRowHandler FAIL =
      row -> {
        throw new BadInputException(row);
      };
}
