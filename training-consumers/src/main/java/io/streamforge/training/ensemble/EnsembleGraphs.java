package io.streamforge.training.ensemble;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamforge.training.core.UnusableJobException;
import io.streamforge.training.onnx.OnnxExporter;
import io.streamforge.training.quant.Onnx;
import io.streamforge.training.quant.ParentModel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The ONNX graphs of an ensemble, written so that the result serves exactly like one exported
 * model: input {@code features} {@code [N, F]} raw values; outputs {@code probabilities} {@code [N,
 * classes]} and {@code label} {@code [N]} (the raw class value, float) for a classifier, or {@code
 * prediction} {@code [N, 1]} for a regressor — the names, types and shapes of {@link
 * OnnxExporter}'s models, so the edge's signature check and the conversion's parity check need
 * nothing new.
 *
 * <ul>
 *   <li><b>Output averaging</b>: every member's graph, up to its {@code probabilities} (or {@code
 *       prediction}), with its node, tensor and initializer names prefixed {@code m<i>_} so they do
 *       not collide, all reading the one shared input; a {@code Mean} of their outputs is the
 *       ensemble's {@code probabilities} (or {@code prediction}), then {@code ArgMax} and a {@code
 *       Gather} of the class values give {@code label}, as in an exported classifier.
 *   <li><b>Weight averaging</b>: the first member's graph with each float initializer replaced by
 *       the element-wise mean of the members' same initializer.
 * </ul>
 */
public final class EnsembleGraphs {
  /** Name of the class-values initializer of an output-averaged graph. */
  static final String CLASSES = "ensemble_classes";

  private static final ObjectMapper JSON = new ObjectMapper();

  private EnsembleGraphs() {}

  /**
   * Checks that a member has the exporter's input and outputs.
   *
   * @throws UnusableJobException naming what is missing
   */
  static void requireServingSignature(ParentModel m) {
    GraphProto g = m.graph().getGraph();
    if (g.getInputCount() != 1 || !g.getInput(0).getName().equals(OnnxExporter.INPUT)) {
      throw new UnusableJobException(
          "member "
              + Compatibility.name(m)
              + " does not take the single input '"
              + OnnxExporter.INPUT
              + "' of an exported model");
    }
    List<String> outputs = g.getOutputList().stream().map(ValueInfoProto::getName).toList();
    List<String> expected =
        m.classification()
            ? List.of(OnnxExporter.PROBABILITIES, OnnxExporter.LABEL)
            : List.of(OnnxExporter.PREDICTION);
    if (!outputs.containsAll(expected)) {
      throw new UnusableJobException(
          "member "
              + Compatibility.name(m)
              + " has outputs "
              + outputs
              + "; an exported "
              + (m.classification() ? "classifier" : "regressor")
              + " has "
              + expected);
    }
  }

  /**
   * A classifier's class values in the order of its probability columns: the constant the {@code
   * label} output gathers from.
   *
   * @throws UnusableJobException when the graph has no such constant
   */
  static float[] classes(ParentModel m) {
    GraphProto g = m.graph().getGraph();
    Map<String, TensorProto> inits = initializers(g);
    for (NodeProto n : g.getNodeList()) {
      if (n.getOpType().equals("Gather")
          && n.getOutputCount() == 1
          && n.getOutput(0).equals(OnnxExporter.LABEL)
          && inits.containsKey(n.getInput(0))
          && inits.get(n.getInput(0)).getDataType() == Onnx.FLOAT) {
        return Onnx.floatValues(inits.get(n.getInput(0)));
      }
    }
    throw new UnusableJobException(
        "member "
            + Compatibility.name(m)
            + " has no constant class values behind its '"
            + OnnxExporter.LABEL
            + "' output");
  }

