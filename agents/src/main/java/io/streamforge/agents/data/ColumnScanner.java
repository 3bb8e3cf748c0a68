package io.streamforge.agents.data;

import io.streamforge.agents.task.ColumnKind;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.apache.arrow.vector.BaseIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.FloatingPointVector;
import org.apache.arrow.vector.LargeVarCharVector;
import org.apache.arrow.vector.UInt8Vector;
import org.apache.arrow.vector.ValueVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * One pass over one column of one batch: Welford's running mean and M2 for numbers, a fresh {@link
 * HyperLogLog}, exact value counts until there are too many. Values are read straight from the
 * vectors; per-row strings are made only while value counts are still kept.
 */
final class ColumnScanner {
  private final String name;
  private final String type;
  private long count;
  private long nulls;
  private double mean;
  private double m2;
  private double min = Double.POSITIVE_INFINITY;
  private double max = Double.NEGATIVE_INFINITY;
  private final HyperLogLog distinct = new HyperLogLog();
  private Map<String, Long> top = new HashMap<>();

  private ColumnScanner(String name, String type) {
    this.name = name;
    this.type = type;
  }

  /**
   * The statistics of {@code vector}'s values.
   *
   * @throws IllegalArgumentException when a dictionary-encoded column's dictionary is missing
   */
  static ColumnStats scan(FieldVector vector, DictionaryProvider dictionaries) {
    Field field = vector.getField();
    ColumnKind kind = ColumnKind.of(field);
    String type = ColumnKind.describe(field);
    if (kind == ColumnKind.DICTIONARY) {
      type =
          "dictionary("
              + ColumnKind.describe(dictionary(field, dictionaries).getVector().getField())
              + ")";
    }
    ColumnScanner s = new ColumnScanner(field.getName(), type);
    int rows = vector.getValueCount();
    switch (kind) {
      case INT, UINT -> s.ints((BaseIntVector) vector, rows, vector instanceof UInt8Vector);
      case FLOAT -> s.floats((FloatingPointVector) vector, rows, floatPrecision(field));
      case BOOL -> s.bools((BitVector) vector, rows);
      case DECIMAL -> s.decimals(vector, rows);
      case UTF8 -> s.strings(vector, rows);
      case DICTIONARY -> s.dictionary(vector, rows, dictionaries);
      default -> s.objects(vector, rows);
    }
    return s.result(kind.numeric());
  }

  private static FloatingPointPrecision floatPrecision(Field field) {
    return ((ArrowType.FloatingPoint) field.getType()).getPrecision();
  }

  private void ints(BaseIntVector v, int rows, boolean unsigned64) {
    ValueVector vv = (ValueVector) v;
    for (int i = 0; i < rows; i++) {
      if (vv.isNull(i)) {
        nulls++;
        continue;
      }
      long x = v.getValueAsLong(i);
      double d;
      String key;
      if (unsigned64 && x < 0) {
        d = (double) (x >>> 1) * 2.0 + (x & 1);
        key = top != null ? Long.toUnsignedString(x) : null;
      } else {
        d = x;
        key = top != null ? Long.toString(x) : null;
      }
      number(d, key);
    }
  }

  private void floats(FloatingPointVector v, int rows, FloatingPointPrecision precision) {
    for (int i = 0; i < rows; i++) {
      if (v.isNull(i)) {
        nulls++;
        continue;
      }
      double d = v.getValueAsDouble(i);
      if (Double.isNaN(d)) {
        nulls++;
        continue;
      }
      number(d, top != null ? canonical(d, precision) : null);
    }
  }

  private void bools(BitVector v, int rows) {
    for (int i = 0; i < rows; i++) {
      if (v.isNull(i)) {
        nulls++;
        continue;
      }
      boolean b = v.get(i) != 0;
      number(b ? 1 : 0, b ? "true" : "false");
    }
  }

