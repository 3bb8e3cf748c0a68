package io.streamforge.arrowio.read;

import java.util.Arrays;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;

/**
 * Values of one column of the batch being built, in growable Java arrays. A row is written at index
 * {@code row} by exactly one setter; writing the same index again replaces it, which is how a
 * rejected row is rolled back (the reader simply does not advance). {@link #fill} copies the first
 * {@code rows} values into an Arrow vector in bulk.
 */
abstract class ColumnBuffer {
  static final ArrowType.Int INDEX_TYPE = new ArrowType.Int(32, true);

  final ColumnSpec spec;
  int capacity;
  long[] validity;

  ColumnBuffer(ColumnSpec spec, int initialCapacity) {
    this.spec = spec;
    this.capacity = Math.max(initialCapacity, 64);
    this.validity = new long[words(capacity)];
  }

  static ColumnBuffer create(ColumnSpec spec, int initialCapacity) {
    if (spec.dictionary()) {
      return new DictColumn(spec, initialCapacity);
    }
    return switch (spec.type()) {
      case BOOL -> new BoolColumn(spec, initialCapacity);
      case INT64 -> new LongColumn(spec, initialCapacity);
      case FLOAT32 -> new FloatColumn(spec, initialCapacity);
      case FLOAT64 -> new DoubleColumn(spec, initialCapacity);
      case STRING -> new StringColumn(spec, initialCapacity);
    };
  }

  /**
   * Parses text into {@code row}.
   *
   * @return false when the text is not a value of this column's type (nothing is written)
   */
  abstract boolean parse(int row, char[] a, int start, int end, NumberParser parser);

  abstract void setNull(int row);

  void setLong(int row, long v) {
    throw new UnsupportedOperationException(spec.typeName());
  }

  void setDouble(int row, double v) {
    throw new UnsupportedOperationException(spec.typeName());
  }

  void setFloat(int row, float v) {
    throw new UnsupportedOperationException(spec.typeName());
  }

  void setBool(int row, boolean v) {
    throw new UnsupportedOperationException(spec.typeName());
  }

  void setChars(int row, char[] a, int start, int end) {
    throw new UnsupportedOperationException(spec.typeName());
  }

  /** Copies rows {@code [0, rows)} into {@code vector}, which must be empty. */
  abstract void fill(FieldVector vector, int rows);

  /** The dictionary of this batch (dictionary columns only); the caller owns its vector. */
  Dictionary dictionary(BufferAllocator allocator) {
    return null;
  }

  /** Starts a new batch. */
  void reset() {}

  /** Remembers the state before a row is written, for {@link #rollbackRow()}. */
  void markRow() {}

  /** Undoes side effects of a rejected row beyond its own index (dictionary entries). */
  void rollbackRow() {}

  /** Whether {@link #markRow()} and {@link #rollbackRow()} do anything. */
  boolean needsRowMarks() {
    return false;
  }

  abstract void grow(int newCapacity);

  final void ensure(int row) {
    if (row >= capacity) {
      int n = (int) Math.min(Integer.MAX_VALUE - 64L, Math.max(2L * capacity, row + 1L));
      grow(n);
      validity = Arrays.copyOf(validity, words(n));
      capacity = n;
    }
  }

  final void valid(int row) {
    validity[row >>> 6] |= 1L << row;
  }

  final void invalid(int row) {
    validity[row >>> 6] &= ~(1L << row);
  }

  private static int words(int bits) {
    return (bits + 63) >>> 6;
  }

  /** Writes the first {@code rows} bits of {@code bits} into an Arrow bitmap buffer. */
  static void writeBits(long[] bits, ArrowBuf dst, int rows) {
    int nbytes = (rows + 7) >>> 3;
    int fullWords = nbytes >>> 3;
    for (int w = 0; w < fullWords; w++) {
      dst.setLong((long) w << 3, bits[w]);
    }
    for (int b = fullWords << 3; b < nbytes; b++) {
      dst.setByte(b, (byte) (bits[b >>> 3] >>> ((b & 7) << 3)));
    }
    int tail = rows & 7;
    if (tail != 0) {
      int last = nbytes - 1;
      dst.setByte(last, dst.getByte(last) & ((1 << tail) - 1));
    }
  }

