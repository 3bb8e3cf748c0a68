package io.streamforge.training.quant;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The values of intermediate tensors of an fp32 model on calibration rows, computed by ONNX Runtime
 * itself (the tensors are added as graph outputs), so calibration sees exactly what the graph
 * computes.
 */
public final class ActivationStats {
  private static final int CHUNK_ROWS = 256;

  private ActivationStats() {}

  /**
   * Runs {@code model} on {@code rows} (raw features, row-major) and returns every value of each
   * named tensor.
   *
   * @param input the model's input name
   */
  public static Map<String, float[]> collect(
      ModelProto model, String input, List<String> tensors, float[] rows, int features) {
    GraphProto.Builder g = model.getGraph().toBuilder();
    Set<String> outputs = new HashSet<>();
    g.getOutputList().forEach(o -> outputs.add(o.getName()));
    for (String t : tensors) {
      if (outputs.add(t)) {
        g.addOutput(
            ValueInfoProto.newBuilder()
                .setName(t)
                .setType(
                    TypeProto.newBuilder()
                        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(Onnx.FLOAT))));
      }
    }
    byte[] augmented = model.toBuilder().setGraph(g).build().toByteArray();
    int n = rows.length / features;
    Map<String, FloatCollector> values = new LinkedHashMap<>();
    tensors.forEach(t -> values.put(t, new FloatCollector()));
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(1);
      try (OrtSession session = env.createSession(augmented, options)) {
        for (int start = 0; start < n; start += CHUNK_ROWS) {
          int m = Math.min(CHUNK_ROWS, n - start);
          try (OnnxTensor x =
                  OnnxTensor.createTensor(
                      env,
                      FloatBuffer.wrap(rows, start * features, m * features).slice(),
                      new long[] {m, features});
              OrtSession.Result r = session.run(Map.of(input, x), new HashSet<>(tensors))) {
            for (String t : tensors) {
              OnnxTensor out = (OnnxTensor) r.get(t).orElseThrow();
              values.get(t).add(out.getFloatBuffer());
            }
          }
        }
      }
    } catch (OrtException e) {
      throw new IllegalStateException(
          "ONNX Runtime cannot run the model for calibration: " + e.getMessage(), e);
    }
    Map<String, float[]> out = new LinkedHashMap<>();
    values.forEach((k, v) -> out.put(k, v.toArray()));
    return out;
  }

  private static final class FloatCollector {
    private float[] data = new float[1024];
    private int size;

    void add(FloatBuffer b) {
      int n = b.remaining();
      if (size + n > data.length) {
        data = java.util.Arrays.copyOf(data, Math.max(data.length * 2, size + n));
      }
      b.get(data, size, n);
      size += n;
    }

    float[] toArray() {
      return java.util.Arrays.copyOf(data, size);
    }
  }
}
