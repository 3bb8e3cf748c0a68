package io.streamforge.training.quant;

import java.util.Arrays;

/** Activation ranges from calibration values, and their uint8 affine quantization parameters. */
public final class Calibrator {
  /** Percentile of the {@link CalibrationMethod#PERCENTILE} method (and its mirror below). */
  public static final double PERCENTILE = 99.99;

  static final int HISTOGRAM_BINS = 2048;

  private Calibrator() {}

  /**
   * A value range.
   *
   * @param min lowest value to represent
   * @param max highest value to represent
   */
  public record Range(float min, float max) {
    /**
     * The uint8 scale and zero point that cover this range widened to include 0 (so that 0, the
     * padding and ReLU value, is exact).
     */
    public Affine uint8() {
      double lo = Math.min(0, min);
      double hi = Math.max(0, max);
      if (hi - lo < 1e-12) {
        hi = lo + 1e-6;
      }
      double scale = (hi - lo) / 255.0;
      int zero = (int) Math.max(0, Math.min(255, Math.rint(-lo / scale)));
      return new Affine((float) scale, zero);
    }
  }

  /**
   * {@code real = (q - zeroPoint) * scale}.
   *
   * @param zeroPoint in [0, 255]
   */
  public record Affine(float scale, int zeroPoint) {}

  /** The range {@code method} picks for {@code values} (at least one value). */
  public static Range range(float[] values, CalibrationMethod method) {
    if (values.length == 0) {
      throw new IllegalArgumentException("no calibration values");
    }
    return switch (method) {
      case MINMAX -> minMax(values);
      case PERCENTILE -> percentile(values, PERCENTILE);
      case ENTROPY -> entropy(values);
    };
  }

  static Range minMax(float[] values) {
    float lo = Float.POSITIVE_INFINITY;
    float hi = Float.NEGATIVE_INFINITY;
    for (float v : values) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    return new Range(lo, hi);
  }

  static Range percentile(float[] values, double p) {
    float[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    int hi = (int) Math.min(n - 1, Math.ceil(p / 100.0 * n) - 1);
    int lo = (int) Math.max(0, Math.floor((100.0 - p) / 100.0 * n));
    return new Range(sorted[Math.min(lo, hi)], sorted[Math.max(lo, hi)]);
  }

  /**
   * Entropy calibration: a histogram of |x| over [0, max |x|] in {@value #HISTOGRAM_BINS} bins; for
   * each candidate threshold (bin edge) the clipped histogram P (outliers folded into the last bin)
   * is compared with Q, P merged into as many levels as the quantized grid has on that side (255
   * for non-negative data, which uint8 covers from 0; 128 otherwise), spread back over the
   * non-empty bins. The threshold with the smallest KL(P‖Q) wins; the range is [0, T] for
   * non-negative data, else [−T, T].
   */
  static Range entropy(float[] values) {
    float maxAbs = 0;
    boolean negative = false;
    for (float v : values) {
      maxAbs = Math.max(maxAbs, Math.abs(v));
      negative |= v < 0;
    }
    if (maxAbs == 0) {
      return new Range(0, 0);
    }
    int levels = negative ? 128 : 255;
    double width = maxAbs / HISTOGRAM_BINS;
    double[] hist = new double[HISTOGRAM_BINS];
    for (float v : values) {
      hist[(int) Math.min(HISTOGRAM_BINS - 1, Math.abs(v) / width)]++;
    }
    int best = HISTOGRAM_BINS;
    double bestKl = Double.POSITIVE_INFINITY;
    for (int i = levels; i <= HISTOGRAM_BINS; i++) {
      double[] p = Arrays.copyOf(hist, i);
      for (int k = i; k < HISTOGRAM_BINS; k++) {
        p[i - 1] += hist[k];
      }
      double[] q = new double[i];
      double per = (double) i / levels;
      for (int l = 0; l < levels; l++) {
        int start = (int) Math.floor(l * per);
        int end = l == levels - 1 ? i : (int) Math.floor((l + 1) * per);
        double sum = 0;
        int nonEmpty = 0;
        for (int k = start; k < end; k++) {
          sum += hist[k];
          if (hist[k] > 0) {
            nonEmpty++;
          }
        }
        for (int k = start; k < end; k++) {
          if (hist[k] > 0) {
            q[k] = sum / nonEmpty;
          }
        }
      }
      double kl = kl(p, q);
      if (kl < bestKl) {
        bestKl = kl;
        best = i;
      }
    }
    float t = (float) (best * width);
    return new Range(negative ? -t : 0, t);
  }

  private static double kl(double[] p, double[] q) {
    double ps = 0;
    double qs = 0;
    for (int k = 0; k < p.length; k++) {
      ps += p[k];
      qs += q[k];
    }
    if (ps == 0 || qs == 0) {
      return Double.POSITIVE_INFINITY;
    }
    double kl = 0;
    for (int k = 0; k < p.length; k++) {
      if (p[k] > 0) {
        double pk = p[k] / ps;
        double qk = q[k] / qs;
        kl += qk > 0 ? pk * Math.log(pk / qk) : pk * Math.log(pk / 1e-12);
      }
    }
    return kl;
  }
}
