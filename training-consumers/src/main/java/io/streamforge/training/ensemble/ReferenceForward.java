package io.streamforge.training.ensemble;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.streamforge.training.quant.Onnx;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A plain-Java evaluation, in double precision, of the operators an exported model is made of
 * ({@code Sub}, {@code Div}, {@code Mul}, {@code Add} with a broadcast row, {@code Gemm}, {@code
 * Relu}, {@code Tanh}, {@code Softmax}, {@code Mean}, {@code ArgMax}, {@code Gather}): the
 * reference that a weight-averaged graph run by ONNX Runtime is checked against, as an exported
 * model is checked against the trainer's own network. It is written from the operators' definitions
 * and shares no code with ONNX Runtime, so a graph that does not compute the averaged network shows
 * up.
 */
final class ReferenceForward {
  private ReferenceForward() {}

  /** A tensor of rank 1 or 2, row-major. */
  private record T(double[] v, int rows, int cols, boolean vector) {
    static T vector(double[] v) {
      return new T(v, 1, v.length, true);
    }

    double at(int r, int c) {
      return v[r * cols + c];
    }
  }

  /**
   * Runs {@code model} on {@code rows} raw rows.
   *
   * @param x features, row-major
   * @param output the graph tensor to return
   * @return its values, row-major, as float
   * @throws IllegalArgumentException for an operator or a shape this evaluation does not handle
   */
  static float[] run(ModelProto model, float[] x, int rows, String output) {
    GraphProto g = model.getGraph();
    Map<String, T> values = new HashMap<>();
    for (TensorProto t : g.getInitializerList()) {
      if (t.getDataType() != Onnx.FLOAT) {
        throw new IllegalArgumentException("constant " + t.getName() + " is not float");
      }
      float[] f = Onnx.floatValues(t);
      double[] d = new double[f.length];
      for (int i = 0; i < f.length; i++) {
        d[i] = f[i];
      }
      values.put(
          t.getName(),
          t.getDimsCount() == 2
              ? new T(d, (int) t.getDims(0), (int) t.getDims(1), false)
              : T.vector(d));
    }
    int features = x.length / rows;
    double[] in = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      in[i] = x[i];
    }
    values.put(g.getInput(0).getName(), new T(in, rows, features, false));
    for (NodeProto n : g.getNodeList()) {
      List<T> args = n.getInputList().stream().map(name -> require(values, name, n)).toList();
      values.put(n.getOutput(0), apply(n, args));
    }
    T out = values.get(output);
    if (out == null) {
      throw new IllegalArgumentException("the graph computes no tensor '" + output + "'");
    }
    float[] f = new float[out.v().length];
    for (int i = 0; i < f.length; i++) {
      f[i] = (float) out.v()[i];
    }
    return f;
  }

  private static T require(Map<String, T> values, String name, NodeProto n) {
    T t = values.get(name);
    if (t == null) {
      throw new IllegalArgumentException(
          "node " + n.getName() + " reads '" + name + "', which is computed later or not at all");
    }
    return t;
  }

  private static T apply(NodeProto n, List<T> a) {
    return switch (n.getOpType()) {
      case "Sub" -> elementwise(n, a.get(0), a.get(1), (p, q) -> p - q);
      case "Div" -> elementwise(n, a.get(0), a.get(1), (p, q) -> p / q);
      case "Mul" -> elementwise(n, a.get(0), a.get(1), (p, q) -> p * q);
      case "Add" -> elementwise(n, a.get(0), a.get(1), Double::sum);
      case "Relu" -> map(a.get(0), v -> Math.max(0, v));
      case "Tanh" -> map(a.get(0), Math::tanh);
      case "Gemm" -> gemm(n, a);
      case "Softmax" -> softmax(n, a.get(0));
      case "Mean" -> mean(n, a);
      case "ArgMax" -> argmax(n, a.get(0));
      case "Gather" -> gather(n, a.get(0), a.get(1));
      default ->
          throw new IllegalArgumentException(
              "the reference evaluation has no operator "
                  + n.getOpType()
                  + " ("
                  + n.getName()
                  + ")");
    };
  }

  private interface Op {
    double apply(double a, double b);
  }

  /** {@code a op b} where one side may be a row vector (or a scalar) broadcast over the rows. */
  private static T elementwise(NodeProto n, T a, T b, Op op) {
    T big = a.vector() && !b.vector() ? b : a;
    double[] out = new double[big.v().length];
    for (int r = 0; r < big.rows(); r++) {
      for (int c = 0; c < big.cols(); c++) {
        out[r * big.cols() + c] = op.apply(pick(n, a, r, c, big), pick(n, b, r, c, big));
      }
    }
    return new T(out, big.rows(), big.cols(), big.vector());
  }

  private static double pick(NodeProto n, T t, int r, int c, T shape) {
    if (!t.vector()) {
      if (t.rows() != shape.rows() || t.cols() != shape.cols()) {
        throw new IllegalArgumentException(shapeError(n, t, shape));
      }
      return t.at(r, c);
    }
    if (t.v().length == 1) {
      return t.v()[0];
    }
    if (t.v().length != shape.cols()) {
      throw new IllegalArgumentException(shapeError(n, t, shape));
    }
    return t.v()[c];
  }

  private static String shapeError(NodeProto n, T t, T shape) {
    return n.getOpType()
        + " "
        + n.getName()
        + ": cannot broadcast ["
        + t.rows()
        + ", "
        + t.cols()
        + "] to ["
        + shape.rows()
        + ", "
        + shape.cols()
        + "]";
  }

  private interface Fn {
    double apply(double v);
  }

  private static T map(T t, Fn f) {
    double[] out = new double[t.v().length];
    for (int i = 0; i < out.length; i++) {
      out[i] = f.apply(t.v()[i]);
    }
    return new T(out, t.rows(), t.cols(), t.vector());
  }

  private static T gemm(NodeProto n, List<T> a) {
    if (Onnx.intAttribute(n, "transA", 0) != 0) {
      throw new IllegalArgumentException("Gemm " + n.getName() + " with transA");
    }
    boolean transB = Onnx.intAttribute(n, "transB", 0) == 1;
    double alpha = Onnx.floatAttribute(n, "alpha", 1f);
    double beta = Onnx.floatAttribute(n, "beta", 1f);
    T x = a.get(0);
    T w = a.get(1);
    int out = transB ? w.rows() : w.cols();
    int k = transB ? w.cols() : w.rows();
    if (x.cols() != k) {
      throw new IllegalArgumentException(
          "Gemm " + n.getName() + " takes " + k + " inputs, gets " + x.cols());
    }
    T bias = a.size() > 2 ? a.get(2) : null;
    double[] y = new double[x.rows() * out];
    for (int r = 0; r < x.rows(); r++) {
      for (int j = 0; j < out; j++) {
        double s = 0;
        for (int i = 0; i < k; i++) {
          s += x.at(r, i) * (transB ? w.at(j, i) : w.at(i, j));
        }
        y[r * out + j] =
            alpha * s + (bias == null ? 0 : beta * bias.v()[bias.v().length == 1 ? 0 : j]);
      }
    }
    return new T(y, x.rows(), out, false);
  }

  private static T softmax(NodeProto n, T t) {
    long axis = Onnx.intAttribute(n, "axis", -1);
    if (axis != 1 && axis != -1) {
      throw new IllegalArgumentException("Softmax " + n.getName() + " over axis " + axis);
    }
    double[] out = new double[t.v().length];
    for (int r = 0; r < t.rows(); r++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < t.cols(); c++) {
        max = Math.max(max, t.at(r, c));
      }
      double sum = 0;
      for (int c = 0; c < t.cols(); c++) {
        out[r * t.cols() + c] = Math.exp(t.at(r, c) - max);
        sum += out[r * t.cols() + c];
      }
      for (int c = 0; c < t.cols(); c++) {
        out[r * t.cols() + c] /= sum;
      }
    }
    return new T(out, t.rows(), t.cols(), false);
  }

  private static T mean(NodeProto n, List<T> a) {
    T first = a.get(0);
    double[] out = new double[first.v().length];
    for (T t : a) {
      if (t.v().length != out.length) {
        throw new IllegalArgumentException(
            "Mean " + n.getName() + " of tensors of different sizes");
      }
      for (int i = 0; i < out.length; i++) {
        out[i] += t.v()[i] / a.size();
      }
    }
    return new T(out, first.rows(), first.cols(), first.vector());
  }

  private static T argmax(NodeProto n, T t) {
    if (Onnx.intAttribute(n, "axis", 0) != 1 || Onnx.intAttribute(n, "keepdims", 1) != 0) {
      throw new IllegalArgumentException(
          "ArgMax " + n.getName() + " other than over axis 1 without keepdims");
    }
    double[] out = new double[t.rows()];
    for (int r = 0; r < t.rows(); r++) {
      int best = 0;
      for (int c = 1; c < t.cols(); c++) {
        if (t.at(r, c) > t.at(r, best)) {
          best = c;
        }
      }
      out[r] = best;
    }
    return T.vector(out);
  }

  private static T gather(NodeProto n, T data, T indices) {
    if (!data.vector() || Onnx.intAttribute(n, "axis", 0) != 0) {
      throw new IllegalArgumentException("Gather " + n.getName() + " other than from a vector");
    }
    double[] out = new double[indices.v().length];
    for (int i = 0; i < out.length; i++) {
      out[i] = data.v()[(int) indices.v()[i]];
    }
    return T.vector(out);
  }
}
