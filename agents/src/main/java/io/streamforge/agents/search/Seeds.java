package io.streamforge.agents.search;

import java.util.Random;

/** The random stream of one trial, a pure function of the sampler's seed and the trial index. */
final class Seeds {
  private Seeds() {}

  static Random forTrial(long seed, int trialIndex, long salt) {
    return new Random(mix(mix(seed ^ salt) + trialIndex));
  }

  /** SplitMix64's finalizer: nearby inputs give unrelated outputs. */
  static long mix(long z) {
    z += 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
