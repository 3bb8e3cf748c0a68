package io.streamforge.agents.convert;

import java.util.Map;

/**
 * Judges a registered model's ONNX conversion by the parity figure the trainer wrote: the largest
 * absolute difference between the trained network's and the ONNX model's outputs on the validation
 * rows ({@code parity_max_abs_diff} in the model's metrics). A model without the figure fails: an
 * unchecked conversion is not deployed.
 */
public final class ConversionCheck {
  /** The metric the training consumers' parity check writes. */
  public static final String METRIC = "parity_max_abs_diff";

  /** Default tolerance on the largest output difference. */
  public static final double DEFAULT_TOLERANCE = 1e-4;

  private ConversionCheck() {}

  /** {@link #judge(Map, double)} with {@link #DEFAULT_TOLERANCE}. */
  public static ConversionVerdict judge(Map<String, Double> metrics) {
    return judge(metrics, DEFAULT_TOLERANCE);
  }

  /**
   * Passes when {@code parity_max_abs_diff} is present and at most {@code tolerance}.
   *
   * @param metrics the model's metrics, possibly null
   */
  public static ConversionVerdict judge(Map<String, Double> metrics, double tolerance) {
    if (!(tolerance >= 0)) {
      throw new IllegalArgumentException("tolerance must be >= 0, was " + tolerance);
    }
    Double diff = metrics == null ? null : metrics.get(METRIC);
    if (diff == null) {
      return new ConversionVerdict(
          false,
          "no "
              + METRIC
              + " in the model's metrics"
              + (metrics == null || metrics.isEmpty() ? "" : " " + metrics.keySet())
              + ": the ONNX conversion was not checked");
    }
    if (diff.isNaN()) {
      return new ConversionVerdict(false, METRIC + " is NaN: the parity check did not complete");
    }
    if (diff > tolerance) {
      return new ConversionVerdict(
          false, METRIC + " " + diff + " is above the tolerance " + tolerance);
    }
    return new ConversionVerdict(
        true, METRIC + " " + diff + " is within the tolerance " + tolerance);
  }
}
