package io.streamforge.training.onnx;

import ai.onnx.proto.OnnxMl;
import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import io.streamforge.arrowio.tensor.FeatureEncoding;
import io.streamforge.training.core.NetworkWeights;
import io.streamforge.training.core.Preprocessing;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a trained MLP as an ONNX model (opset 13) that takes raw feature values: the
 * standardization of the training split is the first two nodes of the graph ({@code Sub}, {@code
 * Div}) on the float input of the numeric columns; a text column is a string input of its own
 * ({@code [N, 1]}, named after the column), one-hot encoded in the graph ({@code ai.onnx.ml} {@code
 * LabelEncoder} to the category's index, -1 for any other value, then {@code Equal} against {@code
 * 0..K-1} and {@code Cast}), the blocks joined after the numeric columns ({@code Concat}) in the
 * trainer's layout; batch norm is written with its running statistics ({@code Sub}, {@code Mul},
 * {@code Add}), dense layers as {@code Gemm}. A classifier outputs {@code probabilities} ({@code
 * [N, classes]}, softmax) and {@code label} ({@code [N]}, the raw label value of the most probable
 * class); a regressor outputs {@code prediction} ({@code [N, 1]}, in label units). The model's
 * metadata carries the provenance it is given.
 */
public final class OnnxExporter {
  public static final String INPUT = "features";
  public static final String PROBABILITIES = "probabilities";
  public static final String LABEL = "label";
  public static final String PREDICTION = "prediction";
  public static final int OPSET = 13;

  /** The {@code ai.onnx.ml} opset of {@code LabelEncoder} with string keys, in models with text. */
  public static final int ML_OPSET = 2;

  public static final String ML_DOMAIN = "ai.onnx.ml";

  private final List<NodeProto> nodes = new ArrayList<>();
  private final List<TensorProto> initializers = new ArrayList<>();
  private int counter;

  private OnnxExporter() {}

