package io.streamforge.agents.search;

/**
 * Maps float and int dimensions to {@code [0, 1]} and back, so that the model-based samplers work
 * on one scale: log dimensions in log space, ints as reals over {@code [low - 0.5, high + 0.5]}
 * (each integer gets an equal share), rounded on the way back.
 */
final class UnitCube {
  private UnitCube() {}

  static double toUnit(Dimension d, double v) {
    if (d instanceof FloatDim f) {
      return toUnit(v, f.low(), f.high(), f.log());
    }
    if (d instanceof IntDim i) {
      return toUnit(v, i.low() - 0.5, i.high() + 0.5, i.log());
    }
    throw new IllegalArgumentException("choice '" + d.name() + "' has no scale");
  }

  static double fromUnit(Dimension d, double u) {
    double c = Math.min(1, Math.max(0, u));
    if (d instanceof FloatDim f) {
      double v = fromUnit(c, f.low(), f.high(), f.log());
      return Math.min(f.high(), Math.max(f.low(), v));
    }
    if (d instanceof IntDim i) {
      double v = Math.rint(fromUnit(c, i.low() - 0.5, i.high() + 0.5, i.log()));
      return Math.min(i.high(), Math.max(i.low(), v));
    }
    throw new IllegalArgumentException("choice '" + d.name() + "' has no scale");
  }

  private static double toUnit(double v, double lo, double hi, boolean log) {
    if (hi == lo) {
      return 0.5;
    }
    double u =
        log ? (Math.log(v) - Math.log(lo)) / (Math.log(hi) - Math.log(lo)) : (v - lo) / (hi - lo);
    return Math.min(1, Math.max(0, u));
  }

  private static double fromUnit(double u, double lo, double hi, boolean log) {
    if (hi == lo) {
      return lo;
    }
    return log ? Math.exp(Math.log(lo) + u * (Math.log(hi) - Math.log(lo))) : lo + u * (hi - lo);
  }
}
