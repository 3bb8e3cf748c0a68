package io.streamforge.training.quant;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.streamforge.arrowio.models.TernaryPacking;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Rewrites of an fp32 ONNX graph into quantized graphs that ONNX Runtime runs. The unit of every
 * rewrite is a <em>dense layer</em>: a {@code Gemm} whose B is a constant 2-D float initializer
 * (used by that node alone), with {@code alpha = beta = 1}, no {@code transA}, and an optional
 * constant 1-D bias. Every other node (standardization, batch norm, activations, softmax, the label
 * lookup) is kept as it is, so a variant takes and returns exactly what its parent does.
 *
 * <ul>
 *   <li><b>int8-weight</b>: B becomes int8 per output channel → {@code DequantizeLinear(axis=0)} →
 *       the same {@code Gemm}. Activations stay fp32.
 *   <li><b>int8-static</b> (QDQ): the layer input goes through {@code QuantizeLinear} → {@code
 *       DequantizeLinear} with a calibrated uint8 scale and zero point; B as above; the bias
 *       becomes int32 with scale {@code s_x * s_w[j]} behind its own {@code DequantizeLinear}. ONNX
 *       Runtime fuses such groups into integer kernels ({@code QGemm}).
 *   <li><b>int8-dynamic</b>: {@code DynamicQuantizeLinear} (uint8, per tensor, at run time) →
 *       {@code MatMulInteger} with the transposed int8 weights → {@code Cast} → {@code Mul} by
 *       {@code s_x * s_w} → {@code Add} bias; ONNX Runtime fuses it into {@code
 *       DynamicQuantizeMatMul}.
 *   <li><b>ternary</b>: like int8-weight with BitNet b1.58 values {−1, 0, 1} and scale mean |W| per
 *       output channel.
 * </ul>
 */
public final class QuantizedGraphs {
  private QuantizedGraphs() {}

  /**
   * A dense layer of the graph: {@code output = input · Wᵀ + bias}.
   *
   * @param node the Gemm node's index in the graph
   * @param weight the B initializer's name
   * @param bias the C initializer's name, or null
   * @param w weights {@code [out, in]}, row-major (transposed from B when the Gemm has {@code
   *     transB=0})
   * @param b bias {@code [out]}, or null
   */
  public record Dense(
      int node,
      String input,
      String output,
      String weight,
      String bias,
      int out,
      int in,
      float[] w,
      float[] b) {}

  /**
   * A ternary graph and the int8 initializers that hold its {−1, 0, 1} weights (what the published
   * artifact packs at 2 bits).
   */
  public record TernaryGraph(ModelProto model, List<String> ternaryInitializers) {
    public TernaryGraph {
      ternaryInitializers = List.copyOf(ternaryInitializers);
    }
  }

  /** The graph's dense layers, in node order. */
  public static List<Dense> denseLayers(ModelProto m) {
    GraphProto g = m.getGraph();
    Map<String, TensorProto> inits = new HashMap<>();
    for (TensorProto t : g.getInitializerList()) {
      inits.put(t.getName(), t);
    }
    Map<String, Integer> uses = new HashMap<>();
    for (NodeProto n : g.getNodeList()) {
      for (String in : n.getInputList()) {
        uses.merge(in, 1, Integer::sum);
      }
    }
    List<Dense> out = new ArrayList<>();
    for (int i = 0; i < g.getNodeCount(); i++) {
      NodeProto n = g.getNode(i);
      if (!n.getOpType().equals("Gemm") || n.getInputCount() < 2 || !n.getDomain().isEmpty()) {
        continue;
      }
      TensorProto w = inits.get(n.getInput(1));
      if (w == null
          || w.getDataType() != Onnx.FLOAT
          || w.getDimsCount() != 2
          || uses.getOrDefault(w.getName(), 0) != 1
          || Onnx.intAttribute(n, "transA", 0) != 0
          || Onnx.floatAttribute(n, "alpha", 1f) != 1f
          || Onnx.floatAttribute(n, "beta", 1f) != 1f) {
        continue;
      }
      boolean transB = Onnx.intAttribute(n, "transB", 0) == 1;
      int rows = (int) w.getDims(0);
      int cols = (int) w.getDims(1);
      int units = transB ? rows : cols;
      int in = transB ? cols : rows;
      float[] values = Onnx.floatValues(w);
      float[] wt = values;
      if (!transB) {
        wt = new float[values.length];
        for (int r = 0; r < rows; r++) {
          for (int c = 0; c < cols; c++) {
            wt[c * rows + r] = values[r * cols + c];
          }
        }
      }
      String biasName = null;
      float[] bias = null;
      if (n.getInputCount() > 2 && !n.getInput(2).isEmpty()) {
        TensorProto c = inits.get(n.getInput(2));
        if (c == null
            || c.getDataType() != Onnx.FLOAT
            || c.getDimsCount() != 1
            || c.getDims(0) != units
            || uses.getOrDefault(c.getName(), 0) != 1) {
          continue; // a bias that is not this layer's own constant vector: leave the layer alone
        }
        biasName = c.getName();
        bias = Onnx.floatValues(c);
      }
      out.add(
          new Dense(i, n.getInput(0), n.getOutput(0), w.getName(), biasName, units, in, wt, bias));
    }
    return out;
  }

