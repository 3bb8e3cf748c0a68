package io.streamforge.agents.data;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.types.pojo.FieldType;

/**
 * A seeded table held as plain Java arrays (nulls as null), turned into Arrow batches of any row
 * range, so that statistics over the batches can be checked against a naive computation over the
 * arrays.
 *
 * <p>Columns: {@code i} int32 with nulls, {@code x} float64 with nulls and NaNs, {@code f} float32
 * from three values, {@code u} utf8 unique per row, {@code s} utf8 with nulls from a few values,
 * {@code d} dictionary-encoded utf8 with nulls, {@code b} bool, {@code label} int64 in 0..11.
 */
final class TestTable implements AutoCloseable {
  static final String[] COLOURS = {"red", "green", "blue"};
  static final long DICTIONARY_ID = 7;

  final int rows;
  final Integer[] i;
  final Double[] x;
  final Float[] f;
  final String[] u;
  final String[] s;
  final Integer[] d;
  final Boolean[] b;
  final Long[] label;
  private final VarCharVector dictionaryValues;
  final DictionaryProvider.MapDictionaryProvider dictionaries;
  private final BufferAllocator allocator;
  private final List<VectorSchemaRoot> roots = new ArrayList<>();

  TestTable(BufferAllocator allocator, int rows, long seed) {
    this.allocator = allocator;
    this.rows = rows;
    Random rnd = new Random(seed);
    i = new Integer[rows];
    x = new Double[rows];
    f = new Float[rows];
    u = new String[rows];
    s = new String[rows];
    d = new Integer[rows];
    b = new Boolean[rows];
    label = new Long[rows];
    float[] fs = {0.1f, 0.2f, 0.5f};
    for (int r = 0; r < rows; r++) {
      i[r] = r % 7 == 0 ? null : rnd.nextInt(50) - 10;
      x[r] = r % 11 == 0 ? null : r % 13 == 0 ? Double.NaN : rnd.nextGaussian() * 3 + 1e3;
      f[r] = fs[rnd.nextInt(3)];
      u[r] = "id-" + r;
      s[r] = r % 9 == 0 ? null : "s" + rnd.nextInt(20);
      d[r] = r % 5 == 0 ? null : rnd.nextInt(COLOURS.length);
      b[r] = rnd.nextInt(4) == 0;
      label[r] = (long) rnd.nextInt(12);
    }
    dictionaryValues = new VarCharVector("d-dictionary", allocator);
    dictionaryValues.allocateNew(COLOURS.length);
    for (int k = 0; k < COLOURS.length; k++) {
      dictionaryValues.setSafe(k, COLOURS[k].getBytes(StandardCharsets.UTF_8));
    }
    dictionaryValues.setValueCount(COLOURS.length);
    dictionaries =
        new DictionaryProvider.MapDictionaryProvider(
            new Dictionary(
                dictionaryValues,
                new DictionaryEncoding(DICTIONARY_ID, false, new ArrowType.Int(32, true))));
  }

  /** Rows [from, to) as one batch, closed with the table. */
  VectorSchemaRoot batch(int from, int to) {
    int n = to - from;
    IntVector iv = new IntVector("i", allocator);
    Float8Vector xv = new Float8Vector("x", allocator);
    Float4Vector fv = new Float4Vector("f", allocator);
    VarCharVector uv = new VarCharVector("u", allocator);
    VarCharVector sv = new VarCharVector("s", allocator);
    ArrowType.Int index = new ArrowType.Int(32, true);
    IntVector dv =
        new IntVector(
            "d",
            new FieldType(true, index, new DictionaryEncoding(DICTIONARY_ID, false, index)),
            allocator);
    BitVector bv = new BitVector("b", allocator);
    BigIntVector lv = new BigIntVector("label", allocator);
    for (int r = 0; r < n; r++) {
      int k = from + r;
      if (i[k] == null) {
        iv.setNull(r);
      } else {
        iv.setSafe(r, i[k]);
      }
      if (x[k] == null) {
        xv.setNull(r);
      } else {
        xv.setSafe(r, x[k]);
      }
      fv.setSafe(r, f[k]);
      uv.setSafe(r, u[k].getBytes(StandardCharsets.UTF_8));
      if (s[k] == null) {
        sv.setNull(r);
      } else {
        sv.setSafe(r, s[k].getBytes(StandardCharsets.UTF_8));
      }
      if (d[k] == null) {
        dv.setNull(r);
      } else {
        dv.setSafe(r, d[k]);
      }
      bv.setSafe(r, b[k] ? 1 : 0);
      lv.setSafe(r, label[k]);
    }
    List<FieldVector> vectors = List.of(iv, xv, fv, uv, sv, dv, bv, lv);
    vectors.forEach(v -> v.setValueCount(n));
    VectorSchemaRoot root = new VectorSchemaRoot(vectors);
    root.setRowCount(n);
    roots.add(root);
    return root;
  }

  /** The present values of a numeric column as doubles (null for missing, NaN counts missing). */
  Double[] numbers(String column) {
    Double[] out = new Double[rows];
    for (int r = 0; r < rows; r++) {
      out[r] =
          switch (column) {
            case "i" -> i[r] == null ? null : (double) i[r];
            case "x" -> x[r] == null || x[r].isNaN() ? null : x[r];
            case "f" -> (double) f[r];
            case "b" -> b[r] ? 1.0 : 0.0;
            case "label" -> (double) label[r];
            default -> throw new IllegalArgumentException(column);
          };
    }
    return out;
  }

  /** The values of a column as the statistics key them (null for missing). */
  String[] keys(String column) {
    String[] out = new String[rows];
    for (int r = 0; r < rows; r++) {
      out[r] =
          switch (column) {
            case "i" -> i[r] == null ? null : Integer.toString(i[r]);
            case "f" -> Float.toString(f[r]);
            case "u" -> u[r];
            case "s" -> s[r];
            case "d" -> d[r] == null ? null : COLOURS[d[r]];
            case "b" -> Boolean.toString(b[r]);
            case "label" -> Long.toString(label[r]);
            default -> throw new IllegalArgumentException(column);
          };
    }
    return out;
  }

  @Override
  public void close() {
    roots.forEach(VectorSchemaRoot::close);
    dictionaryValues.close();
  }
}
