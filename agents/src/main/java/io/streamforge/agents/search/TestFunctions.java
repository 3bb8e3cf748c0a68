package io.streamforge.agents.search;

import java.util.Map;

/**
 * Standard black-box optimisation benchmarks, to measure samplers without training anything. Branin
 * (two inputs, three global minima of 0.397887) and Hartmann6 (six inputs in the unit cube, global
 * minimum -3.32237) are the functions of the hyperparameter-optimisation literature (Bergstra et
 * al. 2011, Snoek et al. 2012, Dixon and Szego 1978).
 */
public final class TestFunctions {
  /** Branin's global minimum, reached at (-pi, 12.275), (pi, 2.275) and (9.42478, 2.475). */
  public static final double BRANIN_MIN = 0.397887;

  /** Hartmann6's global minimum. */
  public static final double HARTMANN6_MIN = -3.32237;

  private static final double[] ALPHA = {1.0, 1.2, 3.0, 3.2};
  private static final double[][] A = {
    {10, 3, 17, 3.5, 1.7, 8},
    {0.05, 10, 17, 0.1, 8, 14},
    {3, 3.5, 1.7, 10, 17, 8},
    {17, 8, 0.05, 10, 0.1, 14}
  };
  private static final double[][] P = {
    {0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886},
    {0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991},
    {0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650},
    {0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381}
  };

  private TestFunctions() {}

  /** Branin-Hoo on {@code x1 in [-5, 10], x2 in [0, 15]}. */
  public static double branin(double x1, double x2) {
    double b = 5.1 / (4 * Math.PI * Math.PI);
    double c = 5 / Math.PI;
    double t = 1 / (8 * Math.PI);
    double a = x2 - b * x1 * x1 + c * x1 - 6;
    return a * a + 10 * (1 - t) * Math.cos(x1) + 10;
  }

  /** Branin's domain: {@code x1 in [-5, 10]}, {@code x2 in [0, 15]}, both linear. */
  public static SearchSpace braninSpace() {
    return SearchSpace.of(new FloatDim("x1", -5, 10, false), new FloatDim("x2", 0, 15, false));
  }

  /** Hartmann6 on the unit cube; {@code x} has six coordinates. */
  public static double hartmann6(double[] x) {
    if (x.length != 6) {
      throw new IllegalArgumentException("hartmann6 takes 6 coordinates, got " + x.length);
    }
    double sum = 0;
    for (int i = 0; i < 4; i++) {
      double inner = 0;
      for (int j = 0; j < 6; j++) {
        double d = x[j] - P[i][j];
        inner += A[i][j] * d * d;
      }
      sum += ALPHA[i] * Math.exp(-inner);
    }
    return -sum;
  }

  /** Hartmann6's domain: {@code x1..x6 in [0, 1]}. */
  public static SearchSpace hartmann6Space() {
    FloatDim[] dims = new FloatDim[6];
    for (int j = 0; j < 6; j++) {
      dims[j] = new FloatDim("x" + (j + 1), 0, 1, false);
    }
    return SearchSpace.of(dims);
  }

  /**
   * A named function ({@code branin} or {@code hartmann6}) evaluated at {@code p}, read through
   * {@code s} (dimensions {@code x1, x2, ...}).
   */
  public static double objective(String name, SearchSpace s, Map<String, Double> p) {
    return switch (name) {
      case "branin" -> branin(s.real(p, "x1"), s.real(p, "x2"));
      case "hartmann6" -> {
        double[] x = new double[6];
        for (int j = 0; j < 6; j++) {
          x[j] = s.real(p, "x" + (j + 1));
        }
        yield hartmann6(x);
      }
      default ->
          throw new IllegalArgumentException(
              "test function '" + name + "' is not known; known: branin, hartmann6");
    };
  }

  /** The domain of a named function. */
  public static SearchSpace space(String name) {
    return switch (name) {
      case "branin" -> braninSpace();
      case "hartmann6" -> hartmann6Space();
      default ->
          throw new IllegalArgumentException(
              "test function '" + name + "' is not known; known: branin, hartmann6");
    };
  }

  /** The global minimum of a named function. */
  public static double minimum(String name) {
    return switch (name) {
      case "branin" -> BRANIN_MIN;
      case "hartmann6" -> HARTMANN6_MIN;
      default ->
          throw new IllegalArgumentException(
              "test function '" + name + "' is not known; known: branin, hartmann6");
    };
  }
}
