package io.streamforge.agents.search;

import java.util.List;
import java.util.Map;

/**
 * Uniform (log-uniform on log dimensions) sampling, independent of the history: the baseline the
 * model-based samplers must beat, and their start-up phase.
 */
public final class RandomSampler implements Sampler {
  private static final long SALT = 0x52414e44L; // "RAND"
  private final SearchSpace space;
  private final long seed;

  public RandomSampler(SearchSpace space, long seed) {
    if (space == null) {
      throw new IllegalArgumentException("a sampler needs a search space");
    }
    this.space = space;
    this.seed = seed;
  }

  @Override
  public Map<String, Double> propose(List<Observation> history, int trialIndex) {
    if (trialIndex < 0) {
      throw new IllegalArgumentException("trial index must be >= 0, was " + trialIndex);
    }
    return space.sample(Seeds.forTrial(seed, trialIndex, SALT));
  }

  @Override
  public String name() {
    return "random";
  }
}
