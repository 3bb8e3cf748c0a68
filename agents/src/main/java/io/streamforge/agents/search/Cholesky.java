package io.streamforge.agents.search;

/**
 * The Cholesky factor of a symmetric positive-definite matrix and the two triangular solves the
 * Gaussian process needs; a few dozen lines instead of a linear-algebra dependency.
 */
final class Cholesky {
  private final double[][] l;

  private Cholesky(double[][] l) {
    this.l = l;
  }

  /**
   * Factors {@code a = L L^T}; {@code a} is left untouched.
   *
   * @return the factor, or null when {@code a} is not (numerically) positive definite
   */
  static Cholesky of(double[][] a) {
    int n = a.length;
    double[][] l = new double[n][];
    for (int i = 0; i < n; i++) {
      double[] li = new double[i + 1];
      l[i] = li;
      for (int j = 0; j <= i; j++) {
        double[] lj = l[j];
        double s = a[i][j];
        for (int k = 0; k < j; k++) {
          s -= li[k] * lj[k];
        }
        if (i == j) {
          if (!(s > 0)) {
            return null;
          }
          li[i] = Math.sqrt(s);
        } else {
          li[j] = s / lj[j];
        }
      }
    }
    return new Cholesky(l);
  }

  int size() {
    return l.length;
  }

  /** Solves {@code L x = b}. */
  double[] solveLower(double[] b) {
    int n = l.length;
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      double[] li = l[i];
      double s = b[i];
      for (int k = 0; k < i; k++) {
        s -= li[k] * x[k];
      }
      x[i] = s / li[i];
    }
    return x;
  }

  /** Solves {@code L^T x = b}. */
  double[] solveUpper(double[] b) {
    int n = l.length;
    double[] x = b.clone();
    for (int i = n - 1; i >= 0; i--) {
      x[i] /= l[i][i];
      double xi = x[i];
      double[] li = l[i];
      for (int k = 0; k < i; k++) {
        x[k] -= li[k] * xi;
      }
    }
    return x;
  }

  /** Solves {@code A x = b}. */
  double[] solve(double[] b) {
    return solveUpper(solveLower(b));
  }

  /** {@code log det A}. */
  double logDet() {
    double s = 0;
    for (int i = 0; i < l.length; i++) {
      s += Math.log(l[i][i]);
    }
    return 2 * s;
  }
}
