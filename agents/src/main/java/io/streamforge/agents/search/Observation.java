package io.streamforge.agents.search;

import java.util.Map;

/**
 * One finished trial: its parameters and the value reached, to be minimized (the orchestrator
 * passes e.g. {@code -val_accuracy} or {@code val_rmse}). A NaN or infinite value marks a failed
 * trial; samplers treat it as worse than every finite value.
 */
public record Observation(Map<String, Double> params, double value) {
  public Observation {
    if (params == null) {
      throw new IllegalArgumentException("an observation needs its parameters");
    }
    params = Map.copyOf(params);
  }

  /** Whether the trial produced a usable value. */
  public boolean failed() {
    return !Double.isFinite(value);
  }
}
