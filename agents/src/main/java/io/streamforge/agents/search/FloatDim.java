package io.streamforge.agents.search;

/**
 * A real-valued parameter in {@code [low, high]}, sampled uniformly, or log-uniformly when {@code
 * log} (learning rates, weight decay), in which case {@code low} must be positive.
 */
public record FloatDim(String name, double low, double high, boolean log) implements Dimension {
  public FloatDim {
    Dimensions.checkName(name);
    if (!Double.isFinite(low) || !Double.isFinite(high) || low > high) {
      throw new IllegalArgumentException(
          "dimension '" + name + "': need finite low <= high, got [" + low + ", " + high + "]");
    }
    if (log && low <= 0) {
      throw new IllegalArgumentException(
          "dimension '" + name + "': a log-scale range needs low > 0, got " + low);
    }
  }
}
