package io.streamforge.agents.deploy;

import io.streamforge.agents.task.RequestValidator;
import io.streamforge.schemas.records.WorkflowRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How a canary is judged and walked to full traffic.
 *
 * @param maxErrorRate highest canary error rate that passes
 * @param maxP99Ratio highest canary p99 over stable p99 that passes
 * @param minSamples fewest canary requests in a window worth judging
 * @param steps canary weights to walk, ascending, the last one 100
 */
public record CanaryPolicy(
    double maxErrorRate, double maxP99Ratio, long minSamples, List<Double> steps) {

  public CanaryPolicy {
    steps = List.copyOf(steps);
    if (steps.isEmpty() || steps.get(steps.size() - 1) != 100.0) {
      throw new IllegalArgumentException("canary steps must end at 100, were " + steps);
    }
    for (int i = 0; i < steps.size(); i++) {
      double w = steps.get(i);
      if (!(w > 0 && w <= 100) || (i > 0 && w <= steps.get(i - 1))) {
        throw new IllegalArgumentException("canary steps must rise within (0, 100], were " + steps);
      }
    }
  }

  /**
   * The policy of a request's rollout: thresholds {@code max_error_rate}, {@code max_p99_ratio},
   * {@code min_samples} (defaults where absent, see {@link RequestValidator#DEFAULT_THRESHOLDS}),
   * steps from the canary weight doubling up to 100 (10 → 10, 20, 40, 80, 100).
   */
  public static CanaryPolicy from(WorkflowRequest.Rollout rollout) {
    Map<String, Double> t = rollout == null ? Map.of() : rollout.thresholds();
    double start =
        rollout == null || rollout.canaryWeight() <= 0
            ? RequestValidator.DEFAULT_CANARY_WEIGHT
            : Math.min(rollout.canaryWeight(), 100);
    List<Double> steps = new ArrayList<>();
    for (double w = start; w < 100; w *= 2) {
      steps.add(w);
    }
    steps.add(100.0);
    return new CanaryPolicy(
        threshold(t, "max_error_rate"),
        threshold(t, "max_p99_ratio"),
        Math.round(threshold(t, "min_samples")),
        steps);
  }

  private static double threshold(Map<String, Double> t, String key) {
    Double v = t == null ? null : t.get(key);
    return v != null ? v : RequestValidator.DEFAULT_THRESHOLDS.get(key);
  }
}
