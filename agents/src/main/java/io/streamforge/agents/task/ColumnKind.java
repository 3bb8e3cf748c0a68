package io.streamforge.agents.task;

import java.util.Locale;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * The kinds of dataset column the agents tell apart. The lines that matter are {@link #trainable()}
 * (a label: the trainer reads int, float and bool labels) and {@link #feature()} (a feature: those
 * and plain text, which the trainer one-hot encodes as categories; not dictionary-encoded columns,
 * not decimals), so task analysis and preprocessing keep those and name the others as skipped.
 */
public enum ColumnKind {
  /** Signed integers of any width. */
  INT,
  /** Unsigned integers of any width. */
  UINT,
  /** Half, single and double precision floats. */
  FLOAT,
  /** Fixed-point decimals: numeric, but the trainer does not read them. */
  DECIMAL,
  BOOL,
  /** Plain strings (utf8 and large utf8). */
  UTF8,
  /** Dictionary-encoded columns (in practice dictionary-encoded strings). */
  DICTIONARY,
  /** Anything else: dates, timestamps, lists, structs... */
  OTHER;

  /** The kind of one schema field. */
  public static ColumnKind of(Field field) {
    if (field.getDictionary() != null) {
      return DICTIONARY;
    }
    ArrowType t = field.getType();
    if (t instanceof ArrowType.Int i) {
      return i.getIsSigned() ? INT : UINT;
    }
    if (t instanceof ArrowType.FloatingPoint) {
      return FLOAT;
    }
    if (t instanceof ArrowType.Decimal) {
      return DECIMAL;
    }
    if (t instanceof ArrowType.Bool) {
      return BOOL;
    }
    if (t instanceof ArrowType.Utf8 || t instanceof ArrowType.LargeUtf8) {
      return UTF8;
    }
    return OTHER;
  }

  /** The kind a {@link #describe} type name stands for. */
  public static ColumnKind ofType(String type) {
    if (type == null) {
      return OTHER;
    }
    if (type.startsWith("dictionary")) {
      return DICTIONARY;
    }
    if (type.matches("uint(8|16|32|64)")) {
      return UINT;
    }
    if (type.matches("int(8|16|32|64)")) {
      return INT;
    }
    if (type.matches("float(16|32|64)")) {
      return FLOAT;
    }
    if (type.matches("decimal\\(\\d+,\\d+\\)")) {
      return DECIMAL;
    }
    if (type.equals("bool")) {
      return BOOL;
    }
    if (type.equals("utf8") || type.equals("large_utf8")) {
      return UTF8;
    }
    return OTHER;
  }

  /** Whether values are numbers (bool counts as 0 and 1). */
  public boolean numeric() {
    return this == INT || this == UINT || this == FLOAT || this == DECIMAL || this == BOOL;
  }

  /** Whether the trainer can read the column as a feature or a label. */
  public boolean trainable() {
    return this == INT || this == UINT || this == FLOAT || this == BOOL;
  }

  /** Whether the trainer takes the column as a feature: numeric, bool, or text (as categories). */
  public boolean feature() {
    return trainable() || this == UTF8;
  }

  /**
   * A short type name for messages and statistics: {@code int32}, {@code uint8}, {@code float64},
   * {@code decimal(10,2)}, {@code bool}, {@code utf8}, {@code dictionary(utf8)} ({@code dictionary}
   * when only the index type is known), or Arrow's own name in lower case for the rest.
   */
  public static String describe(Field field) {
    if (field.getDictionary() == null) {
      return describe(field.getType());
    }
    // in memory (and in this project's manifests) a dictionary field has the index type; the
    // values' type is known only from the dictionary itself or an IPC message's schema
    ArrowType t = field.getType();
    return t.equals(field.getDictionary().getIndexType())
        ? "dictionary"
        : "dictionary(" + describe(t) + ")";
  }

  /** A short name of a value type, as {@link #describe(Field)} names undecorated fields. */
  public static String describe(ArrowType t) {
    if (t instanceof ArrowType.Int i) {
      return (i.getIsSigned() ? "int" : "uint") + i.getBitWidth();
    }
    if (t instanceof ArrowType.FloatingPoint fp) {
      return switch (fp.getPrecision()) {
        case HALF -> "float16";
        case SINGLE -> "float32";
        case DOUBLE -> "float64";
      };
    }
    if (t instanceof ArrowType.Decimal d) {
      return "decimal(" + d.getPrecision() + "," + d.getScale() + ")";
    }
    if (t instanceof ArrowType.Bool) {
      return "bool";
    }
    if (t instanceof ArrowType.Utf8) {
      return "utf8";
    }
    if (t instanceof ArrowType.LargeUtf8) {
      return "large_utf8";
    }
    return t.toString().toLowerCase(Locale.ROOT);
  }
}