  /** Encodes chars as UTF-8 (lone surrogates become U+FFFD); returns the end offset. */
  static int encodeUtf8(char[] a, int start, int end, byte[] out, int o) {
    for (int i = start; i < end; i++) {
      char c = a[i];
      if (c < 0x80) {
        out[o++] = (byte) c;
      } else if (c < 0x800) {
        out[o++] = (byte) (0xC0 | (c >> 6));
        out[o++] = (byte) (0x80 | (c & 0x3F));
      } else if (Character.isHighSurrogate(c)
          && i + 1 < end
          && Character.isLowSurrogate(a[i + 1])) {
        int cp = Character.toCodePoint(c, a[++i]);
        out[o++] = (byte) (0xF0 | (cp >> 18));
        out[o++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
        out[o++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
        out[o++] = (byte) (0x80 | (cp & 0x3F));
      } else if (Character.isSurrogate(c)) {
        out[o++] = (byte) 0xEF;
        out[o++] = (byte) 0xBF;
        out[o++] = (byte) 0xBD;
      } else {
        out[o++] = (byte) (0xE0 | (c >> 12));
        out[o++] = (byte) (0x80 | ((c >> 6) & 0x3F));
        out[o++] = (byte) (0x80 | (c & 0x3F));
      }
    }
    return o;
  }

  /** Growable UTF-8 bytes with offsets, shared by string and dictionary columns. */
  static final class Utf8Data {
    byte[] bytes = new byte[1024];
    int[] offsets;

    Utf8Data(int capacity) {
      offsets = new int[capacity + 1];
    }

    void growOffsets(int capacity) {
      offsets = Arrays.copyOf(offsets, capacity + 1);
    }

    /** Sets entry {@code i} (entries before it must be set) to the chars. */
    void set(int i, char[] a, int start, int end, String column) {
      int o = offsets[i];
      long need = o + 3L * (end - start);
      if (need > bytes.length) {
        if (need > Integer.MAX_VALUE - 64) {
          throw new IllegalStateException(
              "string data of column '"
                  + column
                  + "' in one batch exceeds 2 GiB; use fewer rows per batch");
        }
        bytes =
            Arrays.copyOf(
                bytes, (int) Math.min(Integer.MAX_VALUE - 64L, Math.max(need, 2L * bytes.length)));
      }
      offsets[i + 1] = encodeUtf8(a, start, end, bytes, o);
    }

    void setEmpty(int i) {
      offsets[i + 1] = offsets[i];
    }

    /** Copies entries {@code [0, n)} into the vector; validity is left to the caller. */
    void fill(VarCharVector v, int n) {
      int len = offsets[n];
      v.allocateNew(Math.max(len, 1), n);
      ArrowBuf ob = v.getOffsetBuffer();
      for (int i = 0; i <= n; i++) {
        ob.setInt((long) i << 2, offsets[i]);
      }
      v.getDataBuffer().setBytes(0, bytes, 0, len);
    }
  }

  static final class LongColumn extends ColumnBuffer {
    private long[] values;

    LongColumn(ColumnSpec spec, int cap) {
      super(spec, cap);
      values = new long[capacity];
    }

    @Override
    boolean parse(int row, char[] a, int start, int end, NumberParser p) {
      if (!p.parseLong(a, start, end)) {
        return false;
      }
      setLong(row, p.longValue);
      return true;
    }

    @Override
    void setLong(int row, long v) {
      ensure(row);
      values[row] = v;
      valid(row);
    }

    @Override
    void setNull(int row) {
      ensure(row);
      values[row] = 0;
      invalid(row);
    }

    @Override
    void grow(int n) {
      values = Arrays.copyOf(values, n);
    }

    @Override
    void fill(FieldVector vector, int rows) {
      BigIntVector v = (BigIntVector) vector;
      v.allocateNew(rows);
      ArrowBuf d = v.getDataBuffer();
      for (int i = 0; i < rows; i++) {
        d.setLong((long) i << 3, values[i]);
      }
      writeBits(validity, v.getValidityBuffer(), rows);
      v.setValueCount(rows);
    }
  }

  static final class DoubleColumn extends ColumnBuffer {
    private double[] values;

    DoubleColumn(ColumnSpec spec, int cap) {
      super(spec, cap);
      values = new double[capacity];
    }

    @Override
    boolean parse(int row, char[] a, int start, int end, NumberParser p) {
      if (!p.parseDouble(a, start, end)) {
        return false;
      }
      setDouble(row, p.doubleValue);
      return true;
    }

    @Override
    void setDouble(int row, double v) {
      ensure(row);
      values[row] = v;
      valid(row);
    }

    @Override
    void setNull(int row) {
      ensure(row);
      values[row] = 0;
      invalid(row);
    }

    @Override
    void grow(int n) {
      values = Arrays.copyOf(values, n);
    }

    @Override
    void fill(FieldVector vector, int rows) {
      Float8Vector v = (Float8Vector) vector;
      v.allocateNew(rows);
      ArrowBuf d = v.getDataBuffer();
      for (int i = 0; i < rows; i++) {
        d.setDouble((long) i << 3, values[i]);
      }
      writeBits(validity, v.getValidityBuffer(), rows);
      v.setValueCount(rows);
    }
  }

  static final class FloatColumn extends ColumnBuffer {
    private float[] values;

    FloatColumn(ColumnSpec spec, int cap) {
      super(spec, cap);
      values = new float[capacity];
    }

    @Override
    boolean parse(int row, char[] a, int start, int end, NumberParser p) {
      if (!p.parseFloat(a, start, end)) {
        return false;
      }
      setFloat(row, p.floatValue);
      return true;
    }

    @Override
    void setFloat(int row, float v) {
      ensure(row);
      values[row] = v;
      valid(row);
    }

    @Override
    void setDouble(int row, double v) {
      setFloat(row, (float) v);
    }

    @Override
    void setNull(int row) {
      ensure(row);
      values[row] = 0;
      invalid(row);
    }

    @Override
    void grow(int n) {
      values = Arrays.copyOf(values, n);
    }

    @Override
    void fill(FieldVector vector, int rows) {
      Float4Vector v = (Float4Vector) vector;
      v.allocateNew(rows);
      ArrowBuf d = v.getDataBuffer();
      for (int i = 0; i < rows; i++) {
        d.setFloat((long) i << 2, values[i]);
      }
      writeBits(validity, v.getValidityBuffer(), rows);
      v.setValueCount(rows);
    }
  }

  static final class BoolColumn extends ColumnBuffer {
    private long[] bits;

    BoolColumn(ColumnSpec spec, int cap) {
      super(spec, cap);
      bits = new long[validity.length];
    }

    @Override
    boolean parse(int row, char[] a, int start, int end, NumberParser p) {
      if (!p.parseBool(a, start, end)) {
        return false;
      }
      setBool(row, p.boolValue);
      return true;
    }

    @Override
    void setBool(int row, boolean v) {
      ensure(row);
      if (v) {
        bits[row >>> 6] |= 1L << row;
      } else {
        bits[row >>> 6] &= ~(1L << row);
      }
      valid(row);
    }

    @Override
    void setNull(int row) {
      ensure(row);
      bits[row >>> 6] &= ~(1L << row);
      invalid(row);
    }

    @Override
    void grow(int n) {
      bits = Arrays.copyOf(bits, (n + 63) >>> 6);
    }

    @Override
    void fill(FieldVector vector, int rows) {
      BitVector v = (BitVector) vector;
      v.allocateNew(rows);
      writeBits(bits, v.getDataBuffer(), rows);
      writeBits(validity, v.getValidityBuffer(), rows);
      v.setValueCount(rows);
    }
  }

  static final class StringColumn extends ColumnBuffer {
    private final Utf8Data data;

    StringColumn(ColumnSpec spec, int cap) {
      super(spec, cap);
      data = new Utf8Data(capacity);
    }

    @Override
    boolean parse(int row, char[] a, int start, int end, NumberParser p) {
      setChars(row, a, start, end);
      return true;
    }

    @Override
    void setChars(int row, char[] a, int start, int end) {
      ensure(row);
      data.set(row, a, start, end, spec.name());
      valid(row);
    }

    @Override
    void setNull(int row) {
      ensure(row);
      data.setEmpty(row);
      invalid(row);
    }

    @Override
    void grow(int n) {
      data.growOffsets(n);
    }

    @Override
    void fill(FieldVector vector, int rows) {
      VarCharVector v = (VarCharVector) vector;
      data.fill(v, rows);
      writeBits(validity, v.getValidityBuffer(), rows);
      v.setLastSet(rows - 1);
      v.setValueCount(rows);
    }
  }

  /**
   * A dictionary-encoded string column: int32 indices into a dictionary built afresh for each batch
   * with an allocation-free open-addressing hash table over the values' chars.
   */
  static final class DictColumn extends ColumnBuffer {
    private int[] indices;
    private char[] pool = new char[1024];
    private int poolLen;
    private int[] entryStart = new int[64];
    private int[] entryHash = new int[64];
    private int entries;
    private int[] table = new int[128];

    DictColumn(ColumnSpec spec, int cap) {
      super(spec, cap);
      indices = new int[capacity];
    }

    @Override
    boolean parse(int row, char[] a, int start, int end, NumberParser p) {
      setChars(row, a, start, end);
      return true;
    }

    @Override
    void setChars(int row, char[] a, int start, int end) {
      ensure(row);
      indices[row] = lookupOrAdd(a, start, end);
      valid(row);
    }

    @Override
    void setNull(int row) {
      ensure(row);
      indices[row] = 0;
      invalid(row);
    }

    @Override
    void grow(int n) {
      indices = Arrays.copyOf(indices, n);
    }

    private int lookupOrAdd(char[] a, int start, int end) {
      int h = 0;
      for (int i = start; i < end; i++) {
        h = 31 * h + a[i];
      }
      h ^= h >>> 16;
      h *= 0x85ebca6b;
      h ^= h >>> 13;
      int mask = table.length - 1;
      int slot = h & mask;
      int len = end - start;
      while (true) {
        int t = table[slot];
        if (t == 0) {
          int idx = add(a, start, end, h);
          table[slot] = idx + 1;
          if (entries * 2 > table.length) {
            rehash();
          }
          return idx;
        }
        int idx = t - 1;
        if (entryHash[idx] == h && entryStart[idx + 1] - entryStart[idx] == len) {
          int s = entryStart[idx];
          boolean eq = true;
          for (int k = 0; k < len; k++) {
            if (pool[s + k] != a[start + k]) {
              eq = false;
              break;
            }
          }
          if (eq) {
            return idx;
          }
        }
        slot = (slot + 1) & mask;
      }
    }

    private int add(char[] a, int start, int end, int h) {
      int len = end - start;
      if (poolLen + len > pool.length) {
        pool = Arrays.copyOf(pool, Math.max(pool.length * 2, poolLen + len));
      }
      System.arraycopy(a, start, pool, poolLen, len);
      if (entries + 2 > entryStart.length) {
        entryStart = Arrays.copyOf(entryStart, entryStart.length * 2);
        entryHash = Arrays.copyOf(entryHash, entryHash.length * 2);
      }
      int idx = entries++;
      entryStart[idx] = poolLen;
      poolLen += len;
      entryStart[idx + 1] = poolLen;
      entryHash[idx] = h;
      return idx;
    }

    private void rehash() {
      int[] t = new int[table.length * 2];
      int mask = t.length - 1;
      for (int idx = 0; idx < entries; idx++) {
        int slot = entryHash[idx] & mask;
        while (t[slot] != 0) {
          slot = (slot + 1) & mask;
        }
        t[slot] = idx + 1;
      }
      table = t;
    }

    @Override
    void fill(FieldVector vector, int rows) {
      IntVector v = (IntVector) vector;
      v.allocateNew(rows);
      ArrowBuf d = v.getDataBuffer();
      for (int i = 0; i < rows; i++) {
        d.setInt((long) i << 2, indices[i]);
      }
      writeBits(validity, v.getValidityBuffer(), rows);
      v.setValueCount(rows);
    }

    @Override
    Dictionary dictionary(BufferAllocator allocator) {
      VarCharVector dv = new VarCharVector(spec.name(), allocator);
      try {
        Utf8Data utf8 = new Utf8Data(entries);
        for (int i = 0; i < entries; i++) {
          utf8.set(i, pool, entryStart[i], entryStart[i + 1], spec.name());
        }
        utf8.fill(dv, entries);
        for (int i = 0; i < entries; i++) {
          dv.setIndexDefined(i);
        }
        dv.setLastSet(entries - 1);
        dv.setValueCount(entries);
        return new Dictionary(dv, new DictionaryEncoding(spec.dictionaryId(), false, INDEX_TYPE));
      } catch (RuntimeException | Error e) {
        dv.close();
        throw e;
      }
    }

    private int markedEntries;

    @Override
    boolean needsRowMarks() {
      return true;
    }

    @Override
    void markRow() {
      markedEntries = entries;
    }

    /**
     * Removes the entries added since {@link #markRow()}. They are the newest, so no older entry's
     * probe sequence passes through their slots (also after a rehash, which re-inserts in entry
     * order), and clearing those slots keeps every other lookup intact.
     */
    @Override
    void rollbackRow() {
      int mask = table.length - 1;
      for (int idx = entries - 1; idx >= markedEntries; idx--) {
        int slot = entryHash[idx] & mask;
        while (table[slot] != idx + 1) {
          slot = (slot + 1) & mask;
        }
        table[slot] = 0;
      }
      entries = markedEntries;
      poolLen = entryStart[entries];
    }

    @Override
    void reset() {
      if (table.length > 1 << 16) {
        table = new int[128];
      } else {
        Arrays.fill(table, 0);
      }
      entries = 0;
      poolLen = 0;
    }
  }
}
