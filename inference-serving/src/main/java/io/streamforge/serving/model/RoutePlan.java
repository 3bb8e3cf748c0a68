package io.streamforge.serving.model;

import java.util.Objects;
import java.util.Set;

/**
 * How one model's traffic is split: a stable version, and optionally a canary with a weight. Each
 * names a version and a variant ({@code fp32}, {@code int8-static}, ...): the stable and the canary
 * may be two variants of one version, e.g. the fp32 model with its int8 variant as the canary.
 *
 * @param stable the version that answers whatever the canary does not
 * @param canary the canary version, or null
 * @param canaryWeight percent of requests (0 to 100, fractions allowed) that go to the canary; in
 *     shadow mode, the percent of requests of which the canary gets a copy
 * @param shadow whether the canary only gets copies whose answers are discarded
 * @param stickyHeader request header whose value pins a caller to one version, or null
 * @param stableVariant the stable version's variant, or null for the repository's base variant
 * @param canaryVariant the canary's variant, or null for the base variant
 */
public record RoutePlan(
    int stable,
    Integer canary,
    double canaryWeight,
    boolean shadow,
    String stickyHeader,
    String stableVariant,
    String canaryVariant) {
  public RoutePlan {
    if (!(canaryWeight >= 0 && canaryWeight <= 100)) {
      throw new IllegalArgumentException("canary weight must be within 0..100: " + canaryWeight);
    }
    if (canary == null) {
      canaryVariant = null;
    } else if (canary == stable && Objects.equals(canaryVariant, stableVariant)) {
      canary = null;
      canaryVariant = null;
    }
  }

  /** A plan of base variants. */
  public RoutePlan(
      int stable, Integer canary, double canaryWeight, boolean shadow, String stickyHeader) {
    this(stable, canary, canaryWeight, shadow, stickyHeader, null, null);
  }

  /** All traffic to one version (its base variant). */
  public static RoutePlan only(int version) {
    return new RoutePlan(version, null, 0, false, null);
  }

  /** All traffic to one version and variant. */
  public static RoutePlan only(int version, String variant) {
    return new RoutePlan(version, null, 0, false, null, variant, null);
  }

  /** This plan with the base variant written out where it names none. */
  public RoutePlan withBase(String base) {
    return new RoutePlan(
        stable,
        canary,
        canaryWeight,
        shadow,
        stickyHeader,
        stableVariant == null ? base : stableVariant,
        canary == null ? null : canaryVariant == null ? base : canaryVariant);
  }

  /** The stable model version and variant. */
  public ModelId stableId(String model, String base) {
    return new ModelId(model, stable, stableVariant == null ? base : stableVariant);
  }

  /** The canary's, or null. */
  public ModelId canaryId(String model, String base) {
    return canary == null
        ? null
        : new ModelId(model, canary, canaryVariant == null ? base : canaryVariant);
  }

  /** What this plan sends traffic to. */
  public Set<ModelId> ids(String model, String base) {
    return canary == null
        ? Set.of(stableId(model, base))
        : Set.of(stableId(model, base), canaryId(model, base));
  }

  /** Whether a request with this sticky key (null when none) goes to the canary. */
  public boolean toCanary(String stickyKey, double uniform) {
    if (canary == null || canaryWeight <= 0) {
      return false;
    }
    double point = stickyKey == null ? uniform * 100 : bucket(stickyKey);
    return point < canaryWeight;
  }

  /**
   * A key's fixed point in [0, 100): the same key always lands on the same point, so with a given
   * weight it always gets the same version, and raising the weight only moves keys to the canary.
   */
  static double bucket(String key) {
    long h = 1125899906842597L;
    for (int i = 0; i < key.length(); i++) {
      h = 31 * h + key.charAt(i);
    }
    // SplitMix64 finalizer spreads similar keys over the whole range.
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return (double) Long.remainderUnsigned(h, 1_000_000L) / 10_000.0;
  }

  @Override
  public String toString() {
    return stable
        + (stableVariant == null ? "" : ":" + stableVariant)
        + (canary == null
            ? ""
            : (shadow ? " shadowed by " : " + canary ")
                + canary
                + (canaryVariant == null ? "" : ":" + canaryVariant)
                + " at "
                + canaryWeight
                + "%")
        + (stickyHeader == null ? "" : " sticky by " + stickyHeader);
  }
}