  /**
   * The output-averaging graph of {@code members} (which {@link Compatibility#of} accepted),
   * without metadata.
   */
  public static ModelProto outputAverage(List<ParentModel> members, Compatibility c) {
    String out = c.classification() ? OnnxExporter.PROBABILITIES : OnnxExporter.PREDICTION;
    ParentModel first = members.get(0);
    GraphProto.Builder g =
        GraphProto.newBuilder().setName("ensemble").addInput(first.graph().getGraph().getInput(0));
    List<String> memberOutputs = new ArrayList<>();
    for (int i = 0; i < members.size(); i++) {
      String prefix = "m" + i + "_";
      GraphProto mg = members.get(i).graph().getGraph();
      Set<String> needed = ancestors(mg, out);
      for (NodeProto n : mg.getNodeList()) {
        if (n.getOutputList().stream().noneMatch(needed::contains)) {
          continue;
        }
        NodeProto.Builder b =
            n.toBuilder().clearInput().clearOutput().setName(prefix + n.getName());
        n.getInputList().forEach(x -> b.addInput(rename(x, prefix)));
        n.getOutputList().forEach(x -> b.addOutput(rename(x, prefix)));
        g.addNode(b);
      }
      for (TensorProto t : mg.getInitializerList()) {
        if (needed.contains(t.getName())) {
          g.addInitializer(t.toBuilder().setName(prefix + t.getName()));
        }
      }
      memberOutputs.add(prefix + out);
    }
    g.addNode(Onnx.node("Mean", "ensemble_mean", memberOutputs, List.of(out), Map.of()));
    if (c.classification()) {
      float[] classes = c.classes();
      g.addInitializer(Onnx.floats(CLASSES, classes, classes.length));
      g.addNode(
          Onnx.node(
              "ArgMax",
              "ensemble_argmax",
              List.of(OnnxExporter.PROBABILITIES),
              List.of("ensemble_class_index"),
              Map.of("axis", 1L, "keepdims", 0L)));
      g.addNode(
          Onnx.node(
              "Gather",
              "ensemble_label",
              List.of(CLASSES, "ensemble_class_index"),
              List.of(OnnxExporter.LABEL),
              Map.of("axis", 0L)));
      g.addOutput(output(first, OnnxExporter.PROBABILITIES));
      g.addOutput(output(first, OnnxExporter.LABEL));
    } else {
      g.addOutput(output(first, OnnxExporter.PREDICTION));
    }
    return first.graph().toBuilder().clearMetadataProps().setGraph(g).build();
  }

  /**
   * Why the members cannot be weight-averaged, or empty when they can: weight averaging needs the
   * same graph (nodes, their wiring and attributes, the same initializers with the same types and
   * shapes); only the float values may differ.
   */
  public static Optional<String> weightAverageMismatch(List<ParentModel> members) {
    ParentModel first = members.get(0);
    GraphProto a = first.graph().getGraph();
    for (ParentModel m : members.subList(1, members.size())) {
      GraphProto b = m.graph().getGraph();
      String pair = Compatibility.name(first) + " and " + Compatibility.name(m);
      if (a.getNodeCount() != b.getNodeCount()) {
        return Optional.of(
            pair
                + " have "
                + a.getNodeCount()
                + " and "
                + b.getNodeCount()
                + " nodes (architectures "
                + architecture(first)
                + " and "
                + architecture(m)
                + ")");
      }
      for (int i = 0; i < a.getNodeCount(); i++) {
        NodeProto x = a.getNode(i);
        NodeProto y = b.getNode(i);
        if (!x.getOpType().equals(y.getOpType())
            || !x.getDomain().equals(y.getDomain())
            || !x.getInputList().equals(y.getInputList())
            || !x.getOutputList().equals(y.getOutputList())
            || !x.getAttributeList().equals(y.getAttributeList())) {
          return Optional.of(
              pair
                  + " differ at node "
                  + i
                  + " ("
                  + x.getOpType()
                  + " "
                  + x.getInputList()
                  + " vs "
                  + y.getOpType()
                  + " "
                  + y.getInputList()
                  + ")");
        }
      }
      Map<String, TensorProto> bi = initializers(b);
      if (a.getInitializerCount() != b.getInitializerCount()) {
        return Optional.of(
            pair
                + " have "
                + a.getInitializerCount()
                + " and "
                + b.getInitializerCount()
                + " weight tensors");
      }
      for (TensorProto t : a.getInitializerList()) {
        TensorProto u = bi.get(t.getName());
        if (u == null) {
          return Optional.of(pair + " differ: tensor " + t.getName() + " is missing in the second");
        }
        if (t.getDataType() != u.getDataType() || !t.getDimsList().equals(u.getDimsList())) {
          return Optional.of(
              pair
                  + " differ in the shape of "
                  + t.getName()
                  + ": "
                  + t.getDimsList()
                  + " vs "
                  + u.getDimsList());
        }
        if (t.getDataType() != Onnx.FLOAT && !t.equals(u)) {
          return Optional.of(pair + " differ in the non-float constant " + t.getName());
        }
      }
    }
    return Optional.empty();
  }

