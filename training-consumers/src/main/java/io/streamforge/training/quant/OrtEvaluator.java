package io.streamforge.training.quant;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.streamforge.training.onnx.OnnxExporter;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;

/**
 * Scores a model in ONNX Runtime: its validation metric on raw validation rows and its latency.
 * Sessions run as the edge runs them by default: one intra-op thread, sequential execution, full
 * graph optimization (which is where ONNX Runtime fuses quantized groups into integer kernels).
 */
public final class OrtEvaluator {
  /** Batch sizes whose latency is measured. */
  public static final int SMALL_BATCH = 1;

  public static final int LARGE_BATCH = 64;

  private OrtEvaluator() {}

  /**
   * A model's outputs and metric on the validation rows.
   *
   * @param metric accuracy in [0, 1] (classification) or RMSE in label units (regression)
   * @param outputs class probabilities row-major (classification) or predictions
   */
  public record Scores(double metric, float[] outputs) {}

  /**
   * Median latencies of {@code session.run} in milliseconds (input tensors made once, outputs
   * closed inside the timed span).
   */
  public record Latency(double batch1Ms, double batch64Ms) {}

  /** The validation metric of {@code onnx}. */
  public static Scores score(byte[] onnx, ParentModel parent, EvaluationData data) {
    int n = data.valRows();
    int f = data.features();
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = options();
        OrtSession session = env.createSession(onnx, options);
        OnnxTensor x =
            OnnxTensor.createTensor(env, FloatBuffer.wrap(data.valX()), new long[] {n, f});
        OrtSession.Result r =
            session.run(
                Map.of(OnnxExporter.INPUT, x),
                parent.classification()
                    ? Set.of(OnnxExporter.LABEL, OnnxExporter.PROBABILITIES)
                    : Set.of(OnnxExporter.PREDICTION))) {
      if (parent.classification()) {
        float[] labels = floats((OnnxTensor) r.get(OnnxExporter.LABEL).orElseThrow());
        float[] probabilities =
            floats((OnnxTensor) r.get(OnnxExporter.PROBABILITIES).orElseThrow());
        int correct = 0;
        for (int i = 0; i < n; i++) {
          if (labels[i] == data.valY()[i]) {
            correct++;
          }
        }
        return new Scores((double) correct / n, probabilities);
      }
      float[] pred = floats((OnnxTensor) r.get(OnnxExporter.PREDICTION).orElseThrow());
      double se = 0;
      for (int i = 0; i < n; i++) {
        double d = pred[i] - data.valY()[i];
        se += d * d;
      }
      return new Scores(Math.sqrt(se / n), pred);
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime cannot run the model: " + e.getMessage(), e);
    }
  }

  /**
   * Median latency at batch 1 and 64 over {@code runs} timed runs each, after {@code runs / 4 + 5}
   * untimed warm-up runs. Rows are taken from {@code rows} (repeated when there are fewer than 64).
   */
  public static Latency latency(byte[] onnx, float[] rows, int features, int runs) {
    if (runs < 1) {
      throw new IllegalArgumentException("latency runs must be at least 1, was " + runs);
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = options();
        OrtSession session = env.createSession(onnx, options)) {
      return new Latency(
          median(session, env, batch(rows, features, SMALL_BATCH), SMALL_BATCH, features, runs),
          median(session, env, batch(rows, features, LARGE_BATCH), LARGE_BATCH, features, runs));
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime cannot run the model: " + e.getMessage(), e);
    }
  }

  private static double median(
      OrtSession session, OrtEnvironment env, float[] x, int rows, int features, int runs)
      throws OrtException {
    long[] times = new long[runs];
    try (OnnxTensor input =
        OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {rows, features})) {
      Map<String, OnnxTensor> in = Map.of(OnnxExporter.INPUT, input);
      for (int i = 0; i < runs / 4 + 5; i++) {
        session.run(in).close();
      }
      for (int i = 0; i < runs; i++) {
        long t0 = System.nanoTime();
        session.run(in).close();
        times[i] = System.nanoTime() - t0;
      }
    }
    Arrays.sort(times);
    long mid = runs % 2 == 1 ? times[runs / 2] : (times[runs / 2 - 1] + times[runs / 2]) / 2;
    return mid / 1e6;
  }

  private static float[] batch(float[] rows, int features, int n) {
    int available = rows.length / features;
    if (available == 0) {
      throw new IllegalArgumentException("no rows to time the model with");
    }
    float[] out = new float[n * features];
    for (int i = 0; i < n; i++) {
      System.arraycopy(rows, (i % available) * features, out, i * features, features);
    }
    return out;
  }

  private static OrtSession.SessionOptions options() throws OrtException {
    OrtSession.SessionOptions o = new OrtSession.SessionOptions();
    o.setIntraOpNumThreads(1);
    o.setInterOpNumThreads(1);
    o.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
    o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
    return o;
  }

  private static float[] floats(OnnxTensor t) {
    FloatBuffer b = t.getFloatBuffer();
    float[] out = new float[b.remaining()];
    b.get(out);
    return out;
  }
}