  /**
   * @param classification whether to end in softmax and label, or in the regression output
   * @param metadata provenance, written as the model's metadata properties
   */
  public static byte[] export(
      NetworkWeights weights,
      Preprocessing prep,
      boolean classification,
      String graphName,
      String producerVersion,
      Map<String, String> metadata) {
    OnnxExporter e = new OnnxExporter();
    int f = prep.featureCount();
    FeatureEncoding encoding = prep.encoding();
    int numeric = encoding.numeric().size();
    List<ValueInfoProto> inputs = new ArrayList<>();
    List<String> parts = new ArrayList<>();
    if (numeric > 0) {
      String x = INPUT;
      inputs.add(valueInfo(INPUT, TensorProto.DataType.FLOAT, -1, numeric));
      float[] mean = java.util.Arrays.copyOf(toFloat(prep.mean()), numeric);
      float[] std = java.util.Arrays.copyOf(toFloat(prep.std()), numeric);
      x = e.op("Sub", List.of(x, e.init("feature_mean", mean, numeric)), Map.of());
      parts.add(e.op("Div", List.of(x, e.init("feature_std", std, numeric)), Map.of()));
    }
    for (Map.Entry<String, List<String>> c : encoding.categories().entrySet()) {
      String column = c.getKey();
      if (column.equals(INPUT)) {
        throw new IllegalArgumentException(
            "text column '" + INPUT + "' has the name of the model's float input; rename it");
      }
      inputs.add(valueInfo(column, TensorProto.DataType.STRING, -1, 1));
      parts.add(e.oneHot(column, c.getValue()));
    }
    String x = parts.size() == 1 ? parts.get(0) : e.op("Concat", parts, Map.of("axis", 1L));
    int width = f;
    for (NetworkWeights.Layer layer : weights.layers()) {
      if (layer instanceof NetworkWeights.Dense d) {
        if (d.in() != width) {
          throw new IllegalArgumentException("dense layer takes " + d.in() + ", gets " + width);
        }
        String w = e.init("dense_w", d.weight(), d.out(), d.in());
        String b = e.init("dense_b", d.bias(), d.out());
        x = e.op("Gemm", List.of(x, w, b), Map.of("transB", 1L));
        width = d.out();
      } else if (layer instanceof NetworkWeights.Norm n) {
        float[] scale = new float[n.size()];
        for (int i = 0; i < n.size(); i++) {
          scale[i] = (float) (n.gamma()[i] / Math.sqrt(n.var()[i] + n.eps()));
        }
        x = e.op("Sub", List.of(x, e.init("bn_mean", n.mean(), n.size())), Map.of());
        x = e.op("Mul", List.of(x, e.init("bn_scale", scale, n.size())), Map.of());
        x = e.op("Add", List.of(x, e.init("bn_beta", n.beta(), n.size())), Map.of());
      } else if (layer instanceof NetworkWeights.Act a) {
        x =
            e.op(
                switch (a.kind()) {
                  case "relu" -> "Relu";
                  case "tanh" -> "Tanh";
                  default -> throw new IllegalArgumentException("activation " + a.kind());
                },
                List.of(x),
                Map.of());
      }
    }
    List<ValueInfoProto> outputs = new ArrayList<>();
    if (classification) {
      int c = prep.classCount();
      e.nodes.add(node("Softmax", List.of(x), PROBABILITIES, Map.of("axis", 1L)));
      String idx = e.op("ArgMax", List.of(PROBABILITIES), Map.of("axis", 1L, "keepdims", 0L));
      String classes = e.init("classes", prep.classes(), c);
      e.nodes.add(node("Gather", List.of(classes, idx), LABEL, Map.of("axis", 0L)));
      outputs.add(valueInfo(PROBABILITIES, TensorProto.DataType.FLOAT, -1, c));
      outputs.add(valueInfo(LABEL, TensorProto.DataType.FLOAT, -1));
    } else {
      x =
          e.op(
              "Mul",
              List.of(x, e.init("label_std", new float[] {(float) prep.labelStd()}, 1)),
              Map.of());
      e.nodes.add(
          node(
              "Add",
              List.of(x, e.init("label_mean", new float[] {(float) prep.labelMean()}, 1)),
              PREDICTION,
              Map.of()));
      outputs.add(valueInfo(PREDICTION, TensorProto.DataType.FLOAT, -1, 1));
    }
    GraphProto graph =
        GraphProto.newBuilder()
            .setName(graphName)
            .addAllInput(inputs)
            .addAllOutput(outputs)
            .addAllInitializer(e.initializers)
            .addAllNode(e.nodes)
            .build();
    ModelProto.Builder model =
        ModelProto.newBuilder()
            .setIrVersion(7)
            .setProducerName("StreamForge")
            .setProducerVersion(producerVersion)
            .setDomain("io.streamforge")
            .setModelVersion(1)
            .setDocString("StreamForge MLP: raw features in, standardization inside the graph")
            .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
            .setGraph(graph);
    if (encoding.hasCategories()) {
      model.addOpsetImport(
          OnnxMl.OperatorSetIdProto.newBuilder().setDomain(ML_DOMAIN).setVersion(ML_OPSET));
    }
    new LinkedHashMap<>(metadata)
        .forEach(
            (k, v) ->
                model.addMetadataProps(
                    OnnxMl.StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
    return model.build().toByteArray();
  }

  /** {@code [N, 1]} strings → {@code [N, K]} floats, 1 at the category's index. */
  private String oneHot(String column, List<String> categories) {
    int k = categories.size();
    String codes = "codes_" + counter++;
    NodeProto.Builder encoder =
        NodeProto.newBuilder()
            .setOpType("LabelEncoder")
            .setDomain(ML_DOMAIN)
            .setName(codes + "_node")
            .addInput(column)
            .addOutput(codes);
    AttributeProto.Builder keys =
        AttributeProto.newBuilder()
            .setName("keys_strings")
            .setType(AttributeProto.AttributeType.STRINGS);
    AttributeProto.Builder values =
        AttributeProto.newBuilder()
            .setName("values_int64s")
            .setType(AttributeProto.AttributeType.INTS);
    for (int i = 0; i < k; i++) {
      keys.addStrings(com.google.protobuf.ByteString.copyFromUtf8(categories.get(i)));
      values.addInts(i);
    }
    encoder
        .addAttribute(keys)
        .addAttribute(values)
        .addAttribute(
            AttributeProto.newBuilder()
                .setName("default_int64")
                .setType(AttributeProto.AttributeType.INT)
                .setI(-1));
    nodes.add(encoder.build());
    long[] range = new long[k];
    for (int i = 0; i < k; i++) {
      range[i] = i;
    }
    String hot = op("Equal", List.of(codes, initLong("category_index", range, k)), Map.of());
    return op("Cast", List.of(hot), Map.of("to", (long) TensorProto.DataType.FLOAT.getNumber()));
  }

  private String initLong(String prefix, long[] values, long... dims) {
    String name = prefix + "_" + counter++;
    TensorProto.Builder t =
        TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT64.getNumber());
    for (long d : dims) {
      t.addDims(d);
    }
    for (long v : values) {
      t.addInt64Data(v);
    }
    initializers.add(t.build());
    return name;
  }

  private String op(String type, List<String> inputs, Map<String, Long> attrs) {
    String out = type.toLowerCase(java.util.Locale.ROOT) + "_" + counter++;
    nodes.add(node(type, inputs, out, attrs));
    return out;
  }

  private static NodeProto node(
      String type, List<String> inputs, String output, Map<String, Long> attrs) {
    NodeProto.Builder n =
        NodeProto.newBuilder()
            .setOpType(type)
            .setName(output + "_node")
            .addAllInput(inputs)
            .addOutput(output);
    attrs.forEach(
        (k, v) ->
            n.addAttribute(
                AttributeProto.newBuilder()
                    .setName(k)
                    .setType(AttributeProto.AttributeType.INT)
                    .setI(v)));
    return n.build();
  }

  private String init(String prefix, float[] values, long... dims) {
    String name = prefix + "_" + counter++;
    TensorProto.Builder t =
        TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT.getNumber());
    for (long d : dims) {
      t.addDims(d);
    }
    java.nio.ByteBuffer buf =
        java.nio.ByteBuffer.allocate(values.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    buf.asFloatBuffer().put(values);
    t.setRawData(com.google.protobuf.ByteString.copyFrom(buf.array()));
    initializers.add(t.build());
    return name;
  }

  private static ValueInfoProto valueInfo(String name, TensorProto.DataType type, long... dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (long d : dims) {
      shape.addDim(
          d < 0
              ? TensorShapeProto.Dimension.newBuilder().setDimParam("batch")
              : TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    }
    return ValueInfoProto.newBuilder()
        .setName(name)
        .setType(
            TypeProto.newBuilder()
                .setTensorType(
                    TypeProto.Tensor.newBuilder().setElemType(type.getNumber()).setShape(shape)))
        .build();
  }

  private static float[] toFloat(double[] v) {
    float[] out = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = (float) v[i];
    }
    return out;
  }
}
