package io.streamforge.training.quant;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Which variants may be published: the accuracy drop against the fp32 model within {@code
 * maxAccuracyDrop} points and, when given, the artifact within {@code maxModelBytes} and the
 * batch-1 latency (what one request costs on an edge without batching) within {@code maxLatencyMs}.
 *
 * @param maxAccuracyDrop largest accepted drop in points (classification: accuracy points;
 *     regression: percent of the fp32 RMSE)
 * @param maxModelBytes largest accepted artifact, or null for no limit
 * @param maxLatencyMs largest accepted median batch-1 latency, or null for no limit
 */
public record AcceptancePolicy(double maxAccuracyDrop, Long maxModelBytes, Double maxLatencyMs) {
  /** Default accepted drop: 1 point. */
  public static final double DEFAULT_MAX_ACCURACY_DROP = 1.0;

  private static final double EPSILON = 1e-9;

  public AcceptancePolicy {
    if (!(maxAccuracyDrop >= 0) || Double.isInfinite(maxAccuracyDrop)) {
      throw new IllegalArgumentException(
          "max accuracy drop must be 0 or more points, was " + maxAccuracyDrop);
    }
    if (maxModelBytes != null && maxModelBytes < 1) {
      throw new IllegalArgumentException("max model bytes must be positive, was " + maxModelBytes);
    }
    if (maxLatencyMs != null && !(maxLatencyMs > 0)) {
      throw new IllegalArgumentException("max latency must be positive ms, was " + maxLatencyMs);
    }
  }

  /** The defaults: 1 point, no size or latency budget. */
  public static AcceptancePolicy defaults() {
    return new AcceptancePolicy(DEFAULT_MAX_ACCURACY_DROP, null, null);
  }

  /**
   * The verdict on one variant.
   *
   * @param reason why it was rejected (every broken constraint), or what it met
   */
  public record Decision(boolean accepted, String reason) {}

  /**
   * @param accuracyDelta the variant's metric minus the fp32 model's, in points (negative: worse)
   * @param bytes the artifact's size
   * @param latencyB1Ms the median batch-1 latency
   */
  public Decision decide(double accuracyDelta, long bytes, double latencyB1Ms) {
    List<String> broken = new ArrayList<>();
    double drop = -accuracyDelta;
    if (!Double.isFinite(accuracyDelta) || drop > maxAccuracyDrop + EPSILON) {
      broken.add(
          String.format(Locale.ROOT, "accuracy drop %.2f points > %.2f", drop, maxAccuracyDrop));
    }
    if (maxModelBytes != null && bytes > maxModelBytes) {
      broken.add(bytes + " bytes > " + maxModelBytes);
    }
    if (maxLatencyMs != null && latencyB1Ms > maxLatencyMs) {
      broken.add(
          String.format(
              Locale.ROOT, "batch-1 latency %.3f ms > %.3f ms", latencyB1Ms, maxLatencyMs));
    }
    if (!broken.isEmpty()) {
      return new Decision(false, String.join("; ", broken));
    }
    StringBuilder met =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "accuracy drop %.2f <= %.2f points",
                Math.max(0, drop),
                maxAccuracyDrop));
    if (maxModelBytes != null) {
      met.append("; ").append(bytes).append(" <= ").append(maxModelBytes).append(" bytes");
    }
    if (maxLatencyMs != null) {
      met.append(String.format(Locale.ROOT, "; %.3f <= %.3f ms", latencyB1Ms, maxLatencyMs));
    }
    return new Decision(true, met.toString());
  }
}
