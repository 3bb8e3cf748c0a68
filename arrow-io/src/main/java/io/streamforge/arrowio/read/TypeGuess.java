package io.streamforge.arrowio.read;

/** Running type inference for one column: the narrowest of bool, int64, float64, string. */
final class TypeGuess {
  private boolean seen;
  private boolean canBool = true;
  private boolean canInt = true;
  private boolean canDouble = true;

  /** Observes a non-null text value. */
  void observe(char[] a, int start, int end, NumberParser parser) {
    seen = true;
    if (canBool && !NumberParser.isBoolWord(a, start, end)) {
      canBool = false;
    }
    if (canInt && !parser.parseLong(a, start, end)) {
      canInt = false;
    }
    if (canDouble && !parser.parseDouble(a, start, end)) {
      canDouble = false;
    }
  }

  /** Whether further observations can still change the result. */
  boolean open() {
    return canBool || canInt || canDouble;
  }

  /** Observes a non-null value whose own type is known (JSON). */
  void observe(ColumnType kind) {
    seen = true;
    switch (kind) {
      case BOOL -> {
        canInt = false;
        canDouble = false;
      }
      case INT64 -> canBool = false;
      case FLOAT32, FLOAT64 -> {
        canBool = false;
        canInt = false;
      }
      case STRING -> {
        canBool = false;
        canInt = false;
        canDouble = false;
      }
    }
  }

  /** The inferred type; a column with no values is a string column. */
  ColumnType result() {
    if (!seen) {
      return ColumnType.STRING;
    }
    if (canBool) {
      return ColumnType.BOOL;
    }
    if (canInt) {
      return ColumnType.INT64;
    }
    if (canDouble) {
      return ColumnType.FLOAT64;
    }
    return ColumnType.STRING;
  }
}
