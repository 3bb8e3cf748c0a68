package io.streamforge.training.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Activation ranges and their uint8 parameters. */
class CalibratorTest {

  private static float[] normalWithOutlier(int n, float outlier) {
    Random r = new Random(3);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) r.nextGaussian();
    }
    v[n / 2] = outlier;
    return v;
  }

  @Test
  void minMaxIsTheExtremes() {
    Calibrator.Range r =
        Calibrator.range(new float[] {-1.5f, 0.25f, 3f, 2f}, CalibrationMethod.MINMAX);
    assertThat(r).isEqualTo(new Calibrator.Range(-1.5f, 3f));
  }

  @Test
  void percentileAndEntropyIgnoreARareOutlierThatMinMaxFollows() {
    float[] v = normalWithOutlier(100_000, 1000f);
    assertThat(Calibrator.range(v, CalibrationMethod.MINMAX).max()).isEqualTo(1000f);
    Calibrator.Range p = Calibrator.range(v, CalibrationMethod.PERCENTILE);
    assertThat(p.max()).isBetween(3f, 5f); // the 99.99th percentile of a standard normal: 3.72
    assertThat(p.min()).isBetween(-5f, -3f);
    Calibrator.Range e = Calibrator.range(v, CalibrationMethod.ENTROPY);
    assertThat(e.max()).isLessThan(100f);
    assertThat(e.min()).isEqualTo(-e.max()); // signed data: a symmetric range
  }

  @Test
  void entropyOnNonNegativeDataStartsAtZeroAndKeepsAUniformRange() {
    Random r = new Random(4);
    float[] v = new float[50_000];
    for (int i = 0; i < v.length; i++) {
      v[i] = r.nextFloat() * 6f;
    }
    Calibrator.Range e = Calibrator.range(v, CalibrationMethod.ENTROPY);
    assertThat(e.min()).isZero();
    assertThat((double) e.max()).isCloseTo(6.0, within(0.3));
  }

  @Test
  void uint8ParametersIncludeZeroExactly() {
    Calibrator.Affine post = new Calibrator.Range(0f, 5.1f).uint8();
    assertThat(post.zeroPoint()).isZero();
    assertThat((double) post.scale()).isCloseTo(0.02, within(1e-7));
    Calibrator.Affine signed = new Calibrator.Range(-1f, 3f).uint8();
    assertThat(signed.zeroPoint()).isEqualTo(64); // -(-1) / (4 / 255) = 63.75
    Calibrator.Affine positiveOnly = new Calibrator.Range(2f, 4f).uint8(); // widened to [0, 4]
    assertThat(positiveOnly.zeroPoint()).isZero();
    assertThat((double) positiveOnly.scale()).isCloseTo(4.0 / 255, within(1e-7));
    assertThat(new Calibrator.Range(0f, 0f).uint8().scale()).isPositive();
  }
}
