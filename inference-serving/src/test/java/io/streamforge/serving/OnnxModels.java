package io.streamforge.serving;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Small ONNX models built in tests with known weights, so expected outputs are computed in Java.
 */
final class OnnxModels {
  static final int IN = 4;
  static final int HIDDEN = 8;
  static final int OUT = 3;
  private static final int FLOAT = 1;
  private static final int INT32 = 6;
  private static final int INT64 = 7;
  private static final int BOOL = 9;
  private static final int DOUBLE = 11;

  private OnnxModels() {}

  /**
   * An MLP's weights: input [N,4] → MatMul+Add+Relu [N,8] → MatMul+Add [N,3] (logits) → Softmax.
   */
  record Mlp(float[] w1, float[] b1, float[] w2, float[] b2) {
    /** Weights from a seed; {@code version} shifts the output bias so versions answer apart. */
    static Mlp of(int version) {
      Random r = new Random(42);
      float[] w1 = new float[IN * HIDDEN];
      float[] b1 = new float[HIDDEN];
      float[] w2 = new float[HIDDEN * OUT];
      float[] b2 = new float[OUT];
      for (int i = 0; i < w1.length; i++) {
        w1[i] = (float) r.nextGaussian() * 0.5f;
      }
      for (int i = 0; i < b1.length; i++) {
        b1[i] = (float) r.nextGaussian() * 0.1f;
      }
      for (int i = 0; i < w2.length; i++) {
        w2[i] = (float) r.nextGaussian() * 0.5f;
      }
      for (int i = 0; i < OUT; i++) {
        b2[i] = i == 0 ? version : -version * 0.5f * i;
      }
      return new Mlp(w1, b1, w2, b2);
    }

    /** Logits of one row, computed in Java. */
    double[] logits(float[] x) {
      double[] h = new double[HIDDEN];
      for (int j = 0; j < HIDDEN; j++) {
        double s = b1[j];
        for (int i = 0; i < IN; i++) {
          s += x[i] * w1[i * HIDDEN + j];
        }
        h[j] = Math.max(0, s);
      }
      double[] o = new double[OUT];
      for (int k = 0; k < OUT; k++) {
        double s = b2[k];
        for (int j = 0; j < HIDDEN; j++) {
          s += h[j] * w2[j * OUT + k];
        }
        o[k] = s;
      }
      return o;
    }

    double[] probabilities(float[] x) {
      double[] l = logits(x);
      double max = Math.max(l[0], Math.max(l[1], l[2]));
      double sum = 0;
      double[] p = new double[OUT];
      for (int k = 0; k < OUT; k++) {
        p[k] = Math.exp(l[k] - max);
        sum += p[k];
      }
      for (int k = 0; k < OUT; k++) {
        p[k] /= sum;
      }
      return p;
    }

    byte[] onnx() {
      return onnx(IN);
    }

    /** The ONNX bytes; {@code inputWidth} other than 4 makes a model with another signature. */
    byte[] onnx(int inputWidth) {
      GraphProto.Builder g = GraphProto.newBuilder().setName("mlp");
      g.addInput(value("input", FLOAT, -1, inputWidth));
      g.addOutput(value("probabilities", FLOAT, -1, OUT));
      g.addOutput(value("logits", FLOAT, -1, OUT));
      float[] w = w1;
      if (inputWidth != IN) {
        w = new float[inputWidth * HIDDEN];
      }
      g.addInitializer(floats("w1", w, inputWidth, HIDDEN));
      g.addInitializer(floats("b1", b1, HIDDEN));
      g.addInitializer(floats("w2", w2, HIDDEN, OUT));
      g.addInitializer(floats("b2", b2, OUT));
      g.addNode(node("MatMul", "h0", "input", "w1"));
      g.addNode(node("Add", "h1", "h0", "b1"));
      g.addNode(node("Relu", "h2", "h1"));
      g.addNode(node("MatMul", "h3", "h2", "w2"));
      g.addNode(node("Add", "logits", "h3", "b2"));
      g.addNode(node("Softmax", "probabilities", "logits"));
      return model(g);
    }
  }

  /**
   * A model with one input and output per served datatype: {@code f64} (FP64, doubled), {@code i64}
   * (INT64, identity), {@code i32} (INT32, identity), {@code flag} (BOOL, negated); all [N,2].
   */
  static byte[] typed() {
    GraphProto.Builder g = GraphProto.newBuilder().setName("typed");
    g.addInput(value("f64", DOUBLE, -1, 2));
    g.addInput(value("i64", INT64, -1, 2));
    g.addInput(value("i32", INT32, -1, 2));
    g.addInput(value("flag", BOOL, -1, 2));
    g.addOutput(value("f64_out", DOUBLE, -1, 2));
    g.addOutput(value("i64_out", INT64, -1, 2));
    g.addOutput(value("i32_out", INT32, -1, 2));
    g.addOutput(value("flag_out", BOOL, -1, 2));
    g.addNode(node("Add", "f64_out", "f64", "f64"));
    g.addNode(node("Identity", "i64_out", "i64"));
    g.addNode(node("Identity", "i32_out", "i32"));
    g.addNode(node("Not", "flag_out", "flag"));
    return model(g);
  }

  /** A model whose input is FP16, which the edge does not serve. */
  static byte[] halfPrecision() {
    GraphProto.Builder g = GraphProto.newBuilder().setName("half");
    g.addInput(value("x", 10, -1, 2));
    g.addOutput(value("y", 10, -1, 2));
    g.addNode(node("Identity", "y", "x"));
    return model(g);
  }

  private static byte[] model(GraphProto.Builder g) {
    return ModelProto.newBuilder()
        .setIrVersion(8)
        .setProducerName("streamforge-test")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
        .setGraph(g)
        .build()
        .toByteArray();
  }

  private static NodeProto node(String op, String output, String... inputs) {
    return NodeProto.newBuilder()
        .setOpType(op)
        .setName(output + "_" + op)
        .addAllInput(List.of(inputs))
        .addOutput(output)
        .build();
  }

  private static ValueInfoProto value(String name, int elemType, long... dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (long d : dims) {
      shape.addDim(
          d < 0
              ? TensorShapeProto.Dimension.newBuilder().setDimParam("N")
              : TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    }
    return ValueInfoProto.newBuilder()
        .setName(name)
        .setType(
            TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(shape)))
        .build();
  }

  private static TensorProto floats(String name, float[] values, long... dims) {
    List<Float> data = new ArrayList<>(values.length);
    for (float v : values) {
      data.add(v);
    }
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(FLOAT);
    for (long d : dims) {
      t.addDims(d);
    }
    return t.addAllFloatData(data).build();
  }
}