  /** int8 weights, fp32 activations. */
  public static ModelProto int8Weight(ModelProto m) {
    return weightOnly(m, false, Map.of(), Map.of()).model();
  }

  /**
   * Ternary weights, fp32 activations.
   *
   * @param weights replacement weights {@code [out, in]} by B initializer name (fine-tuned ones),
   *     else the graph's
   * @param biases replacement biases by C initializer name, else the graph's
   */
  public static TernaryGraph ternary(
      ModelProto m, Map<String, float[]> weights, Map<String, float[]> biases) {
    return weightOnly(m, true, weights, biases);
  }

  private static TernaryGraph weightOnly(
      ModelProto m, boolean ternary, Map<String, float[]> weights, Map<String, float[]> biases) {
    List<Dense> layers = requireDense(m);
    Rewrite rw = new Rewrite(m);
    List<String> ternaryNames = new ArrayList<>();
    for (Dense d : layers) {
      float[] w = weights.getOrDefault(d.weight(), d.w());
      WeightQuantization.Quantized q =
          ternary
              ? WeightQuantization.ternaryPerChannel(w, d.out(), d.in())
              : WeightQuantization.int8PerChannel(w, d.out(), d.in());
      String p = d.weight() + (ternary ? "_t" : "_q");
      rw.remove(d.weight());
      rw.add(Onnx.int8s(p, q.values(), d.out(), d.in()));
      rw.add(Onnx.floats(p + "_scale", q.scales(), d.out()));
      if (ternary) {
        ternaryNames.add(p);
      }
      String bias = d.bias();
      if (bias != null && biases.containsKey(bias)) {
        rw.remove(bias);
        rw.add(Onnx.floats(bias, biases.get(bias), d.out()));
      }
      List<NodeProto> nodes = new ArrayList<>();
      nodes.add(
          Onnx.node(
              "DequantizeLinear",
              p + "_dq",
              List.of(p, p + "_scale"),
              List.of(p + "_deq"),
              Map.of("axis", 0L)));
      List<String> in = new ArrayList<>(List.of(d.input(), p + "_deq"));
      if (bias != null) {
        in.add(bias);
      }
      nodes.add(gemm(d, in));
      rw.replace(d.node(), nodes);
    }
    return new TernaryGraph(rw.build(), ternaryNames);
  }

