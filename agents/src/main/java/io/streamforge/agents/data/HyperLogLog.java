package io.streamforge.agents.data;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Base64;

/**
 * A dense HyperLogLog sketch of 2<sup>12</sup> six-bit registers (standard error about 1.6 %) for
 * counting the distinct values of a column across every batch of a dataset without keeping the
 * values. Sketches of different batches {@link #merge} into the sketch of their union, so the
 * statistics of a dataset version fold batch by batch in any order.
 *
 * <p>The estimate is Ertl's improved raw estimator ("New cardinality estimation algorithms for
 * HyperLogLog sketches", 2017): its σ term is the small-range correction (it becomes linear
 * counting over the empty registers when most are empty) and its τ term the large-range one, so the
 * estimate has no bias jump between ranges and needs no empirical bias tables.
 *
 * <p>A sketch is mutable while one batch is scanned ({@link #addHash}); once it is part of a {@link
 * ColumnStats} nothing mutates it, and {@link #merge} returns a new sketch. In JSON it is one
 * base64 string (see {@link #toBase64}): sparse (three bytes per used register) while fewer than a
 * quarter of the registers are used, which keeps low-cardinality columns small in state stores,
 * else the registers packed six bits each (3 KiB).
 */
public final class HyperLogLog {
  /** log2 of the number of registers. */
  public static final int PRECISION = 12;

  private static final int M = 1 << PRECISION;
  private static final int Q = 64 - PRECISION;
  private static final double ALPHA_INF = 0.5 / Math.log(2);
  private static final byte DENSE = 'D';
  private static final byte SPARSE = 'S';

  private final byte[] registers;

  /** An empty sketch. */
  public HyperLogLog() {
    this(new byte[M]);
  }

  private HyperLogLog(byte[] registers) {
    this.registers = registers;
  }

  /** Counts a value given by its 64-bit hash ({@link #hash(String)}, {@link #hash(double)}...). */
  public void addHash(long hash) {
    int index = (int) (hash >>> Q);
    int rho = Long.numberOfLeadingZeros((hash << PRECISION) | (1L << (PRECISION - 1))) + 1;
    if (rho > registers[index]) {
      registers[index] = (byte) rho;
    }
  }

  /** Counts a string. */
  public void add(String value) {
    addHash(hash(value));
  }

  /** Counts a number. */
  public void add(double value) {
    addHash(hash(value));
  }

  /** The sketch of the union of this sketch's values and {@code other}'s; neither changes. */
  public HyperLogLog merge(HyperLogLog other) {
    byte[] out = registers.clone();
    for (int i = 0; i < M; i++) {
      if (other.registers[i] > out[i]) {
        out[i] = other.registers[i];
      }
    }
    return new HyperLogLog(out);
  }

  /** An independent copy. */
  public HyperLogLog copy() {
    return new HyperLogLog(registers.clone());
  }

  /** Whether nothing was counted. */
  public boolean isEmpty() {
    for (byte r : registers) {
      if (r != 0) {
        return false;
      }
    }
    return true;
  }

  /** The estimated number of distinct values counted. */
  public long estimate() {
    int[] c = new int[Q + 2];
    for (byte r : registers) {
      c[r]++;
    }
    if (c[0] == M) {
      return 0;
    }
    double z = M * tau(1.0 - (double) c[Q + 1] / M);
    for (int k = Q; k >= 1; k--) {
      z = 0.5 * (z + c[k]);
    }
    z += M * sigma((double) c[0] / M);
    return Math.round(ALPHA_INF * M * (double) M / z);
  }

  private static double sigma(double x) {
    if (x == 1) {
      return Double.POSITIVE_INFINITY;
    }
    double y = 1;
    double z = x;
    double previous;
    do {
      x *= x;
      previous = z;
      z += x * y;
      y += y;
    } while (z != previous);
    return z;
  }

  private static double tau(double x) {
    if (x == 0 || x == 1) {
      return 0;
    }
    double y = 1;
    double z = 1 - x;
    double previous;
    do {
      x = Math.sqrt(x);
      previous = z;
      y *= 0.5;
      z -= (1 - x) * (1 - x) * y;
    } while (z != previous);
    return z / 3;
  }

