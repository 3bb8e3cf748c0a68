package io.streamforge.arrowio.read;

import java.util.Locale;

/**
 * A resolved text column.
 *
 * @param name column name
 * @param type value type (for a dictionary column, the type of the dictionary's values: string)
 * @param dictionaryId dictionary id, or -1 when the column is not dictionary-encoded
 * @param overridden whether the type came from an override rather than inference
 */
record ColumnSpec(String name, ColumnType type, long dictionaryId, boolean overridden) {

  boolean dictionary() {
    return dictionaryId >= 0;
  }

  String typeName() {
    return typeName(type);
  }

  static String typeName(ColumnType type) {
    return type.name().toLowerCase(Locale.ROOT);
  }

  /** The narrowest type that holds values of both types. */
  static ColumnType join(ColumnType a, ColumnType b) {
    if (a == b) {
      return a;
    }
    boolean numA = a == ColumnType.INT64 || a == ColumnType.FLOAT32 || a == ColumnType.FLOAT64;
    boolean numB = b == ColumnType.INT64 || b == ColumnType.FLOAT32 || b == ColumnType.FLOAT64;
    return numA && numB ? ColumnType.FLOAT64 : ColumnType.STRING;
  }

  /**
   * Reason text for a value that does not fit this column, e.g. {@code column 'x': '3.5' is not an
   * int64 (inferred from the first 10000 rows; override with --type x=float64)}.
   *
   * @param shownValue the value as it should appear in the message (already quoted)
   * @param valueKind the narrowest type of the value itself
   * @param sampledRows how many rows inference looked at
   */
  String mismatch(String shownValue, ColumnType valueKind, long sampledRows) {
    String article = type == ColumnType.INT64 ? "an " : "a ";
    StringBuilder sb = new StringBuilder(96);
    sb.append("column '").append(name).append("': ").append(shownValue);
    sb.append(" is not ").append(article).append(typeName());
    if (overridden) {
      sb.append(" (type set by override)");
    } else {
      sb.append(" (inferred from the first ")
          .append(sampledRows)
          .append(sampledRows == 1 ? " row" : " rows")
          .append("; override with --type ")
          .append(name)
          .append('=')
          .append(typeName(join(type, valueKind)))
          .append(')');
    }
    return sb.toString();
  }

  /** A value for a message: single-quoted, shortened when long. */
  static String shown(String value) {
    if (value.length() > 64) {
      value = value.substring(0, 61) + "...";
    }
    return "'" + value + "'";
  }
}
