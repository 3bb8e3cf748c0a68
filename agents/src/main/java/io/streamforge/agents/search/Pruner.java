package io.streamforge.agents.search;

import java.util.List;
import java.util.NavigableMap;

/**
 * Early stopping across trials: whether a run should stop at a step, judged against other runs at
 * the same step. Values are minimized, like {@link Observation}'s. A pruner holds no state; the
 * caller passes the other runs' curves (step to value) each time.
 */
public interface Pruner {
  /**
   * @param step the step (epoch) the run just reported
   * @param value the run's value at that step; a NaN or infinite value is pruned once pruning is
   *     allowed at all
   * @param others the curves of the other runs (finished or running); null entries are ignored
   */
  boolean shouldPrune(long step, double value, List<NavigableMap<Long, Double>> others);

  /**
   * Optuna's {@code MedianPruner}: prune when {@code value} is worse than the median of the other
   * runs' best-so-far values at this step. Only from {@code step >= warmupSteps}, and only when at
   * least {@code minRuns} other runs reached this step. Pass the run's own best-so-far as {@code
   * value} for Optuna's exact rule, or its latest value for a stricter one.
   */
  static Pruner median(int minRuns, long warmupSteps) {
    return new MedianPruner(minRuns, warmupSteps);
  }

  /**
   * Asynchronous successive halving (ASHA, Li et al. 2020): rungs at {@code minStep *
   * reductionFactor^k}; at a rung a run survives only when its value is in the best {@code
   * 1/reductionFactor} of the values recorded at that rung (its own included). Steps between rungs
   * never prune.
   */
  static Pruner successiveHalving(long minStep, int reductionFactor) {
    return new SuccessiveHalvingPruner(minStep, reductionFactor);
  }
}
