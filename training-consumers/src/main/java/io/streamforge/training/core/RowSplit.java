package io.streamforge.training.core;

/**
 * The deterministic train/validation split: a row goes to validation when the hash of its content
 * (every feature value and the label) falls below the validation fraction. The split depends on the
 * row alone, not on its position, partition or batch, so every reader and every epoch agrees, and
 * duplicate rows never straddle the split.
 */
public final class RowSplit {
  private final double offset;
  private final double fraction;

  /** The holdout {@code [0, fraction)} of the hash range. */
  public RowSplit(double fraction) {
    this(0, fraction);
  }

  /**
   * The window {@code [offset, offset + fraction)} of the hash range: fold {@code i} of {@code k}
   * is {@code new RowSplit(i / k, 1 / k)}, so the k folds' validation rows are disjoint and cover
   * every row.
   */
  public RowSplit(double offset, double fraction) {
    if (!(fraction >= 0 && fraction < 1)) {
      throw new IllegalArgumentException("validation fraction must be in [0, 1), was " + fraction);
    }
    if (!(offset >= 0 && offset + fraction <= 1 + 1e-9)) {
      throw new IllegalArgumentException(
          "validation offset must be in [0, 1 - fraction], was "
              + offset
              + " (fraction "
              + fraction
              + ")");
    }
    this.offset = offset;
    this.fraction = fraction;
  }

  /** Whether row {@code row} of a batch (features row-major in {@code x}) is a validation row. */
  public boolean isValidation(float[] x, int features, int row, float label) {
    double u = unit(hash(x, features, row, label));
    return u >= offset && u < offset + fraction;
  }

  /**
   * The training rows (not validation) of a batch of {@code y.length} rows, in an order shuffled by
   * {@code rng}.
   */
  public int[] shuffledTrainingRows(float[] x, float[] y, int features, java.util.Random rng) {
    int[] rows = new int[y.length];
    int n = 0;
    for (int r = 0; r < y.length; r++) {
      if (!isValidation(x, features, r, y[r])) {
        rows[n++] = r;
      }
    }
    for (int i = n - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = rows[i];
      rows[i] = rows[j];
      rows[j] = t;
    }
    return java.util.Arrays.copyOf(rows, n);
  }

  static long hash(float[] x, int features, int row, float label) {
    long h = 0x5F0F_5EED_0000_0001L;
    int off = row * features;
    for (int j = 0; j < features; j++) {
      h = mix(h ^ Float.floatToIntBits(normalize(x[off + j])));
    }
    return mix(h ^ ((long) Float.floatToIntBits(normalize(label)) << 32));
  }

  private static float normalize(float v) {
    return v == 0f ? 0f : v; // -0.0 and 0.0 are the same value
  }

  static double unit(long h) {
    return (h >>> 11) * 0x1.0p-53;
  }

  /** SplitMix64 finalizer. */
  private static long mix(long z) {
    z += 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
