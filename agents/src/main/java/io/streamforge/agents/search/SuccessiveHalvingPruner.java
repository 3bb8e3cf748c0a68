package io.streamforge.agents.search;

import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;

/**
 * Asynchronous successive halving (ASHA): a run reporting at a rung step {@code minStep *
 * reductionFactor^k} continues only if its value is among the best {@code 1/reductionFactor} of the
 * values recorded at exactly that step by all runs, itself included. With fewer than {@code
 * reductionFactor} values at the rung it must be the best so far (Optuna's rule for the first
 * arrivals, since a stopped run cannot be resumed later). Failed values (NaN, infinite) count as
 * the worst; a run with a failed value at a rung is pruned. See {@link Pruner#successiveHalving}.
 *
 * @param minStep the first rung (>= 1)
 * @param reductionFactor the ratio between rungs and the share kept, 1 in {@code reductionFactor}
 *     (>= 2)
 */
public record SuccessiveHalvingPruner(long minStep, int reductionFactor) implements Pruner {
  public SuccessiveHalvingPruner {
    if (minStep < 1) {
      throw new IllegalArgumentException(
          "successive halving: minStep must be >= 1, was " + minStep);
    }
    if (reductionFactor < 2) {
      throw new IllegalArgumentException(
          "successive halving: reductionFactor must be >= 2, was " + reductionFactor);
    }
  }

  /** Whether {@code step} is a rung, {@code minStep * reductionFactor^k} for some k >= 0. */
  public boolean isRung(long step) {
    if (step < minStep || step % minStep != 0) {
      return false;
    }
    long q = step / minStep;
    while (q % reductionFactor == 0) {
      q /= reductionFactor;
    }
    return q == 1;
  }

  @Override
  public boolean shouldPrune(long step, double value, List<NavigableMap<Long, Double>> others) {
    if (!isRung(step)) {
      return false;
    }
    if (!Double.isFinite(value)) {
      return true;
    }
    List<Double> competing = new ArrayList<>();
    competing.add(value);
    if (others != null) {
      for (NavigableMap<Long, Double> run : others) {
        if (run == null || !run.containsKey(step)) {
          continue;
        }
        Double v = run.get(step);
        competing.add(v != null && Double.isFinite(v) ? v : Double.POSITIVE_INFINITY);
      }
    }
    competing.sort(null);
    int keep = Math.max(1, competing.size() / reductionFactor);
    return value > competing.get(keep - 1);
  }
}
