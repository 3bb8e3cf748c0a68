package io.streamforge.agents.search;

/**
 * An integer parameter in {@code [low, high]} (both inclusive), sampled uniformly, or log-uniformly
 * when {@code log} (layer widths), in which case {@code low} must be at least 1. Samplers treat it
 * as a real in {@code [low - 0.5, high + 0.5]} rounded to the nearest integer, so that every
 * integer has the same share of the (log-)range.
 */
public record IntDim(String name, int low, int high, boolean log) implements Dimension {
  public IntDim {
    Dimensions.checkName(name);
    if (low > high) {
      throw new IllegalArgumentException(
          "dimension '" + name + "': need low <= high, got [" + low + ", " + high + "]");
    }
    if (log && low < 1) {
      throw new IllegalArgumentException(
          "dimension '" + name + "': a log-scale integer range needs low >= 1, got " + low);
    }
  }
}