  /**
   * The element-wise mean of every float initializer over the members (accumulated in double), by
   * name. Only for members {@link #weightAverageMismatch} accepts.
   */
  public static Map<String, float[]> averagedInitializers(List<ParentModel> members) {
    Map<String, float[]> out = new LinkedHashMap<>();
    List<Map<String, TensorProto>> all =
        members.stream().map(m -> initializers(m.graph().getGraph())).toList();
    for (TensorProto t : members.get(0).graph().getGraph().getInitializerList()) {
      if (t.getDataType() != Onnx.FLOAT) {
        continue;
      }
      double[] sum = new double[Onnx.floatValues(t).length];
      for (Map<String, TensorProto> m : all) {
        float[] v = Onnx.floatValues(m.get(t.getName()));
        for (int i = 0; i < sum.length; i++) {
          sum[i] += v[i];
        }
      }
      float[] mean = new float[sum.length];
      for (int i = 0; i < sum.length; i++) {
        mean[i] = (float) (sum[i] / members.size());
      }
      out.put(t.getName(), mean);
    }
    return out;
  }

  /**
   * {@code model} with the named float initializers' values replaced (same names and shapes),
   * without metadata: the weight-averaging graph when {@code values} are the averaged initializers.
   */
  public static ModelProto withInitializers(ModelProto model, Map<String, float[]> values) {
    GraphProto g = model.getGraph();
    GraphProto.Builder b = g.toBuilder().clearInitializer();
    for (TensorProto t : g.getInitializerList()) {
      float[] v = values.get(t.getName());
      if (v == null) {
        b.addInitializer(t);
        continue;
      }
      long[] dims = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
      if (Arrays.stream(dims).reduce(1, (x, y) -> x * y) != v.length) {
        throw new IllegalArgumentException(
            "tensor " + t.getName() + " has shape " + t.getDimsList() + ", not " + v.length);
      }
      b.addInitializer(Onnx.floats(t.getName(), v, dims));
    }
    return model.toBuilder().clearMetadataProps().setGraph(b).build();
  }

  private static String rename(String tensor, String prefix) {
    return tensor.isEmpty() || tensor.equals(OnnxExporter.INPUT) ? tensor : prefix + tensor;
  }

  /**
   * Every tensor (node outputs and initializers) that {@code target} is computed from, itself too.
   */
  private static Set<String> ancestors(GraphProto g, String target) {
    Map<String, NodeProto> producer = new HashMap<>();
    for (NodeProto n : g.getNodeList()) {
      n.getOutputList().forEach(o -> producer.put(o, n));
    }
    Set<String> seen = new HashSet<>();
    Deque<String> todo = new ArrayDeque<>(List.of(target));
    while (!todo.isEmpty()) {
      String t = todo.pop();
      if (t.isEmpty() || !seen.add(t)) {
        continue;
      }
      NodeProto n = producer.get(t);
      if (n != null) {
        todo.addAll(n.getInputList());
      }
    }
    return seen;
  }

  private static ValueInfoProto output(ParentModel m, String name) {
    return m.graph().getGraph().getOutputList().stream()
        .filter(v -> v.getName().equals(name))
        .findFirst()
        .orElseThrow(
            () ->
                new UnusableJobException(
                    "member " + Compatibility.name(m) + " has no output '" + name + "'"));
  }

  private static Map<String, TensorProto> initializers(GraphProto g) {
    Map<String, TensorProto> out = new HashMap<>();
    g.getInitializerList().forEach(t -> out.put(t.getName(), t));
    return out;
  }

  private static String architecture(ParentModel m) {
    try {
      JsonNode a =
          JSON.readTree(m.metadata().getOrDefault("streamforge.hyperparameters", "{}"))
              .path("architecture");
      if (!a.isObject()) {
        return "unknown";
      }
      return "hidden "
          + a.path("hiddenSizes")
          + " "
          + a.path("activation").asText("?")
          + (a.path("batchNorm").asBoolean(false) ? " batch norm" : "");
    } catch (java.io.IOException e) {
      return "unknown";
    }
  }
}
