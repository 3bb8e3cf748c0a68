package io.streamforge.arrowio.read;

import java.util.Locale;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;

/** Column types that text readers infer or accept as overrides. */
public enum ColumnType {
  BOOL(ArrowType.Bool.INSTANCE),
  INT64(new ArrowType.Int(64, true)),
  FLOAT32(new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)),
  FLOAT64(new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)),
  STRING(ArrowType.Utf8.INSTANCE);

  private final ArrowType arrowType;

  ColumnType(ArrowType arrowType) {
    this.arrowType = arrowType;
  }

  public ArrowType arrowType() {
    return arrowType;
  }

  /** Parses {@code bool, int64|int|long, float32|float, float64|double, string|str}. */
  public static ColumnType parse(String text) {
    return switch (text.trim().toLowerCase(Locale.ROOT)) {
      case "bool", "boolean" -> BOOL;
      case "int", "int64", "long", "integer" -> INT64;
      case "float", "float32" -> FLOAT32;
      case "double", "float64" -> FLOAT64;
      case "string", "str", "utf8", "text" -> STRING;
      default ->
          throw new IllegalArgumentException(
              "unknown column type '"
                  + text
                  + "' (expected bool, int64, float32, float64, string)");
    };
  }
}
