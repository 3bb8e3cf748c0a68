package io.streamforge.agents.search;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Proposes the parameters of the next trial. A sampler holds no state between calls: everything is
 * rebuilt from the finished trials the orchestrator keeps, so a restarted orchestrator proposes
 * exactly what it would have proposed before, and nothing but the history has to be persisted.
 */
public interface Sampler {
  /**
   * The parameters of trial number {@code trialIndex} (0-based); deterministic for (seed, history,
   * trialIndex). {@code history} holds finished trials only (parallel trials may be pending), in
   * any order; values are minimized and NaN or infinite values are failed trials. Trials whose
   * parameters are not a point of the sampler's space (after the space changed) are ignored.
   */
  Map<String, Double> propose(List<Observation> history, int trialIndex);

  /** The strategy's name, as {@link #create} accepts it. */
  String name();

  /**
   * The sampler for a strategy name: {@code tpe} (also when null), {@code random} or {@code gp};
   * case-insensitive.
   *
   * @throws IllegalArgumentException naming the strategy when it is none of those
   */
  static Sampler create(String strategy, SearchSpace space, long seed) {
    String s = strategy == null ? "tpe" : strategy.trim().toLowerCase(Locale.ROOT);
    return switch (s) {
      case "tpe" -> new TpeSampler(space, seed);
      case "random" -> new RandomSampler(space, seed);
      case "gp" -> new GpSampler(space, seed);
      default ->
          throw new IllegalArgumentException(
              "search strategy '" + strategy + "' is not supported; supported: tpe, random, gp");
    };
  }
}