  /** Dynamic int8: activations quantized at run time, weights per output channel. */
  public static ModelProto int8Dynamic(ModelProto m) {
    List<Dense> layers = requireDense(m);
    Rewrite rw = new Rewrite(m);
    for (Dense d : layers) {
      WeightQuantization.Quantized q = WeightQuantization.int8PerChannel(d.w(), d.out(), d.in());
      String p = d.weight() + "_dyn";
      rw.remove(d.weight());
      rw.add(Onnx.int8s(p, q.transposedValues(), d.in(), d.out()));
      rw.add(Onnx.floats(p + "_scale", q.scales(), d.out()));
      String x = p + "_x";
      String y = d.bias() == null ? d.output() : p + "_y";
      List<NodeProto> nodes = new ArrayList<>();
      nodes.add(
          Onnx.node(
              "DynamicQuantizeLinear",
              p + "_quantize",
              List.of(d.input()),
              List.of(x + "_q", x + "_scale", x + "_zero"),
              Map.of()));
      nodes.add(
          Onnx.node(
              "Mul",
              p + "_scales",
              List.of(x + "_scale", p + "_scale"),
              List.of(p + "_scales"),
              Map.of()));
      nodes.add(
          Onnx.node(
              "MatMulInteger",
              p + "_matmul",
              List.of(x + "_q", p, x + "_zero"),
              List.of(p + "_i32"),
              Map.of()));
      nodes.add(
          Onnx.node(
              "Cast", p + "_cast", List.of(p + "_i32"), List.of(p + "_f32"), Map.of("to", 1L)));
      nodes.add(
          Onnx.node(
              "Mul", p + "_rescale", List.of(p + "_f32", p + "_scales"), List.of(y), Map.of()));
      if (d.bias() != null) {
        nodes.add(
            Onnx.node("Add", p + "_bias", List.of(y, d.bias()), List.of(d.output()), Map.of()));
      }
      rw.replace(d.node(), nodes);
    }
    return rw.build();
  }

  /**
   * Static int8 QDQ.
   *
   * @param inputRanges calibrated range of each dense layer's input tensor, by tensor name
   * @throws IllegalArgumentException when a layer input has no range
   */
  public static ModelProto int8Static(ModelProto m, Map<String, Calibrator.Range> inputRanges) {
    List<Dense> layers = requireDense(m);
    Rewrite rw = new Rewrite(m);
    Map<String, String> dequantized = new HashMap<>(); // input tensor -> its Q/DQ output
    Map<String, Float> inputScales = new HashMap<>();
    for (Dense d : layers) {
      Calibrator.Range r = inputRanges.get(d.input());
      if (r == null) {
        throw new IllegalArgumentException("no calibrated range for tensor " + d.input());
      }
      List<NodeProto> nodes = new ArrayList<>();
      String xd = dequantized.get(d.input());
      if (xd == null) {
        Calibrator.Affine a = r.uint8();
        String x = d.input() + "_qdq";
        rw.add(Onnx.floats(x + "_scale", new float[] {a.scale()}));
        rw.add(Onnx.uint8s(x + "_zero", new byte[] {(byte) a.zeroPoint()}));
        nodes.add(
            Onnx.node(
                "QuantizeLinear",
                x + "_quantize",
                List.of(d.input(), x + "_scale", x + "_zero"),
                List.of(x + "_q"),
                Map.of()));
        xd = x + "_deq";
        nodes.add(
            Onnx.node(
                "DequantizeLinear",
                x + "_dequantize",
                List.of(x + "_q", x + "_scale", x + "_zero"),
                List.of(xd),
                Map.of()));
        dequantized.put(d.input(), xd);
        inputScales.put(d.input(), a.scale());
      }
      float sx = inputScales.get(d.input());
      WeightQuantization.Quantized q = WeightQuantization.int8PerChannel(d.w(), d.out(), d.in());
      String p = d.weight() + "_q";
      rw.remove(d.weight());
      rw.add(Onnx.int8s(p, q.values(), d.out(), d.in()));
      rw.add(Onnx.floats(p + "_scale", q.scales(), d.out()));
      // explicit zero points: ONNX Runtime's QGemm wants them shaped like the scales
      rw.add(Onnx.int8s(p + "_zero", new byte[d.out()], d.out()));
      nodes.add(
          Onnx.node(
              "DequantizeLinear",
              p + "_dq",
              List.of(p, p + "_scale", p + "_zero"),
              List.of(p + "_deq"),
              Map.of("axis", 0L)));
      List<String> in = new ArrayList<>(List.of(xd, p + "_deq"));
      if (d.bias() != null) {
        float[] bs = new float[d.out()];
        int[] bq = new int[d.out()];
        for (int j = 0; j < d.out(); j++) {
          bs[j] = sx * q.scales()[j];
          double v = Math.rint(d.b()[j] / (double) bs[j]);
          bq[j] = (int) Math.max(Integer.MIN_VALUE + 1, Math.min(Integer.MAX_VALUE, v));
        }
        String b = d.bias() + "_q";
        rw.remove(d.bias());
        rw.add(Onnx.int32s(b, bq, d.out()));
        rw.add(Onnx.floats(b + "_scale", bs, d.out()));
        rw.add(Onnx.int32s(b + "_zero", new int[d.out()], d.out()));
        nodes.add(
            Onnx.node(
                "DequantizeLinear",
                b + "_dq",
                List.of(b, b + "_scale", b + "_zero"),
                List.of(b + "_deq"),
                Map.of("axis", 0L)));
        in.add(b + "_deq");
      }
      nodes.add(gemm(d, in));
      rw.replace(d.node(), nodes);
    }
    return rw.build();
  }

