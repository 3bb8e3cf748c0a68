package io.streamforge.training.quant;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamforge.training.core.GradientCollection;
import io.streamforge.training.core.RowSplit;
import io.streamforge.training.core.UnusableJobException;
import io.streamforge.training.data.BatchFeed;
import io.streamforge.training.data.TensorBatch;
import io.streamforge.training.onnx.OnnxExporter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Quantization-aware fine-tuning of ternary weights in DJL with a straight-through estimator
 * (BitNet b1.58): the forward pass uses {@code W + stopGradient(ternary(W) − W)}, which equals the
 * ternary weights {@code round(clip(W / s, −1, 1)) · s} with {@code s} = mean |W| per output
 * channel, while the gradient reaches the latent fp32 weights unchanged. A few epochs of Adam on
 * the training split (the same row-hash split as training) move the latent weights to where their
 * ternary projection fits the data; the result is ternarized by {@link QuantizedGraphs#ternary}.
 *
 * <p>The network is read from the fp32 graph itself: the chain of nodes from the input to the
 * logits (classification: the softmax's input) or to the prediction (regression), made of {@code
 * Gemm} dense layers, {@code Relu}, {@code Tanh} and {@code Sub}/{@code Div}/{@code Mul}/{@code
 * Add} with a constant operand (standardization, batch norm with its running statistics, the label
 * scale). Only the dense weights and biases are trained; batch norm stays frozen and there is no
 * dropout.
 */
public final class TernaryQat {
  private static final Logger log = LoggerFactory.getLogger(TernaryQat.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Default learning rate (Adam). */
  public static final double LEARNING_RATE = 1e-3;

  private TernaryQat() {}

  /**
   * Fine-tuned latent weights.
   *
   * @param weights {@code [out, in]} by B initializer name
   * @param biases by C initializer name
   * @param epochLoss mean training loss of each epoch
   */
  public record Result(
      Map<String, float[]> weights, Map<String, float[]> biases, List<Double> epochLoss) {}

  private record Step(String op, boolean constFirst, float[] constant, long[] dims, int dense) {}

  /**
   * Why the graph of {@code parent} cannot be fine-tuned (it is not a chain of the nodes above from
   * the input to the logits, e.g. an output-averaged ensemble of several networks), or empty when
   * it can.
   */
  public static java.util.Optional<String> unsupportedReason(ParentModel parent) {
    try {
      chain(parent, QuantizedGraphs.denseLayers(parent.graph()));
      return java.util.Optional.empty();
    } catch (UnusableJobException e) {
      return java.util.Optional.of(e.getMessage());
    }
  }

  /**
   * Fine-tunes the dense layers of {@code parent} for {@code epochs} passes over the training rows
   * of {@code feed}.
   *
   * @throws UnusableJobException when the graph is not a chain this fine-tuning understands
   */
  public static Result fineTune(
      ParentModel parent, BatchFeed feed, int epochs, double learningRate, long seed) {
    List<QuantizedGraphs.Dense> dense = QuantizedGraphs.denseLayers(parent.graph());
    List<Step> chain = chain(parent, dense);
    float[] classes = parent.classification() ? classes(parent) : new float[0];
    RowSplit split = new RowSplit(parent.validationFraction());
    int f = parent.features().size();
    int batch = parent.batchSize();
    List<Double> losses = new ArrayList<>();
    Engine engine = Engine.getEngine("PyTorch");
    try (NDManager base = NDManager.newBaseManager(Device.cpu(), engine.getEngineName())) {
      NDArray[] w = new NDArray[dense.size()];
      NDArray[] b = new NDArray[dense.size()];
      for (int k = 0; k < dense.size(); k++) {
        QuantizedGraphs.Dense d = dense.get(k);
        w[k] = base.create(d.w(), new Shape(d.out(), d.in()));
        w[k].setRequiresGradient(true);
        if (d.b() != null) {
          b[k] = base.create(d.b(), new Shape(d.out()));
          b[k].setRequiresGradient(true);
        }
      }
      NDArray[] constants = new NDArray[chain.size()];
      for (int i = 0; i < chain.size(); i++) {
        Step s = chain.get(i);
        if (s.constant() != null) {
          constants[i] = base.create(s.constant(), new Shape(s.dims()));
        }
      }
      Optimizer adam =
          Optimizer.adam().optLearningRateTracker(Tracker.fixed((float) learningRate)).build();
      Loss loss = parent.classification() ? Loss.softmaxCrossEntropyLoss() : Loss.l2Loss();
      float[] x = new float[batch * f];
      float[] y = new float[batch];
      for (int epoch = 1; epoch <= epochs; epoch++) {
        double lossSum = 0;
        long rows = 0;
        int n = 0;
        for (TensorBatch tb : feed.epoch().toIterable(2)) {
          int[] order =
              split.shuffledTrainingRows(
                  tb.x(),
                  tb.y(),
                  f,
                  new Random(seed * 1_000_003L + epoch * 7_919L + tb.sequence()));
          for (int r : order) {
            float label = tb.y()[r];
            if (parent.classification()) {
              int c = Arrays.binarySearch(classes, label);
              if (c < 0) {
                continue; // a class the fp32 model does not know: it cannot be trained towards
              }
              label = c;
            }
            System.arraycopy(tb.x(), r * f, x, n * f, f);
            y[n++] = label;
            if (n == batch) {
              lossSum += step(base, chain, constants, w, b, adam, loss, x, y, n, f, parent) * n;
              rows += n;
              n = 0;
            }
          }
        }
        if (n > 0) {
          lossSum += step(base, chain, constants, w, b, adam, loss, x, y, n, f, parent) * n;
          rows += n;
        }
        double mean = rows == 0 ? Double.NaN : lossSum / rows;
        if (!Double.isFinite(mean)) {
          throw new IllegalStateException(
              "ternary fine-tuning diverged in epoch " + epoch + " (loss " + mean + ")");
        }
        losses.add(mean);
        log.debug(
            "ternary fine-tuning of {} v{} epoch {}: loss {}",
            parent.model(),
            parent.version(),
            epoch,
            mean);
      }
      Map<String, float[]> weights = new LinkedHashMap<>();
      Map<String, float[]> biases = new LinkedHashMap<>();
      for (int k = 0; k < dense.size(); k++) {
        weights.put(dense.get(k).weight(), w[k].toFloatArray());
        if (b[k] != null) {
          biases.put(dense.get(k).bias(), b[k].toFloatArray());
        }
      }
      return new Result(weights, biases, List.copyOf(losses));
    }
  }

  private static double step(
      NDManager base,
      List<Step> chain,
      NDArray[] constants,
      NDArray[] w,
      NDArray[] b,
      Optimizer adam,
      Loss loss,
      float[] x,
      float[] y,
      int n,
      int f,
      ParentModel parent) {
    double value;
    try (NDScope scope = new NDScope();
        NDManager m = base.newSubManager()) {
      NDArray h = m.create(Arrays.copyOf(x, n * f), new Shape(n, f));
      NDArray labels =
          parent.classification()
              ? m.create(indices(y, n), new Shape(n))
              : m.create(Arrays.copyOf(y, n), new Shape(n, 1));
      GradientCollection.LOCK.lock(); // one collector per JVM: concurrent jobs take turns
      try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
        for (int i = 0; i < chain.size(); i++) {
          Step s = chain.get(i);
          NDArray c = constants[i];
          h =
              switch (s.op()) {
                case "Sub" -> s.constFirst() ? c.sub(h) : h.sub(c);
                case "Div" -> s.constFirst() ? c.div(h) : h.div(c);
                case "Mul" -> h.mul(c);
                case "Add" -> h.add(c);
                case "Relu" -> h.maximum(0f);
                case "Tanh" -> h.tanh();
                case "Gemm" -> {
                  NDArray out = h.matMul(ternaryStraightThrough(w[s.dense()]).transpose());
                  yield b[s.dense()] == null ? out : out.add(b[s.dense()]);
                }
                default -> throw new IllegalStateException("op " + s.op());
              };
        }
        NDArray l = loss.evaluate(new NDList(labels), new NDList(h));
        gc.backward(l);
        value = l.getFloat();
      } finally {
        GradientCollection.LOCK.unlock();
      }
    }
    for (int k = 0; k < w.length; k++) {
      update(adam, "w" + k, w[k]);
      if (b[k] != null) {
        update(adam, "b" + k, b[k]);
      }
    }
    return value;
  }

  private static long[] indices(float[] y, int n) {
    long[] out = new long[n];
    for (int i = 0; i < n; i++) {
      out[i] = (long) y[i];
    }
    return out;
  }

  /** {@code W + stopGradient(ternary(W) − W)}. */
  static NDArray ternaryStraightThrough(NDArray w) {
    NDArray scale = w.abs().mean(new int[] {1}, true).maximum(1e-8f);
    NDArray q = w.div(scale).clip(-1, 1).round().mul(scale);
    return w.add(q.sub(w).stopGradient());
  }

  private static void update(Optimizer adam, String id, NDArray param) {
    try (NDArray grad = param.getGradient()) {
      adam.update(id, param, grad);
      grad.muli(0); // gradients accumulate across backward passes otherwise
    }
  }

  /** The chain of steps from the input to the logits (or prediction). */
  static List<Step> chain(ParentModel parent, List<QuantizedGraphs.Dense> dense) {
    GraphProto g = parent.graph().getGraph();
    Map<String, TensorProto> inits = new HashMap<>();
    g.getInitializerList().forEach(t -> inits.put(t.getName(), t));
    Map<String, Integer> producer = new HashMap<>();
    for (int i = 0; i < g.getNodeCount(); i++) {
      for (String o : g.getNode(i).getOutputList()) {
        producer.put(o, i);
      }
    }
    String target = parent.classification() ? softmaxInput(g) : OnnxExporter.PREDICTION;
    Map<Integer, Integer> denseByNode = new HashMap<>();
    for (int k = 0; k < dense.size(); k++) {
      denseByNode.put(dense.get(k).node(), k);
    }
    List<Step> reversed = new ArrayList<>();
    String t = target;
    String input = g.getInput(0).getName();
    while (!t.equals(input)) {
      Integer i = producer.get(t);
      if (i == null) {
        throw unsupported("tensor " + t + " has no producing node");
      }
      NodeProto n = g.getNode(i);
      String op = n.getOpType();
      if (op.equals("Gemm")) {
        Integer k = denseByNode.get(i);
        if (k == null) {
          throw unsupported("Gemm " + n.getName() + " has no constant weight");
        }
        reversed.add(new Step(op, false, null, null, k));
        t = n.getInput(0);
      } else if (op.equals("Relu") || op.equals("Tanh")) {
        reversed.add(new Step(op, false, null, null, -1));
        t = n.getInput(0);
      } else if (List.of("Sub", "Div", "Mul", "Add").contains(op) && n.getInputCount() == 2) {
        boolean firstConst = inits.containsKey(n.getInput(0));
        boolean secondConst = inits.containsKey(n.getInput(1));
        if (firstConst == secondConst) {
          throw unsupported(op + " " + n.getName() + " without exactly one constant operand");
        }
        TensorProto c = inits.get(n.getInput(firstConst ? 0 : 1));
        long[] dims = c.getDimsList().stream().mapToLong(Long::longValue).toArray();
        reversed.add(new Step(op, firstConst, Onnx.floatValues(c), dims, -1));
        t = n.getInput(firstConst ? 1 : 0);
      } else {
        throw unsupported("op " + op + " (" + n.getName() + ")");
      }
    }
    List<Step> chain = new ArrayList<>(reversed.size());
    for (int i = reversed.size() - 1; i >= 0; i--) {
      chain.add(reversed.get(i));
    }
    return chain;
  }

  private static String softmaxInput(GraphProto g) {
    for (NodeProto n : g.getNodeList()) {
      if (n.getOpType().equals("Softmax")
          && n.getOutputCount() == 1
          && n.getOutput(0).equals(OnnxExporter.PROBABILITIES)) {
        return n.getInput(0);
      }
    }
    throw unsupported("no Softmax producing '" + OnnxExporter.PROBABILITIES + "'");
  }

  private static float[] classes(ParentModel parent) {
    String json = parent.metadata().get("streamforge.classes");
    if (json == null) {
      throw new UnusableJobException(
          "model " + parent.model() + " v" + parent.version() + " lacks 'streamforge.classes'");
    }
    try {
      List<Float> list = JSON.readValue(json, new TypeReference<>() {});
      float[] out = new float[list.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = list.get(i);
      }
      Arrays.sort(out);
      return out;
    } catch (java.io.IOException e) {
      throw new UnusableJobException("unreadable 'streamforge.classes': " + e.getMessage(), e);
    }
  }

  private static UnusableJobException unsupported(String what) {
    return new UnusableJobException(
        "ternary fine-tuning (qat_epochs > 0) understands a chain of Gemm, Relu, Tanh and"
            + " constant Sub/Div/Mul/Add from the input to the logits; this graph has "
            + what);
  }
}
