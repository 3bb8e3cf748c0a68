package io.streamforge.training.quant;

/**
 * Weight quantization arithmetic on plain arrays. Weights are row-major {@code [rows, cols]} with
 * one row per output unit (the layout of the exporter's {@code Gemm} weights with {@code
 * transB=1}), and every scale is per row, that is per output channel: one outlier row does not
 * coarsen the grid of the others, and {@code DequantizeLinear} with {@code axis=0} applies it.
 * Rounding is half to even, as in PyTorch, so the fine-tuning (which rounds in the engine) and the
 * export agree.
 */
public final class WeightQuantization {
  /** Largest int8 magnitude used: symmetric, so −128 is left out and the zero point is 0. */
  public static final int INT8_MAX = 127;

  private WeightQuantization() {}

  /**
   * Quantized weights: {@code values[r * cols + c] * scales[r]} approximates the weight.
   *
   * @param values quantized values, row-major
   * @param scales one scale per row
   */
  public record Quantized(byte[] values, float[] scales, int rows, int cols) {
    /** The weight the quantized value stands for. */
    public float dequantized(int r, int c) {
      return values[r * cols + c] * scales[r];
    }

    /** Every dequantized weight, row-major. */
    public float[] dequantized() {
      float[] out = new float[values.length];
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
          out[r * cols + c] = dequantized(r, c);
        }
      }
      return out;
    }

    /** The values transposed to {@code [cols, rows]} (for {@code MatMulInteger}'s B). */
    public byte[] transposedValues() {
      byte[] out = new byte[values.length];
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
          out[c * rows + r] = values[r * cols + c];
        }
      }
      return out;
    }
  }

  /** Symmetric int8 per output channel: scale = max |w| / 127, q = round(w / scale). */
  public static Quantized int8PerChannel(float[] w, int rows, int cols) {
    check(w, rows, cols);
    byte[] q = new byte[w.length];
    float[] scales = new float[rows];
    for (int r = 0; r < rows; r++) {
      float max = 0;
      for (int c = 0; c < cols; c++) {
        max = Math.max(max, Math.abs(w[r * cols + c]));
      }
      float scale = max > 0 ? max / INT8_MAX : 1f;
      scales[r] = scale;
      for (int c = 0; c < cols; c++) {
        double v = Math.rint(w[r * cols + c] / scale);
        q[r * cols + c] = (byte) Math.max(-INT8_MAX, Math.min(INT8_MAX, v));
      }
    }
    return new Quantized(q, scales, rows, cols);
  }

  /**
   * BitNet b1.58 ternary weights per output channel: scale = mean |w| of the row, q = round(clip(w
   * / scale, −1, 1)) ∈ {−1, 0, 1}. A row of zeros gets scale 1 and zeros.
   */
  public static Quantized ternaryPerChannel(float[] w, int rows, int cols) {
    check(w, rows, cols);
    byte[] q = new byte[w.length];
    float[] scales = new float[rows];
    for (int r = 0; r < rows; r++) {
      double sum = 0;
      for (int c = 0; c < cols; c++) {
        sum += Math.abs(w[r * cols + c]);
      }
      float scale = sum > 0 ? (float) (sum / cols) : 1f;
      scales[r] = scale;
      for (int c = 0; c < cols; c++) {
        double v = w[r * cols + c] / scale;
        q[r * cols + c] = (byte) Math.rint(Math.max(-1, Math.min(1, v)));
      }
    }
    return new Quantized(q, scales, rows, cols);
  }

  private static void check(float[] w, int rows, int cols) {
    if (rows < 1 || cols < 1 || (long) rows * cols != w.length) {
      throw new IllegalArgumentException(
          "weights of " + w.length + " values are not a " + rows + " x " + cols + " matrix");
    }
    for (int i = 0; i < w.length; i++) {
      if (!Float.isFinite(w[i])) {
        throw new IllegalArgumentException("weight " + i + " is " + w[i] + ": not quantizable");
      }
    }
  }
}