  /**
   * The published form of a ternary graph: its ternary initializers packed at 2 bits, the rest of
   * the model as it is ({@link TernaryPacking}).
   */
  public static byte[] pack(TernaryGraph g) {
    Set<String> names = new HashSet<>(g.ternaryInitializers());
    GraphProto.Builder graph = g.model().getGraph().toBuilder().clearInitializer();
    List<TernaryPacking.Tensor> tensors = new ArrayList<>();
    for (TensorProto t : g.model().getGraph().getInitializerList()) {
      if (names.contains(t.getName())) {
        long[] dims = new long[t.getDimsCount()];
        for (int i = 0; i < dims.length; i++) {
          dims[i] = t.getDims(i);
        }
        tensors.add(new TernaryPacking.Tensor(t.getName(), dims, Onnx.byteValues(t)));
      } else {
        graph.addInitializer(t);
      }
    }
    byte[] stripped = g.model().toBuilder().setGraph(graph).build().toByteArray();
    return TernaryPacking.write(stripped, tensors);
  }

  private static NodeProto gemm(Dense d, List<String> inputs) {
    return Onnx.node(
        "Gemm", d.output() + "_gemm", inputs, List.of(d.output()), Map.of("transB", 1L));
  }

  private static List<Dense> requireDense(ModelProto m) {
    List<Dense> layers = denseLayers(m);
    if (layers.isEmpty()) {
      throw new IllegalArgumentException(
          "the model has no dense layer to quantize (a Gemm with a constant 2-D float weight)");
    }
    return layers;
  }

  /** A graph being rewritten: nodes replaced by index, initializers removed and added. */
  private static final class Rewrite {
    private final ModelProto model;
    private final Map<Integer, List<NodeProto>> replaced = new HashMap<>();
    private final Set<String> removed = new HashSet<>();
    private final Map<String, TensorProto> added = new LinkedHashMap<>();

    Rewrite(ModelProto model) {
      this.model = model;
    }

    void replace(int node, List<NodeProto> nodes) {
      replaced.put(node, nodes);
    }

    void remove(String initializer) {
      removed.add(initializer);
    }

    void add(TensorProto t) {
      added.put(t.getName(), t);
    }

    ModelProto build() {
      GraphProto g = model.getGraph();
      GraphProto.Builder b = g.toBuilder().clearNode().clearInitializer();
      for (int i = 0; i < g.getNodeCount(); i++) {
        List<NodeProto> r = replaced.get(i);
        if (r == null) {
          b.addNode(g.getNode(i));
        } else {
          b.addAllNode(r);
        }
      }
      for (TensorProto t : g.getInitializerList()) {
        if (!removed.contains(t.getName()) && !added.containsKey(t.getName())) {
          b.addInitializer(t);
        }
      }
      b.addAllInitializer(added.values());
      return model.toBuilder().setGraph(b).build();
    }
  }
}
