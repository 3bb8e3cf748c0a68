package io.streamforge.training.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.streamforge.arrowio.tensor.FeatureEncoding;
import io.streamforge.training.core.Preprocessing;
import java.nio.FloatBuffer;

/**
 * Checks an exported model against the engine that trained it: ONNX Runtime on the raw validation
 * rows against the trainer's own outputs. Classification: every probability within {@link
 * #TOLERANCE} and the same most probable class on every row. Regression: every prediction within
 * {@link #TOLERANCE} on the standardized label scale (that is, {@code TOLERANCE * labelStd} in
 * label units).
 */
public final class OnnxParity {
  public static final double TOLERANCE = 1e-4;

  private OnnxParity() {}

  /**
   * The outcome.
   *
   * @param maxAbsDiff the largest difference (standardized scale for regression)
   * @param argmaxMismatches rows whose most probable class differs
   * @param rows rows compared
   */
  public record Report(double maxAbsDiff, int argmaxMismatches, int rows) {
    public boolean passed() {
      return maxAbsDiff <= TOLERANCE && argmaxMismatches == 0;
    }
  }

  /** Runs the model on the validation rows and compares. */
  public static Report check(
      byte[] onnx, Preprocessing prep, boolean classification, float[] engineOutputs) {
    float[] ort = run(onnx, prep.valX(), prep.valRows(), prep.encoding(), classification);
    return compare(ort, engineOutputs, prep, classification);
  }

  /**
   * ONNX Runtime's outputs for rows in the trainer's encoded layout: probabilities row-major, or
   * predictions.
   */
  public static float[] run(
      byte[] onnx, float[] x, int rows, FeatureEncoding encoding, boolean classif) {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(1);
      try (OrtSession session = env.createSession(onnx, options);
          OnnxInputs inputs = OnnxInputs.of(env, encoding, x, rows);
          OrtSession.Result result = session.run(inputs.map())) {
        String name = classif ? OnnxExporter.PROBABILITIES : OnnxExporter.PREDICTION;
        OnnxTensor out = (OnnxTensor) result.get(name).orElseThrow();
        FloatBuffer fb = out.getFloatBuffer();
        float[] values = new float[fb.remaining()];
        fb.get(values);
        return values;
      }
    } catch (OrtException e) {
      throw new ParityException("ONNX Runtime cannot run the exported model: " + e.getMessage(), e);
    }
  }

  static Report compare(float[] ort, float[] engine, Preprocessing prep, boolean classification) {
    int n = prep.valRows();
    if (ort.length != engine.length) {
      throw new ParityException(
          "ONNX Runtime gave " + ort.length + " outputs, the trainer " + engine.length);
    }
    double max = 0;
    int mismatches = 0;
    if (classification) {
      int c = prep.classCount();
      for (int i = 0; i < n; i++) {
        int a = 0;
        int b = 0;
        for (int k = 0; k < c; k++) {
          max = Math.max(max, Math.abs(ort[i * c + k] - engine[i * c + k]));
          if (ort[i * c + k] > ort[i * c + a]) {
            a = k;
          }
          if (engine[i * c + k] > engine[i * c + b]) {
            b = k;
          }
        }
        if (a != b) {
          mismatches++;
        }
      }
    } else {
      for (int i = 0; i < n; i++) {
        max = Math.max(max, Math.abs(ort[i] - engine[i]) / prep.labelStd());
      }
    }
    return new Report(max, mismatches, n);
  }
}
