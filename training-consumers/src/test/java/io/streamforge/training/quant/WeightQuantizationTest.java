package io.streamforge.training.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** int8 and ternary quantization of weight matrices, per output channel. */
class WeightQuantizationTest {

  @Test
  void int8PerChannelErrIsAtMostHalfAStepOfItsOwnRow() {
    Random r = new Random(1);
    int rows = 7;
    int cols = 13;
    float[] w = new float[rows * cols];
    for (int i = 0; i < w.length; i++) {
      // rows of very different magnitude: per-row scales keep the small rows precise
      w[i] = (float) (r.nextGaussian() * Math.pow(10, (i / cols) - 3));
    }
    WeightQuantization.Quantized q = WeightQuantization.int8PerChannel(w, rows, cols);
    for (int row = 0; row < rows; row++) {
      float max = 0;
      for (int c = 0; c < cols; c++) {
        max = Math.max(max, Math.abs(w[row * cols + c]));
      }
      assertThat(q.scales()[row]).isEqualTo(max / 127f);
      for (int c = 0; c < cols; c++) {
        assertThat(q.values()[row * cols + c]).isBetween((byte) -127, (byte) 127);
        assertThat((double) Math.abs(q.dequantized(row, c) - w[row * cols + c]))
            .isLessThanOrEqualTo(q.scales()[row] / 2 * 1.0001);
      }
    }
  }

  @Test
  void ternaryUsesTheRowsMeanAbsoluteValueAndRoundsHalfToEven() {
    float[] w = {
      0.9f, -0.1f, 0.5f, -2.0f, // mean |w| = 0.875: 0.9/0.875 > 1 -> 1; -0.1/0.875 -> 0;
      // 0.5/0.875 = 0.571 -> 1; -2/0.875 clips to -1
      0f, 0f, 0f, 0f // a row of zeros: scale 1, all zero
    };
    WeightQuantization.Quantized q = WeightQuantization.ternaryPerChannel(w, 2, 4);
    assertThat(q.scales()).containsExactly(0.875f, 1f);
    assertThat(q.values()).containsExactly(1, 0, 1, -1, 0, 0, 0, 0);
    float[] half = {0.5f, -0.5f, 1.5f, 0f}; // mean |w| = 0.625: 0.8, -0.8, 2.4 -> 1, -1, 1
    assertThat(WeightQuantization.ternaryPerChannel(half, 1, 4).values())
        .containsExactly(1, -1, 1, 0);
    float[] exactlyHalf = {1f, 0.5f, -0.5f, 0f}; // mean 0.5: 2 -> 1, 1, -1, 0
    float[] tie = {2f, 0.5f, 1.5f, 0f}; // mean 1: 0.5 rounds to 0 (half to even), 1.5 to 1 (clip)
    assertThat(WeightQuantization.ternaryPerChannel(exactlyHalf, 1, 4).values())
        .containsExactly(1, 1, -1, 0);
    assertThat(WeightQuantization.ternaryPerChannel(tie, 1, 4).values())
        .containsExactly(1, 0, 1, 0);
  }

  @Test
  void transposedValuesAreColumnMajorRows() {
    float[] w = {1, 2, 3, 4, 5, 6}; // 2 x 3
    WeightQuantization.Quantized q = WeightQuantization.int8PerChannel(w, 2, 3);
    byte[] t = q.transposedValues(); // 3 x 2
    for (int r = 0; r < 2; r++) {
      for (int c = 0; c < 3; c++) {
        assertThat(t[c * 2 + r]).isEqualTo(q.values()[r * 3 + c]);
      }
    }
  }

  @Test
  void badMatricesAreRefused() {
    assertThatThrownBy(() -> WeightQuantization.int8PerChannel(new float[5], 2, 3))
        .hasMessageContaining("not a 2 x 3 matrix");
    assertThatThrownBy(() -> WeightQuantization.ternaryPerChannel(new float[] {1, Float.NaN}, 1, 2))
        .hasMessageContaining("weight 1 is NaN");
  }
}
