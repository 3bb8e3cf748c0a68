package io.streamforge.training.core;

import java.util.List;

/**
 * A trained MLP as plain arrays, in inference order (dropout left out): what the ONNX exporter
 * writes, independent of the engine's native memory.
 */
public record NetworkWeights(List<Layer> layers) {
  public NetworkWeights {
    layers = List.copyOf(layers);
  }

  /** One inference step of the network. */
  public sealed interface Layer permits Dense, Norm, Act {}

  /**
   * {@code y = x W^T + b}.
   *
   * @param weight {@code out * in}, row-major (one row per output unit)
   */
  public record Dense(int in, int out, float[] weight, float[] bias) implements Layer {}

  /** Batch normalization with running statistics. */
  public record Norm(int size, float[] gamma, float[] beta, float[] mean, float[] var, float eps)
      implements Layer {}

  /** An element-wise activation, {@code relu} or {@code tanh}. */
  public record Act(String kind) implements Layer {}
}
