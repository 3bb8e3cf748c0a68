package io.streamforge.schemas.records;

import io.streamforge.schemas.arrow.ArrowRecord;
import java.time.Instant;

/**
 * How a model is served, on {@code deployments} (compacted, keyed by model name).
 *
 * <p>Schema 1.1 added {@code stableVariant} and {@code canaryVariant} (nullable): 1.0 values read
 * them as null, that is, the base variant, which is what a 1.0 deployment meant.
 *
 * @param model model name
 * @param stableVersion the version that takes the traffic the canary does not
 * @param canaryVersion the canary, or null
 * @param canaryWeight share of traffic for the canary, 0 to 100 (fractions allowed)
 * @param mode how the canary is used
 * @param stickyHeader request header whose value pins a caller to one version, or null
 * @param decision what was decided, e.g. {@code promote}, {@code rollback}, {@code set-weight}
 * @param reason why, with the numbers that led to it
 * @param time when
 * @param stableVariant the variant of the stable version ({@code int8-weight}, {@code ternary},
 *     ...), or null for the base variant ({@code fp32}, or the edge's {@code --variant})
 * @param canaryVariant the variant of the canary version, or null for the base variant
 */
@ArrowRecord(name = "deployment", version = "1.1")
public record Deployment(
    String model,
    Integer stableVersion,
    Integer canaryVersion,
    double canaryWeight,
    Mode mode,
    String stickyHeader,
    String decision,
    String reason,
    Instant time,
    String stableVariant,
    String canaryVariant) {

  /** A deployment of base variants (the 1.0 shape). */
  public Deployment(
      String model,
      Integer stableVersion,
      Integer canaryVersion,
      double canaryWeight,
      Mode mode,
      String stickyHeader,
      String decision,
      String reason,
      Instant time) {
    this(
        model,
        stableVersion,
        canaryVersion,
        canaryWeight,
        mode,
        stickyHeader,
        decision,
        reason,
        time,
        null,
        null);
  }

  /** Canary modes. */
  public enum Mode {
    /** The canary answers its share of requests. */
    SPLIT,
    /** The canary gets a copy of requests; its answers are discarded. */
    SHADOW
  }
}
