package io.streamforge.training.core;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.Dropout;
import io.streamforge.schemas.records.TrainingJob.Architecture;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * An MLP built from a job's architecture: per hidden size a dense layer, optional batch norm, the
 * activation and optional dropout; then a dense output layer. Keeps its layers in order so the
 * trained weights can be read back as {@link NetworkWeights}.
 */
public final class Mlp {
  static final float BN_EPSILON = 1e-5f;

  private final SequentialBlock block = new SequentialBlock();
  private final List<Object> layers = new ArrayList<>(); // Linear, BatchNorm or activation name
  private final List<Integer> widths = new ArrayList<>();

  private Mlp() {}

  /** Activations the exporter supports. */
  public static final List<String> ACTIVATIONS = List.of("relu", "tanh");

  /**
   * @throws UnusableJobException for an unsupported block type or activation, or bad sizes
   */
  public static Mlp build(Architecture arch, int outputs) {
    String type = arch.type() == null ? "mlp" : arch.type().toLowerCase(Locale.ROOT);
    if (!type.equals("mlp")) {
      throw new UnusableJobException(
          "architecture type '" + arch.type() + "' is not supported; supported: mlp");
    }
    String act = arch.activation() == null ? "relu" : arch.activation().toLowerCase(Locale.ROOT);
    if (!ACTIVATIONS.contains(act)) {
      throw new UnusableJobException(
          "activation '" + arch.activation() + "' is not supported; supported: " + ACTIVATIONS);
    }
    if (!(arch.dropout() >= 0 && arch.dropout() < 1)) {
      throw new UnusableJobException("dropout must be in [0, 1), was " + arch.dropout());
    }
    Mlp mlp = new Mlp();
    List<Integer> hidden = arch.hiddenSizes() == null ? List.of() : arch.hiddenSizes();
    for (int h : hidden) {
      if (h < 1 || h > 65_536) {
        throw new UnusableJobException("hidden size " + h + " is out of range [1, 65536]");
      }
      Linear linear = Linear.builder().setUnits(h).build();
      mlp.block.add(linear);
      mlp.layers.add(linear);
      mlp.widths.add(h);
      if (arch.batchNorm()) {
        BatchNorm bn = BatchNorm.builder().optEpsilon(BN_EPSILON).build();
        mlp.block.add(bn);
        mlp.layers.add(bn);
      }
      mlp.block.add(act.equals("relu") ? Activation.reluBlock() : Activation.tanhBlock());
      mlp.layers.add(act);
      if (arch.dropout() > 0) {
        mlp.block.add(Dropout.builder().optRate((float) arch.dropout()).build());
      }
    }
    Linear out = Linear.builder().setUnits(outputs).build();
    mlp.block.add(out);
    mlp.layers.add(out);
    mlp.widths.add(outputs);
    return mlp;
  }

  public Block block() {
    return block;
  }

  /** Reads the current weights (call after initialization). */
  public NetworkWeights weights(int inputs) {
    List<NetworkWeights.Layer> out = new ArrayList<>();
    int in = inputs;
    for (Object layer : layers) {
      if (layer instanceof Linear linear) {
        float[] w = array(linear, "weight");
        float[] b = array(linear, "bias");
        int units = b.length;
        out.add(new NetworkWeights.Dense(in, units, w, b));
        in = units;
      } else if (layer instanceof BatchNorm bn) {
        out.add(
            new NetworkWeights.Norm(
                in,
                array(bn, "gamma"),
                array(bn, "beta"),
                array(bn, "runningMean"),
                array(bn, "runningVar"),
                BN_EPSILON));
      } else {
        out.add(new NetworkWeights.Act((String) layer));
      }
    }
    return new NetworkWeights(out);
  }

  private static float[] array(Block block, String name) {
    Parameter p = block.getParameters().get(name);
    if (p == null || !p.isInitialized()) {
      throw new IllegalStateException("parameter " + name + " of " + block + " is not initialized");
    }
    NDArray a = p.getArray();
    return a.toFloatArray();
  }
}
