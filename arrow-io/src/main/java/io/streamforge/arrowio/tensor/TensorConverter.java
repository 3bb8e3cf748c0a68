package io.streamforge.arrowio.tensor;

import io.streamforge.arrowio.ArrowBuffers;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.apache.arrow.memory.util.Float16;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Converts Arrow batches of numeric, bool and text columns into dense float arrays for model input.
 *
 * <p>Features are written row-major ({@code dst[offset + row * featureCount() + col]}) in the
 * layout of the converter's {@link FeatureEncoding}: the numeric columns first, where bools become
 * 0 and 1, integers and doubles are rounded to the nearest float, and nulls become NaN; then every
 * text (utf8) column one-hot encoded over the categories it was given, where a null or a value
 * outside them encodes as all zeros. Values are read straight from the vectors' data buffers, one
 * column at a time over blocks of rows that fit in cache, without per-row objects. A converter is
 * immutable and may be shared between threads.
 */
public final class TensorConverter {
  /** Rows per block: 1024 rows of 32 floats fill 128 KiB of the destination. */
  private static final int BLOCK = 1024;

  private enum Kind {
    INT8(1),
    INT16(2),
    INT32(4),
    INT64(8),
    UINT8(1),
    UINT16(2),
    UINT32(4),
    UINT64(8),
    FLOAT16(2),
    FLOAT32(4),
    FLOAT64(8),
    BOOL(0),
    TEXT(0);

    final int width;

    Kind(int width) {
      this.width = width;
    }
  }

  private final Schema schema;
  private final List<String> featureColumns;
  private final String labelColumn;
  private final int[] featureIndex;
  private final Kind[] featureKind;
  private final int labelIndex;
  private final Kind labelKind;
  private final FeatureEncoding encoding;
  private final List<String> encodedNames;

  /** Per feature: its first column in the encoded row. */
  private final int[] featureOffset;

  /** Per feature: category → one-hot position, for text columns; null for numeric ones. */
  private final Map<String, Integer>[] categoryIndex;

  /**
   * @param schema the schema of the batches to convert
   * @param featureColumns feature columns in tensor order; null or empty for every column except
   *     the label, in schema order
   * @param labelColumn the label column, or null for none
   * @throws IllegalArgumentException when a column does not exist, is not numeric or bool, is named
   *     twice, or is both the label and a feature
   */
  public TensorConverter(Schema schema, List<String> featureColumns, String labelColumn) {
    this(schema, featureColumns, labelColumn, Map.of());
  }

