package io.streamforge.agents.debug;

/**
 * When the training debugger steps in, and how hard.
 *
 * @param window step-loss samples averaged before loss is compared (smooths mini-batch noise)
 * @param divergenceFactor the averaged loss diverged when it is above this factor times the best
 *     average so far
 * @param plateauPatience epochs without a validation improvement before the learning rate drops
 * @param minImprovement how much the validation metric must improve to count as better
 * @param lrFactor the factor a learning rate is multiplied by when lowered
 * @param maxLrReductions learning rate reductions (plateau and divergence together) before the run
 *     is stopped instead
 * @param maxRestores checkpoint restores after non-finite losses before the run is stopped instead
 */
public record DebugPolicy(
    int window,
    double divergenceFactor,
    int plateauPatience,
    double minImprovement,
    double lrFactor,
    int maxLrReductions,
    int maxRestores) {

  public DebugPolicy {
    if (window < 1) {
      throw new IllegalArgumentException("window must be at least 1, was " + window);
    }
    if (!(divergenceFactor > 1)) {
      throw new IllegalArgumentException(
          "divergenceFactor must be above 1, was " + divergenceFactor);
    }
    if (plateauPatience < 1) {
      throw new IllegalArgumentException(
          "plateauPatience must be at least 1, was " + plateauPatience);
    }
    if (!(minImprovement >= 0)) {
      throw new IllegalArgumentException("minImprovement must be >= 0, was " + minImprovement);
    }
    if (!(lrFactor > 0 && lrFactor < 1)) {
      throw new IllegalArgumentException("lrFactor must be in (0, 1), was " + lrFactor);
    }
    if (maxLrReductions < 0 || maxRestores < 0) {
      throw new IllegalArgumentException(
          "maxLrReductions and maxRestores must be >= 0, were "
              + maxLrReductions
              + " and "
              + maxRestores);
    }
  }

  /**
   * Window 5, divergence at 3 × the best, plateau after 3 epochs without an improvement of 1e-4,
   * learning rate × 0.3, at most 2 reductions and 2 restores.
   */
  public static DebugPolicy defaults() {
    return new DebugPolicy(5, 3.0, 3, 1e-4, 0.3, 2, 2);
  }
}
