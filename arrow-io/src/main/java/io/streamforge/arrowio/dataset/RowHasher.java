package io.streamforge.arrowio.dataset;

import io.streamforge.arrowio.ArrowBuffers;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import org.apache.arrow.vector.BaseIntVector;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.FloatingPointVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The content hash of a dataset: independent of how rows are split into batches and of the order
 * batches arrive in, so a publisher computes it while sending and any reader can recompute it from
 * what it reads, across any number of partitions.
 *
 * <p>Each row gets two 64-bit hashes from its values (column by column, nulls distinct from every
 * value, dictionary-encoded strings hashed as their strings, floats by their value widened to
 * double); the row hashes are summed (mod 2^64, per lane). The result is {@code sha256(column names
 * and types, row count, sum A, sum B)} in hex. It identifies the multiset of rows, which is what a
 * training job consumes.
 */
public final class RowHasher {
  private static final long SEED_A = 0x243F6A8885A308D3L;
  private static final long SEED_B = 0x13198A2E03707344L;
  private static final long NULL_TAG = 0x5BD1E9955BD1E995L;

  private final Schema schema;
  private long rows;
  private long sumA;
  private long sumB;
  private long[] laneA = new long[0];
  private long[] laneB = new long[0];

  /**
   * @param schema the dataset's columns (batch metadata is ignored)
   */
  public RowHasher(Schema schema) {
    this.schema = new Schema(schema.getFields());
  }

  /** Adds every row of {@code batch}. */
  public void add(VectorSchemaRoot batch, DictionaryProvider dictionaries) {
    int n = batch.getRowCount();
    if (laneA.length < n) {
      laneA = new long[n];
      laneB = new long[n];
    }
    java.util.Arrays.fill(laneA, 0, n, SEED_A);
    java.util.Arrays.fill(laneB, 0, n, SEED_B);
    List<FieldVector> vectors = batch.getFieldVectors();
    for (FieldVector v : vectors) {
      mixColumn(v, dictionaries, n);
    }
    for (int i = 0; i < n; i++) {
      sumA += finish(laneA[i]);
      sumB += finish(laneB[i]);
    }
    rows += n;
  }

  private void mixColumn(FieldVector v, DictionaryProvider dictionaries, int n) {
    Field field = v.getField();
    if (field.getDictionary() != null) {
      Dictionary dictionary =
          dictionaries == null ? null : dictionaries.lookup(field.getDictionary().getId());
      if (dictionary == null) {
        throw new IllegalArgumentException(
            "column '" + field.getName() + "' is dictionary-encoded but its dictionary is missing");
      }
      BaseIntVector indices = (BaseIntVector) v;
      FieldVector values = dictionary.getVector();
      for (int i = 0; i < n; i++) {
        if (v.isNull(i)) {
          mix(i, NULL_TAG);
        } else {
          mix(i, valueHash(values, (int) indices.getValueAsLong(i)));
        }
      }
      return;
    }
    if (v.getNullCount() == 0 && mixFixedWidth(v, n)) {
      return;
    }
    if (v instanceof FloatingPointVector f) {
      for (int i = 0; i < n; i++) {
        mix(i, v.isNull(i) ? NULL_TAG : Double.doubleToLongBits(f.getValueAsDouble(i)));
      }
    } else if (v instanceof BaseIntVector b) {
      for (int i = 0; i < n; i++) {
        mix(i, v.isNull(i) ? NULL_TAG : b.getValueAsLong(i));
      }
    } else {
      for (int i = 0; i < n; i++) {
        mix(i, v.isNull(i) ? NULL_TAG : valueHash(v, i));
      }
    }
  }

  /**
   * Fast path for common fixed-width columns without nulls: reads the data buffer through a
   * ByteBuffer view, avoiding ArrowBuf's per-call checks. Same values as the generic path.
   */
  private boolean mixFixedWidth(FieldVector v, int n) {
    if (n == 0) {
      return true;
    }
    java.nio.ByteBuffer data = ArrowBuffers.view(v.getDataBuffer());
    if (v instanceof Float4Vector) {
      for (int i = 0; i < n; i++) {
        mix(i, Double.doubleToLongBits(data.getFloat(i << 2)));
      }
    } else if (v instanceof Float8Vector) {
      for (int i = 0; i < n; i++) {
        mix(i, Double.doubleToLongBits(data.getDouble(i << 3)));
      }
    } else if (v instanceof IntVector) {
      for (int i = 0; i < n; i++) {
        mix(i, data.getInt(i << 2));
      }
    } else if (v instanceof BigIntVector) {
      for (int i = 0; i < n; i++) {
        mix(i, data.getLong(i << 3));
      }
    } else {
      return false;
    }
    return true;
  }

  private static long valueHash(FieldVector v, int i) {
    if (v.isNull(i)) {
      return NULL_TAG;
    }
    if (v instanceof VarCharVector s) {
      return bytesHash(s.get(i));
    }
    if (v instanceof VarBinaryVector b) {
      return bytesHash(b.get(i));
    }
    if (v instanceof BitVector bit) {
      return bit.get(i) == 0 ? 0x1L : 0x2L;
    }
    if (v instanceof FloatingPointVector f) {
      return Double.doubleToLongBits(f.getValueAsDouble(i));
    }
    if (v instanceof BaseIntVector b) {
      return b.getValueAsLong(i);
    }
    Object o = v.getObject(i);
    return bytesHash(String.valueOf(o).getBytes(StandardCharsets.UTF_8));
  }

  private static long bytesHash(byte[] bytes) {
    long h = 0xCBF29CE484222325L ^ bytes.length;
    for (byte b : bytes) {
      h = (h ^ (b & 0xff)) * 0x100000001B3L;
    }
    return h;
  }

  private void mix(int row, long value) {
    laneA[row] = (Long.rotateLeft(laneA[row], 23) ^ value) * 0x9E3779B97F4A7C15L;
    laneB[row] = (Long.rotateLeft(laneB[row], 31) ^ value) * 0xC2B2AE3D27D4EB4FL;
  }

  private static long finish(long h) {
    h ^= h >>> 33;
    h *= 0xFF51AFD7ED558CCDL;
    h ^= h >>> 33;
    h *= 0xC4CEB9FE1A85EC53L;
    return h ^ (h >>> 33);
  }

  public long rows() {
    return rows;
  }

  /** Merges another hasher's rows into this one (for readers working in parallel). */
  public void merge(RowHasher other) {
    rows += other.rows;
    sumA += other.sumA;
    sumB += other.sumB;
  }

  /** The hex content hash of the rows added so far. */
  public String hex() {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (Field f : schema.getFields()) {
        sha.update(f.getName().getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
        sha.update(f.getType().toString().getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
      }
      java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(24);
      b.putLong(rows).putLong(sumA).putLong(sumB);
      sha.update(b.array());
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
