package io.streamforge.serving.model;

import java.util.Objects;

/**
 * How one model's traffic is split: a stable version, and optionally a canary with a weight.
 *
 * @param stable the version that answers whatever the canary does not
 * @param canary the canary version, or null
 * @param canaryWeight percent of requests (0 to 100, fractions allowed) that go to the canary; in
 *     shadow mode, the percent of requests of which the canary gets a copy
 * @param shadow whether the canary only gets copies whose answers are discarded
 * @param stickyHeader request header whose value pins a caller to one version, or null
 */
public record RoutePlan(
    int stable, Integer canary, double canaryWeight, boolean shadow, String stickyHeader) {
  public RoutePlan {
    if (!(canaryWeight >= 0 && canaryWeight <= 100)) {
      throw new IllegalArgumentException("canary weight must be within 0..100: " + canaryWeight);
    }
    if (canary != null && canary == stable) {
      canary = null;
    }
  }

  /** All traffic to one version. */
  public static RoutePlan only(int version) {
    return new RoutePlan(version, null, 0, false, null);
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

  /** The versions this plan sends traffic to. */
  public java.util.Set<Integer> versions() {
    return canary == null ? java.util.Set.of(stable) : java.util.Set.of(stable, canary);
  }

  @Override
  public String toString() {
    return Objects.toString(stable)
        + (canary == null
            ? ""
            : (shadow ? " shadowed by " : " + canary ") + canary + " at " + canaryWeight + "%")
        + (stickyHeader == null ? "" : " sticky by " + stickyHeader);
  }
}
