package io.streamforge.agents.search;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;

/**
 * Prunes a run worse than the median of the others' best-so-far at the same step (Optuna's {@code
 * MedianPruner}). Another run counts at step {@code s} when it has reported a step {@code >= s} (it
 * got that far) and at least one step {@code <= s}; its best-so-far is its lowest value up to
 * {@code s}, a failed (NaN or infinite) value counting as the worst. See {@link Pruner#median}.
 *
 * @param minRuns other runs that must have reached the step before anything is pruned (>= 1)
 * @param warmupSteps steps below this are never pruned (>= 0)
 */
public record MedianPruner(int minRuns, long warmupSteps) implements Pruner {
  public MedianPruner {
    if (minRuns < 1) {
      throw new IllegalArgumentException("median pruner: minRuns must be >= 1, was " + minRuns);
    }
    if (warmupSteps < 0) {
      throw new IllegalArgumentException(
          "median pruner: warmupSteps must be >= 0, was " + warmupSteps);
    }
  }

  @Override
  public boolean shouldPrune(long step, double value, List<NavigableMap<Long, Double>> others) {
    if (step < warmupSteps) {
      return false;
    }
    if (!Double.isFinite(value)) {
      return true;
    }
    List<Double> bests = new ArrayList<>();
    if (others != null) {
      for (NavigableMap<Long, Double> run : others) {
        if (run == null || run.isEmpty() || run.lastKey() < step) {
          continue;
        }
        double best = Double.POSITIVE_INFINITY;
        boolean any = false;
        for (Map.Entry<Long, Double> e : run.headMap(step, true).entrySet()) {
          any = true;
          Double v = e.getValue();
          if (v != null && Double.isFinite(v)) {
            best = Math.min(best, v);
          }
        }
        if (any) {
          bests.add(best);
        }
      }
    }
    if (bests.size() < minRuns) {
      return false;
    }
    return value > median(bests);
  }

  private static double median(List<Double> xs) {
    double[] s = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    int n = s.length;
    if (n % 2 == 1) {
      return s[n / 2];
    }
    double a = s[n / 2 - 1];
    double b = s[n / 2];
    return a == b ? a : a + (b - a) / 2; // stays right when b is +inf
  }
}