  /** The sketch as base64: a format byte, then the used registers or all of them packed. */
  @JsonValue
  public String toBase64() {
    int used = 0;
    for (byte r : registers) {
      if (r != 0) {
        used++;
      }
    }
    byte[] out;
    if (used < M / 4) {
      out = new byte[1 + 3 * used];
      out[0] = SPARSE;
      int o = 1;
      for (int i = 0; i < M; i++) {
        if (registers[i] != 0) {
          int v = (i << 6) | registers[i];
          out[o++] = (byte) (v >>> 16);
          out[o++] = (byte) (v >>> 8);
          out[o++] = (byte) v;
        }
      }
    } else {
      out = new byte[1 + M / 4 * 3];
      out[0] = DENSE;
      for (int i = 0, o = 1; i < M; i += 4, o += 3) {
        int v =
            (registers[i] << 18)
                | (registers[i + 1] << 12)
                | (registers[i + 2] << 6)
                | registers[i + 3];
        out[o] = (byte) (v >>> 16);
        out[o + 1] = (byte) (v >>> 8);
        out[o + 2] = (byte) v;
      }
    }
    return Base64.getEncoder().encodeToString(out);
  }

  /**
   * The sketch {@link #toBase64} wrote.
   *
   * @throws IllegalArgumentException when the text is not such a sketch
   */
  @JsonCreator
  public static HyperLogLog fromBase64(String text) {
    byte[] in;
    try {
      in = Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not a HyperLogLog sketch: " + e.getMessage(), e);
    }
    byte[] r = new byte[M];
    if (in.length == 1 + M / 4 * 3 && in[0] == DENSE) {
      for (int i = 0, o = 1; i < M; i += 4, o += 3) {
        int v = ((in[o] & 0xFF) << 16) | ((in[o + 1] & 0xFF) << 8) | (in[o + 2] & 0xFF);
        r[i] = (byte) ((v >>> 18) & 63);
        r[i + 1] = (byte) ((v >>> 12) & 63);
        r[i + 2] = (byte) ((v >>> 6) & 63);
        r[i + 3] = (byte) (v & 63);
      }
    } else if (in.length >= 1 && in[0] == SPARSE && (in.length - 1) % 3 == 0) {
      for (int o = 1; o < in.length; o += 3) {
        int v = ((in[o] & 0xFF) << 16) | ((in[o + 1] & 0xFF) << 8) | (in[o + 2] & 0xFF);
        r[(v >>> 6) & (M - 1)] = (byte) (v & 63);
      }
    } else {
      throw new IllegalArgumentException(
          "not a HyperLogLog sketch of precision " + PRECISION + " (" + in.length + " bytes)");
    }
    for (byte b : r) {
      if (b > Q + 1) {
        throw new IllegalArgumentException("HyperLogLog register value " + b + " out of range");
      }
    }
    return new HyperLogLog(r);
  }

  /** The 64-bit hash of a string's UTF-16 code units (the same string always hashes alike). */
  public static long hash(String s) {
    long h = 0x243F_6A88_85A3_08D3L ^ s.length();
    int i = 0;
    int n = s.length();
    for (; i + 4 <= n; i += 4) {
      long k =
          s.charAt(i)
              | ((long) s.charAt(i + 1) << 16)
              | ((long) s.charAt(i + 2) << 32)
              | ((long) s.charAt(i + 3) << 48);
      h = round(h, k);
    }
    long k = 0;
    for (int shift = 0; i < n; i++, shift += 16) {
      k |= (long) s.charAt(i) << shift;
    }
    return fmix(round(h, k));
  }

  /** The 64-bit hash of a number; 0.0 and -0.0 hash alike, and every NaN alike. */
  public static long hash(double v) {
    long bits = v == 0 ? 0L : Double.doubleToLongBits(v);
    return fmix(bits + 0x9E37_79B9_7F4A_7C15L);
  }

  /** One MurmurHash3-style round. */
  private static long round(long h, long k) {
    k *= 0x87C3_7B91_1142_53D5L;
    k = Long.rotateLeft(k, 31);
    k *= 0x4CF5_AD43_2745_937FL;
    h ^= k;
    return Long.rotateLeft(h, 27) * 5 + 0x52DC_E729L;
  }

  /** MurmurHash3's 64-bit finalizer: every input bit flips about half the output bits. */
  private static long fmix(long k) {
    k ^= k >>> 33;
    k *= 0xFF51_AFD7_ED55_8CCDL;
    k ^= k >>> 33;
    k *= 0xC4CE_B9FE_1A85_EC53L;
    k ^= k >>> 33;
    return k;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HyperLogLog h && Arrays.equals(registers, h.registers);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(registers);
  }

  @Override
  public String toString() {
    return "HyperLogLog[~" + estimate() + "]";
  }
}
