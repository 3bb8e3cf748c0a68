package io.streamforge.training.quant;

import java.util.Locale;

/** How the activation range of a static int8 variant is chosen from calibration values. */
public enum CalibrationMethod {
  /** The smallest and largest value seen. */
  MINMAX,
  /** The 0.01th and 99.99th percentiles: a few outliers do not stretch the grid. */
  PERCENTILE,
  /**
   * The clipping threshold whose quantized histogram is closest (Kullback-Leibler divergence) to
   * the observed one, as in TensorRT's entropy calibration.
   */
  ENTROPY;

  /** Lower-case name, as jobs and the command line write it. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * @throws IllegalArgumentException naming the methods there are
   */
  public static CalibrationMethod parse(String name) {
    for (CalibrationMethod m : values()) {
      if (m.id().equalsIgnoreCase(name == null ? "" : name.trim())) {
        return m;
      }
    }
    throw new IllegalArgumentException(
        "unknown calibration '" + name + "'; calibrations: minmax, percentile, entropy");
  }
}
