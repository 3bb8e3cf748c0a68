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
  private static final int STRING = 8;
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
   * A quantized variant of an MLP: its weights quantized per output column and dequantized in the
   * graph ({@code DequantizeLinear(axis=1)} → {@code MatMul}), as the training workers' variants
   * are.
   *
   * @param dequantized the MLP with the weights the variant computes with (for expected outputs)
   * @param onnx the model ONNX Runtime runs
   * @param artifact what is published: the ONNX model (int8) or the packed container (ternary)
   */
  record Variant(Mlp dequantized, byte[] onnx, byte[] artifact) {}

  /** The int8 ({@code ternary} false) or ternary variant of {@code mlp}. */
  static Variant variant(Mlp mlp, boolean ternary) {
    float[][] w = {mlp.w1(), mlp.w2()};
    int[] rows = {IN, HIDDEN};
    int[] cols = {HIDDEN, OUT};
    float[][] deq = new float[2][];
    byte[][] q = new byte[2][];
    float[][] scales = new float[2][];
    for (int l = 0; l < 2; l++) {
      deq[l] = new float[w[l].length];
      q[l] = new byte[w[l].length];
      scales[l] = new float[cols[l]];
      for (int c = 0; c < cols[l]; c++) {
        double acc = 0;
        for (int r = 0; r < rows[l]; r++) {
          float v = Math.abs(w[l][r * cols[l] + c]);
          acc = ternary ? acc + v / rows[l] : Math.max(acc, v);
        }
        float scale = (float) (ternary ? acc : acc / 127);
        scales[l][c] = scale;
        int limit = ternary ? 1 : 127;
        for (int r = 0; r < rows[l]; r++) {
          double x = Math.rint(w[l][r * cols[l] + c] / scale);
          q[l][r * cols[l] + c] = (byte) Math.max(-limit, Math.min(limit, x));
          deq[l][r * cols[l] + c] = q[l][r * cols[l] + c] * scale;
        }
      }
    }
    GraphProto.Builder g = GraphProto.newBuilder().setName("mlp-" + (ternary ? "ternary" : "int8"));
    g.addInput(value("input", FLOAT, -1, IN));
    g.addOutput(value("probabilities", FLOAT, -1, OUT));
    g.addOutput(value("logits", FLOAT, -1, OUT));
    for (int l = 0; l < 2; l++) {
      g.addInitializer(floats("s" + (l + 1), scales[l], cols[l]));
      g.addNode(
          NodeProto.newBuilder()
              .setOpType("DequantizeLinear")
              .setName("dq" + (l + 1))
              .addInput("q" + (l + 1))
              .addInput("s" + (l + 1))
              .addOutput("w" + (l + 1))
              .addAttribute(
                  ai.onnx.proto.OnnxMl.AttributeProto.newBuilder()
                      .setName("axis")
                      .setType(ai.onnx.proto.OnnxMl.AttributeProto.AttributeType.INT)
                      .setI(1))
              .build());
    }
    g.addInitializer(floats("b1", mlp.b1(), HIDDEN));
    g.addInitializer(floats("b2", mlp.b2(), OUT));
    g.addNode(node("MatMul", "h0", "input", "w1"));
    g.addNode(node("Add", "h1", "h0", "b1"));
    g.addNode(node("Relu", "h2", "h1"));
    g.addNode(node("MatMul", "h3", "h2", "w2"));
    g.addNode(node("Add", "logits", "h3", "b2"));
    g.addNode(node("Softmax", "probabilities", "logits"));
    byte[] stripped = model(g);
    for (int l = 0; l < 2; l++) {
      g.addInitializer(
          TensorProto.newBuilder()
              .setName("q" + (l + 1))
              .setDataType(3)
              .addDims(rows[l])
              .addDims(cols[l])
              .setRawData(com.google.protobuf.ByteString.copyFrom(q[l])));
    }
    byte[] onnx = model(g);
    byte[] artifact =
        ternary
            ? io.streamforge.arrowio.models.TernaryPacking.write(
                stripped,
                List.of(
                    new io.streamforge.arrowio.models.TernaryPacking.Tensor(
                        "q1", new long[] {IN, HIDDEN}, q[0]),
                    new io.streamforge.arrowio.models.TernaryPacking.Tensor(
                        "q2", new long[] {HIDDEN, OUT}, q[1])))
            : onnx;
    return new Variant(new Mlp(deq[0], mlp.b1(), deq[1], mlp.b2()), onnx, artifact);
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

  /**
   * A model with categorical columns: a float input {@code features} [N,2] and one ONNX STRING
   * input per categorical column, {@code color} and {@code size} [N,1]. Each string is one-hot
   * encoded against the column's categories ({@code Equal} on strings, opset 19, then {@code
   * Cast}), an unknown category giving all zeros; {@code [features, onehot(color), onehot(size)]}
   * [N,8] then goes through {@code Gemm} into {@code scores} [N,2]. {@code color_echo} returns the
   * color strings as they came (a STRING output).
   */
  record Categorical(float[] w, float[] b) {
    static final List<String> COLORS = List.of("red", "green", "blue");
    static final List<String> SIZES = List.of("S", "M", "L");
    static final int WIDTH = 2 + 3 + 3;

    static Categorical of(int seed) {
      Random r = new Random(seed);
      float[] w = new float[WIDTH * 2];
      for (int i = 0; i < w.length; i++) {
        w[i] = (float) r.nextGaussian();
      }
      return new Categorical(w, new float[] {0.5f, -0.25f});
    }

    /** The scores of one row, computed in Java. */
    double[] scores(float f0, float f1, String color, String size) {
      double[] x = new double[WIDTH];
      x[0] = f0;
      x[1] = f1;
      int c = COLORS.indexOf(color);
      if (c >= 0) {
        x[2 + c] = 1;
      }
      int s = SIZES.indexOf(size);
      if (s >= 0) {
        x[5 + s] = 1;
      }
      double[] out = new double[2];
      for (int k = 0; k < 2; k++) {
        double v = b[k];
        for (int j = 0; j < WIDTH; j++) {
          v += x[j] * w[j * 2 + k];
        }
        out[k] = v;
      }
      return out;
    }

    byte[] onnx() {
      GraphProto.Builder g = GraphProto.newBuilder().setName("categorical");
      g.addInput(value("features", FLOAT, -1, 2));
      g.addInput(value("color", STRING, -1, 1));
      g.addInput(value("size", STRING, -1, 1));
      g.addOutput(value("scores", FLOAT, -1, 2));
      g.addOutput(value("color_echo", STRING, -1, 1));
      g.addInitializer(strings("colors", COLORS));
      g.addInitializer(strings("sizes", SIZES));
      g.addInitializer(floats("w", w, WIDTH, 2));
      g.addInitializer(floats("b", b, 2));
      g.addNode(node("Equal", "color_eq", "color", "colors"));
      g.addNode(cast("color_hot", "color_eq", FLOAT));
      g.addNode(node("Equal", "size_eq", "size", "sizes"));
      g.addNode(cast("size_hot", "size_eq", FLOAT));
      g.addNode(
          NodeProto.newBuilder()
              .setOpType("Concat")
              .setName("x_Concat")
              .addInput("features")
              .addInput("color_hot")
              .addInput("size_hot")
              .addOutput("x")
              .addAttribute(intAttribute("axis", 1)));
      g.addNode(node("Gemm", "scores", "x", "w", "b"));
      g.addNode(node("Identity", "color_echo", "color"));
      return model(g, 9, 19);
    }
  }

  /** A model whose input has a fixed first dimension, {@code x} [2,2] → {@code y = x + x}. */
  static byte[] fixedShape() {
    GraphProto.Builder g = GraphProto.newBuilder().setName("fixed");
    g.addInput(value("x", FLOAT, 2, 2));
    g.addOutput(value("y", FLOAT, 2, 2));
    g.addNode(node("Add", "y", "x", "x"));
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
    return model(g, 8, 13);
  }

  private static byte[] model(GraphProto.Builder g, int irVersion, int opset) {
    return ModelProto.newBuilder()
        .setIrVersion(irVersion)
        .setProducerName("streamforge-test")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
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

  private static NodeProto cast(String output, String input, int to) {
    return NodeProto.newBuilder()
        .setOpType("Cast")
        .setName(output + "_Cast")
        .addInput(input)
        .addOutput(output)
        .addAttribute(intAttribute("to", to))
        .build();
  }

  private static ai.onnx.proto.OnnxMl.AttributeProto intAttribute(String name, long value) {
    return ai.onnx.proto.OnnxMl.AttributeProto.newBuilder()
        .setName(name)
        .setType(ai.onnx.proto.OnnxMl.AttributeProto.AttributeType.INT)
        .setI(value)
        .build();
  }

  private static TensorProto strings(String name, List<String> values) {
    TensorProto.Builder t =
        TensorProto.newBuilder().setName(name).setDataType(STRING).addDims(values.size());
    for (String v : values) {
      t.addStringData(com.google.protobuf.ByteString.copyFromUtf8(v));
    }
    return t.build();
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
