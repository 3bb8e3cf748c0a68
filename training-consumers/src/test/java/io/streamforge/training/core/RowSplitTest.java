package io.streamforge.training.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;

class RowSplitTest {
  @Test
  void theFoldsOfKFoldAreDisjointAndCoverEveryRow() {
    int k = 5;
    int rows = 5_000;
    int features = 3;
    Random rnd = new Random(7);
    float[] x = new float[rows * features];
    float[] y = new float[rows];
    for (int i = 0; i < x.length; i++) {
      x[i] = rnd.nextFloat();
    }
    for (int r = 0; r < rows; r++) {
      y[r] = r % 3;
    }
    int[] inFolds = new int[rows];
    int[] sizes = new int[k];
    for (int i = 0; i < k; i++) {
      RowSplit fold = new RowSplit((double) i / k, 1.0 / k);
      for (int r = 0; r < rows; r++) {
        if (fold.isValidation(x, features, r, y[r])) {
          inFolds[r]++;
          sizes[i]++;
        }
      }
    }
    assertThat(inFolds).containsOnly(1); // every row in exactly one fold's validation
    for (int size : sizes) {
      assertThat(size).isBetween(rows / k - 150, rows / k + 150);
    }
    // fold 0 is the holdout of the same fraction
    RowSplit holdout = new RowSplit(1.0 / k);
    RowSplit fold0 = new RowSplit(0, 1.0 / k);
    for (int r = 0; r < rows; r++) {
      assertThat(fold0.isValidation(x, features, r, y[r]))
          .isEqualTo(holdout.isValidation(x, features, r, y[r]));
    }
  }

  @Test
  void aWindowPastTheEndIsRefused() {
    assertThatThrownBy(() -> new RowSplit(0.9, 0.2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("offset");
  }
}
