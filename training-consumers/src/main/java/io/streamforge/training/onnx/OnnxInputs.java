package io.streamforge.training.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import io.streamforge.arrowio.tensor.FeatureEncoding;
import java.nio.FloatBuffer;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The inputs of an exported model for rows in the trainer's encoded layout: the numeric columns as
 * the float input {@link OnnxExporter#INPUT} ({@code [rows, numeric]}), and every one-hot block
 * decoded back to its category as the string input named after its column ({@code [rows, 1]}); an
 * all-zero block (a null or unknown value) becomes a string that is none of the categories. This is
 * how parity checks, quantization and ensembling feed a model the raw values a client would send.
 * Closing releases the tensors.
 */
public final class OnnxInputs implements AutoCloseable {
  private final Map<String, OnnxTensor> tensors = new LinkedHashMap<>();

  private OnnxInputs() {}

  /**
   * @param encoded {@code rows * encoding.width()} floats, row-major, raw numeric values and
   *     one-hot blocks
   */
  public static OnnxInputs of(
      OrtEnvironment env, FeatureEncoding encoding, float[] encoded, int rows) {
    int width = encoding.width();
    if (encoded.length < (long) rows * width) {
      throw new IllegalArgumentException(
          rows + " rows of " + width + " columns need " + rows * width + " floats");
    }
    OnnxInputs in = new OnnxInputs();
    try {
      int f = encoding.numeric().size();
      if (f > 0) {
        float[] x = encoded;
        if (encoding.hasCategories()) {
          x = new float[rows * f];
          for (int r = 0; r < rows; r++) {
            System.arraycopy(encoded, r * width, x, r * f, f);
          }
        }
        in.tensors.put(
            OnnxExporter.INPUT,
            OnnxTensor.createTensor(env, FloatBuffer.wrap(x, 0, rows * f), new long[] {rows, f}));
      }
      for (Map.Entry<String, List<String>> e : encoding.categories().entrySet()) {
        String unknown = outside(e.getValue());
        String[] values = new String[rows];
        for (int r = 0; r < rows; r++) {
          String v = encoding.decode(e.getKey(), encoded, r * width);
          values[r] = v == null ? unknown : v;
        }
        in.tensors.put(e.getKey(), OnnxTensor.createTensor(env, values, new long[] {rows, 1}));
      }
      return in;
    } catch (OrtException e) {
      in.close();
      throw new IllegalStateException(
          "cannot make the model's input tensors: " + e.getMessage(), e);
    }
  }

  /** A string that is none of {@code categories}. */
  static String outside(List<String> categories) {
    Set<String> set = new HashSet<>(categories);
    String s = "";
    while (set.contains(s)) {
      s += "\u0000";
    }
    return s;
  }

  /** The tensors by input name. */
  public Map<String, OnnxTensor> map() {
    return tensors;
  }

  @Override
  public void close() {
    tensors.values().forEach(OnnxTensor::close);
    tensors.clear();
  }
}