  /**
   * A converter that one-hot encodes text feature columns.
   *
   * @param schema the schema of the batches to convert
   * @param featureColumns feature columns; null or empty for every column except the label, in
   *     schema order (the encoded layout puts numeric columns before text ones)
   * @param labelColumn the label column, or null for none
   * @param categories the categories of every text feature column, in one-hot order ({@link
   *     CategoryCollector} finds them in the data)
   * @throws IllegalArgumentException when a column does not exist or has another type, is named
   *     twice, is both the label and a feature, is text without categories, or has categories
   *     without being a text feature
   */
  @SuppressWarnings("unchecked")
  public TensorConverter(
      Schema schema,
      List<String> featureColumns,
      String labelColumn,
      Map<String, List<String>> categories) {
    this.schema = Objects.requireNonNull(schema, "schema");
    List<Field> fields = schema.getFields();
    Map<String, Integer> byName = new HashMap<>();
    for (int i = 0; i < fields.size(); i++) {
      byName.putIfAbsent(fields.get(i).getName(), i);
    }
    this.labelColumn = labelColumn;
    if (labelColumn != null) {
      labelIndex = indexOf(byName, labelColumn);
      labelKind = kindOf(fields.get(labelIndex), "label");
    } else {
      labelIndex = -1;
      labelKind = null;
    }
    List<String> names = new ArrayList<>();
    if (featureColumns == null || featureColumns.isEmpty()) {
      for (Field f : fields) {
        if (!f.getName().equals(labelColumn)) {
          names.add(f.getName());
        }
      }
    } else {
      Set<String> seen = new HashSet<>();
      for (String name : featureColumns) {
        if (!seen.add(name)) {
          throw new IllegalArgumentException("feature column '" + name + "' is named twice");
        }
        if (name.equals(labelColumn)) {
          throw new IllegalArgumentException(
              "column '" + name + "' is the label; it cannot also be a feature");
        }
        names.add(name);
      }
    }
    if (names.isEmpty()) {
      throw new IllegalArgumentException("no feature columns: the schema has only the label");
    }
    List<String> numeric = new ArrayList<>();
    List<String> text = new ArrayList<>();
    for (String name : names) {
      Field field = fields.get(indexOf(byName, name));
      if (isText(field)) {
        text.add(name);
      } else {
        kindOf(field, "feature");
        numeric.add(name);
      }
    }
    Map<String, List<String>> cats = new java.util.LinkedHashMap<>();
    for (String name : text) {
      List<String> values = categories.get(name);
      if (values == null || values.isEmpty()) {
        throw new IllegalArgumentException(
            "feature column '"
                + name
                + "' is text: it needs its categories for one-hot encoding (found in the data by"
                + " the trainer, or given in the preprocessing spec)");
      }
      cats.put(name, values);
    }
    for (String name : categories.keySet()) {
      if (!text.contains(name)) {
        throw new IllegalArgumentException(
            "categories are given for column '" + name + "', which is not a text feature column");
      }
    }
    this.encoding = new FeatureEncoding(numeric, cats);
    this.encodedNames = encoding.encodedNames();
    List<String> ordered = encoding.columns();
    this.featureColumns = List.copyOf(ordered);
    this.featureIndex = new int[ordered.size()];
    this.featureKind = new Kind[ordered.size()];
    this.featureOffset = new int[ordered.size()];
    this.categoryIndex = new Map[ordered.size()];
    int offset = 0;
    for (int j = 0; j < ordered.size(); j++) {
      featureIndex[j] = indexOf(byName, ordered.get(j));
      featureOffset[j] = offset;
      if (j < numeric.size()) {
        featureKind[j] = kindOf(fields.get(featureIndex[j]), "feature");
        offset++;
      } else {
        featureKind[j] = Kind.TEXT;
        List<String> values = cats.get(ordered.get(j));
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < values.size(); i++) {
          index.put(values.get(i), i);
        }
        categoryIndex[j] = index;
        offset += values.size();
      }
    }
  }

  /** Whether a column is plain text (utf8 or large utf8, not dictionary-encoded). */
  public static boolean isText(Field f) {
    return f.getDictionary() == null
        && (f.getType() instanceof ArrowType.Utf8 || f.getType() instanceof ArrowType.LargeUtf8);
  }

  /** Features: every column except {@code labelColumn}. */
  public static TensorConverter withLabel(Schema schema, String labelColumn) {
    return new TensorConverter(schema, null, Objects.requireNonNull(labelColumn, "labelColumn"));
  }

  /** Features: every column; no label. */
  public static TensorConverter featuresOnly(Schema schema) {
    return new TensorConverter(schema, null, null);
  }

  private int indexOf(Map<String, Integer> byName, String name) {
    Integer i = byName.get(name);
    if (i == null) {
      List<String> all = schema.getFields().stream().map(Field::getName).toList();
      throw new IllegalArgumentException(
          "no column '" + name + "'; the columns are: " + String.join(", ", all));
    }
    return i;
  }

  private static Kind kindOf(Field f, String role) {
    String problem;
    if (f.getDictionary() != null) {
      problem = "is dictionary-encoded";
    } else {
      ArrowType t = f.getType();
      if (t instanceof ArrowType.Bool) {
        return Kind.BOOL;
      }
      if (t instanceof ArrowType.Int i) {
        return switch (i.getBitWidth()) {
          case 8 -> i.getIsSigned() ? Kind.INT8 : Kind.UINT8;
          case 16 -> i.getIsSigned() ? Kind.INT16 : Kind.UINT16;
          case 32 -> i.getIsSigned() ? Kind.INT32 : Kind.UINT32;
          case 64 -> i.getIsSigned() ? Kind.INT64 : Kind.UINT64;
          default -> throw new IllegalArgumentException("unsupported int width " + i);
        };
      }
      if (t instanceof ArrowType.FloatingPoint fp) {
        return switch (fp.getPrecision()) {
          case HALF -> Kind.FLOAT16;
          case SINGLE -> Kind.FLOAT32;
          case DOUBLE -> Kind.FLOAT64;
        };
      }
      problem = "has type " + t;
    }
    throw new IllegalArgumentException(
        role
            + " column '"
            + f.getName()
            + "' "
            + problem
            + "; tensors take numeric (int, float), bool or text (utf8) columns only");
  }

  /** Width of an encoded row: numeric columns plus every category of every text column. */
  public int featureCount() {
    return encodedNames.size();
  }

  /** Names of the encoded row's columns (the feature columns themselves when all are numeric). */
  public List<String> featureColumns() {
    return encodedNames;
  }

  /** The raw feature columns in input order: numeric, then text. */
  public List<String> sourceColumns() {
    return featureColumns;
  }

  /** How raw feature values map to the encoded row. */
  public FeatureEncoding encoding() {
    return encoding;
  }

  public Optional<String> labelColumn() {
    return Optional.ofNullable(labelColumn);
  }

  /**
   * Writes the batch's features row-major into {@code dst} from {@code dstOffset}: {@code
   * batch.getRowCount() * featureCount()} floats.
   */
  public void features(VectorSchemaRoot batch, float[] dst, int dstOffset) {
    int rows = batch.getRowCount();
    int cols = featureIndex.length;
    int width = featureCount();
    checkRange(dst, dstOffset, (long) rows * width);
    FieldVector[] vectors = new FieldVector[cols];
    boolean[] nulls = new boolean[cols];
    for (int j = 0; j < cols; j++) {
      vectors[j] = vector(batch, featureIndex[j], featureKind[j], rows);
      nulls[j] = vectors[j].getNullCount() > 0;
    }
    for (int r0 = 0; r0 < rows; r0 += BLOCK) {
      int r1 = Math.min(rows, r0 + BLOCK);
      for (int j = 0; j < cols; j++) {
        if (featureKind[j] == Kind.TEXT) {
          oneHot(vectors[j], categoryIndex[j], dst, dstOffset + featureOffset[j], width, r0, r1);
        } else {
          copy(
              vectors[j],
              featureKind[j],
              nulls[j],
              dst,
              dstOffset + featureOffset[j],
              width,
              r0,
              r1);
        }
      }
    }
  }

  /** One-hot block of a text column: all zeros for a null or a value outside the categories. */
  private static void oneHot(
      FieldVector v,
      Map<String, Integer> index,
      float[] dst,
      int base,
      int stride,
      int r0,
      int r1) {
    int k = index.size();
    int o = base + r0 * stride;
    for (int i = r0; i < r1; i++, o += stride) {
      java.util.Arrays.fill(dst, o, o + k, 0f);
      String value = text(v, i);
      Integer at = value == null ? null : index.get(value);
      if (at != null) {
        dst[o + at] = 1f;
      }
    }
  }

  /** Row {@code i} of a utf8 or large utf8 vector, or null. */
  static String text(FieldVector v, int i) {
    if (v.isNull(i)) {
      return null;
    }
    byte[] bytes =
        v instanceof org.apache.arrow.vector.VarCharVector c
            ? c.get(i)
            : ((org.apache.arrow.vector.LargeVarCharVector) v).get(i);
    return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
  }

  /** Writes the batch's labels into {@code dst} from {@code dstOffset}: one float per row. */
  public void labels(VectorSchemaRoot batch, float[] dst, int dstOffset) {
    if (labelColumn == null) {
      throw new IllegalStateException("this converter has no label column");
    }
    int rows = batch.getRowCount();
    checkRange(dst, dstOffset, rows);
    FieldVector v = vector(batch, labelIndex, labelKind, rows);
    copy(v, labelKind, v.getNullCount() > 0, dst, dstOffset, 1, 0, rows);
  }

  /** The batch's features and (when there is a label column) labels in new arrays. */
  public FloatMatrix convert(VectorSchemaRoot batch) {
    int rows = batch.getRowCount();
    long size = (long) rows * featureCount();
    if (size > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException(
          rows + " rows of " + featureCount() + " features do not fit in one float array");
    }
    float[] data = new float[(int) size];
    features(batch, data, 0);
    float[] labels = null;
    if (labelColumn != null) {
      labels = new float[rows];
      labels(batch, labels, 0);
    }
    return new FloatMatrix(data, rows, featureCount(), labels);
  }

  private static void checkRange(float[] dst, int offset, long count) {
    if (offset < 0 || offset + count > dst.length) {
      throw new IndexOutOfBoundsException(
          "need "
              + count
              + " floats from offset "
              + offset
              + " but the destination holds "
              + dst.length);
    }
  }

  /** The batch's vector for a column, checked against the converter's schema and row count. */
  private FieldVector vector(VectorSchemaRoot batch, int index, Kind kind, int rows) {
    Field expected = schema.getFields().get(index);
    List<FieldVector> vectors = batch.getFieldVectors();
    FieldVector v = index < vectors.size() ? vectors.get(index) : null;
    if (v == null
        || !v.getField().getName().equals(expected.getName())
        || !v.getField().getType().equals(expected.getType())) {
      throw new IllegalArgumentException(
          "batch does not have the converter's schema: expected column "
              + index
              + " to be "
              + expected
              + " but the batch has "
              + (v == null ? "no such column" : v.getField()));
    }
    if (v.getValueCount() < rows) {
      throw new IllegalArgumentException(
          "column '"
              + expected.getName()
              + "' has "
              + v.getValueCount()
              + " values for "
              + rows
              + " rows");
    }
    long bytes = kind == Kind.BOOL ? (rows + 7L) >>> 3 : (long) rows * kind.width;
    if (kind == Kind.TEXT) {
      return v; // variable width: read through the vector's offsets
    }
    if (v.getDataBuffer().capacity() < bytes) {
      throw new IllegalArgumentException(
          "column '" + expected.getName() + "' has a short data buffer");
    }
    return v;
  }

  private static void copy(
      FieldVector v, Kind kind, boolean nulls, float[] dst, int base, int stride, int r0, int r1) {
    ByteBuffer d = ArrowBuffers.view(v.getDataBuffer());
    int o = base + r0 * stride;
    switch (kind) {
      case FLOAT32 -> {
        for (int i = r0; i < r1; i++, o += stride) {
          dst[o] = d.getFloat(i << 2);
        }
      }
      case FLOAT64 -> {
        for (int i = r0; i < r1; i++, o += stride) {
          dst[o] = (float) d.getDouble(i << 3);
        }
      }
      case FLOAT16 -> {
        for (int i = r0; i < r1; i++, o += stride) {
          dst[o] = Float16.toFloat(d.getShort(i << 1));
        }
      }
      case INT8 -> {
        for (int i = r0; i < r1; i++, o += stride) {
          dst[o] = d.get(i);
        }
      }
      case INT16 -> {
        for (int i = r0; i < r1; i++, o += stride) {
          dst[o] = d.getShort(i << 1);
        }
      }
      case INT32 -> {
        for (int i = r0; i < r1; i++, o += stride) {
          dst[o] = d.getInt(i << 2);
        }
      }
      case INT64 -> {
        for (int i = r0; i < r1; i++, o += stride) {
          dst[o] = d.getLong(i << 3);
        }
      }
      case UINT8 -> {
        for (int i = r0; i < r1; i++, o += stride) {
          dst[o] = d.get(i) & 0xFF;
        }
      }
      case UINT16 -> {
        for (int i = r0; i < r1; i++, o += stride) {
          dst[o] = d.getShort(i << 1) & 0xFFFF;
        }
      }
      case UINT32 -> {
        for (int i = r0; i < r1; i++, o += stride) {
          dst[o] = d.getInt(i << 2) & 0xFFFFFFFFL;
        }
      }
      case UINT64 -> {
        for (int i = r0; i < r1; i++, o += stride) {
          dst[o] = unsignedToFloat(d.getLong(i << 3));
        }
      }
      case BOOL -> {
        for (int i = r0; i < r1; i++, o += stride) {
          dst[o] = (d.get(i >>> 3) >>> (i & 7)) & 1;
        }
      }
    }
    if (nulls) {
      ByteBuffer validity = ArrowBuffers.view(v.getValidityBuffer());
      o = base + r0 * stride;
      for (int i = r0; i < r1; i++, o += stride) {
        if (((validity.get(i >>> 3) >>> (i & 7)) & 1) == 0) {
          dst[o] = Float.NaN;
        }
      }
    }
  }

  /** Rounds an unsigned 64-bit value to the nearest float. */
  static float unsignedToFloat(long v) {
    if (v >= 0) {
      return v;
    }
    // Halve (keeping the lowest bit so rounding stays correct), convert, double.
    return ((float) ((v >>> 1) | (v & 1))) * 2f;
  }
}