  private void decimals(FieldVector v, int rows) {
    for (int i = 0; i < rows; i++) {
      if (v.isNull(i)) {
        nulls++;
        continue;
      }
      BigDecimal x = (BigDecimal) v.getObject(i);
      String key = null;
      if (top != null) {
        BigDecimal s = x.stripTrailingZeros();
        key = s.signum() == 0 ? "0" : s.toPlainString();
      }
      number(x.doubleValue(), key);
    }
  }

  private void strings(FieldVector v, int rows) {
    for (int i = 0; i < rows; i++) {
      if (v.isNull(i)) {
        nulls++;
        continue;
      }
      byte[] bytes = v instanceof VarCharVector s ? s.get(i) : ((LargeVarCharVector) v).get(i);
      value(new String(bytes, StandardCharsets.UTF_8));
    }
  }

  private static Dictionary dictionary(Field field, DictionaryProvider dictionaries) {
    DictionaryEncoding encoding = field.getDictionary();
    Dictionary dictionary = dictionaries == null ? null : dictionaries.lookup(encoding.getId());
    if (dictionary == null) {
      throw new IllegalArgumentException(
          "column '"
              + field.getName()
              + "' is dictionary-encoded with dictionary "
              + encoding.getId()
              + ", which the batch does not carry");
    }
    return dictionary;
  }

  private void dictionary(FieldVector v, int rows, DictionaryProvider dictionaries) {
    FieldVector values = dictionary(v.getField(), dictionaries).getVector();
    int size = values.getValueCount();
    String[] decoded = new String[size];
    long[] hashes = new long[size];
    for (int j = 0; j < size; j++) {
      if (!values.isNull(j)) {
        Object o = values.getObject(j);
        decoded[j] = o.toString();
        hashes[j] = HyperLogLog.hash(decoded[j]);
      }
    }
    BaseIntVector indices = (BaseIntVector) v;
    for (int i = 0; i < rows; i++) {
      if (v.isNull(i)) {
        nulls++;
        continue;
      }
      long j = indices.getValueAsLong(i);
      if (j < 0 || j >= size) {
        throw new IllegalArgumentException(
            "column '" + name + "' row " + i + " has dictionary index " + j + " of " + size);
      }
      String s = decoded[(int) j];
      if (s == null) {
        nulls++;
        continue;
      }
      count++;
      distinct.addHash(hashes[(int) j]);
      countValue(s);
    }
  }

  private void objects(FieldVector v, int rows) {
    for (int i = 0; i < rows; i++) {
      if (v.isNull(i)) {
        nulls++;
        continue;
      }
      value(String.valueOf(v.getObject(i)));
    }
  }

  private void number(double d, String key) {
    count++;
    double delta = d - mean;
    mean += delta / count;
    m2 += delta * (d - mean);
    if (d < min) {
      min = d;
    }
    if (d > max) {
      max = d;
    }
    distinct.add(d);
    countValue(key);
  }

  private void value(String s) {
    count++;
    distinct.add(s);
    countValue(s);
  }

  private void countValue(String key) {
    if (top != null) {
      top.merge(key, 1L, Long::sum);
      if (top.size() > ColumnStats.MAX_TOP_VALUES) {
        top = null;
      }
    }
  }

  private ColumnStats result(boolean numeric) {
    boolean any = numeric && count > 0;
    return new ColumnStats(
        name,
        type,
        count,
        nulls,
        any ? mean : Double.NaN,
        numeric ? m2 : Double.NaN,
        any ? min : Double.NaN,
        any ? max : Double.NaN,
        distinct,
        top);
  }

  /**
   * A number as its canonical key: integral values without a fraction ({@code "3"}), float32 and
   * float16 values by their shortest float form ({@code "0.1"}), others by their shortest double
   * form.
   */
  static String canonical(double d, FloatingPointPrecision precision) {
    if (d == Math.rint(d) && Math.abs(d) < 1e15) {
      return Long.toString((long) d);
    }
    return precision == FloatingPointPrecision.DOUBLE
        ? Double.toString(d)
        : Float.toString((float) d);
  }
}
