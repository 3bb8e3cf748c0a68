package io.streamforge.agents.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** The GP's small linear algebra. */
class CholeskyTest {
  @Test
  void solvesASymmetricPositiveDefiniteSystem() {
    double[][] a = {{4, 12, -16}, {12, 37, -43}, {-16, -43, 98}}; // L = [[2],[6,1],[-8,5,3]]
    Cholesky c = Cholesky.of(a);
    assertThat(c).isNotNull();
    assertThat(c.logDet()).isCloseTo(Math.log(36), within(1e-12)); // (2*1*3)^2
    double[] x = {1, -2, 0.5};
    double[] b = new double[3];
    for (int i = 0; i < 3; i++) {
      for (int j = 0; j < 3; j++) {
        b[i] += a[i][j] * x[j];
      }
    }
    double[] solved = c.solve(b);
    for (int i = 0; i < 3; i++) {
      assertThat(solved[i]).isCloseTo(x[i], within(1e-10));
    }
  }

  @Test
  void refusesAMatrixThatIsNotPositiveDefinite() {
    assertThat(Cholesky.of(new double[][] {{1, 2}, {2, 1}})).isNull();
  }
}
