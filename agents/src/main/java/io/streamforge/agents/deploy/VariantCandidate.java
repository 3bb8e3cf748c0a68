package io.streamforge.agents.deploy;

import java.util.Objects;

/**
 * One registered model variant that could be deployed.
 *
 * @param version model version
 * @param variant {@code fp32}, {@code int8-weight}, {@code ternary}...
 * @param quality validation quality, higher is better: accuracy, or minus the RMSE
 * @param bytes artifact size
 * @param latencyMs latency of one row (batch 1) in milliseconds, NaN when not measured
 */
public record VariantCandidate(
    int version, String variant, double quality, long bytes, double latencyMs) {

  /** The full-precision variant, preferred on ties. */
  public static final String FP32 = "fp32";

  public VariantCandidate {
    Objects.requireNonNull(variant, "variant");
  }

  /** {@code version:variant}, the key of rejections. */
  public String key() {
    return version + ":" + variant;
  }
}
