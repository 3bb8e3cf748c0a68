package io.streamforge.agents.architect;

import io.streamforge.agents.search.SearchSpace;
import io.streamforge.schemas.records.TrainingJob;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The architect's answer: a search space of MLPs and how to turn one of its points into a training
 * job's architecture, optimizer and batch size, never exceeding {@code maxParameters}.
 *
 * <p>Dimensions read (all but {@code layers} and {@code width} optional, with the default in
 * brackets): {@code layers}, {@code width}, {@code shrink} [1.0], {@code activation} [relu], {@code
 * dropout} [0], {@code batch_norm} [false], {@code optimizer} [adam], {@code lr} [0.001], {@code
 * weight_decay} [0], {@code batch_size} [32].
 *
 * @param space the search space the samplers draw from
 * @param maxParameters the parameter budget every architecture respects (size, latency and memory
 *     limits together)
 * @param inputs input features
 * @param outputs output units: classes, or 1 for regression
 * @param notes why the space looks the way it does, one decision per line, for the workflow log
 */
public record Design(
    SearchSpace space, long maxParameters, int inputs, int outputs, List<String> notes) {
  public Design {
    if (space == null) {
      throw new IllegalArgumentException("a design needs a search space");
    }
    long smallest =
        ModelArchitect.parameterCount(inputs, List.of(ModelArchitect.MIN_WIDTH), outputs, false);
    if (maxParameters < smallest) {
      throw new IllegalArgumentException(
          "maxParameters "
              + maxParameters
              + " is below the smallest MLP's "
              + smallest
              + " parameters");
    }
    notes = notes == null ? List.of() : List.copyOf(notes);
  }

  /**
   * The network for {@code params}: {@code layers} hidden layers, the first {@code width} wide and
   * each next one {@code shrink} times the previous (rounded, at least {@link
   * ModelArchitect#MIN_WIDTH}); activation, dropout and batch norm as chosen.
   *
   * <p>Clamping, so that {@link ModelArchitect#parameterCount} never exceeds {@link
   * #maxParameters}: first the top width is lowered to the largest that fits (the taper kept, every
   * layer narrowing with it); if even all layers at width {@code MIN_WIDTH} do not fit, hidden
   * layers are removed from the end; batch norm is dropped last. The design's width range is
   * already bounded so that one hidden layer of the widest width fits, so clamping only trims deep
   * and wide combinations.
   */
  public TrainingJob.Architecture architecture(Map<String, Double> params) {
    int layers = space.integer(params, "layers");
    int width = space.integer(params, "width");
    double shrink = has(params, "shrink") ? space.real(params, "shrink") : 1.0;
    String activation = has(params, "activation") ? space.choice(params, "activation") : "relu";
    double dropout = has(params, "dropout") ? space.real(params, "dropout") : 0.0;
    boolean batchNorm =
        has(params, "batch_norm") && Boolean.parseBoolean(space.choice(params, "batch_norm"));
    if (layers < 1 || width < ModelArchitect.MIN_WIDTH) {
      throw new IllegalArgumentException(
          "an MLP needs layers >= 1 and width >= "
              + ModelArchitect.MIN_WIDTH
              + ", got layers="
              + layers
              + " width="
              + width);
    }
    List<Integer> hidden = fit(layers, width, shrink, batchNorm);
    if (hidden == null) {
      batchNorm = false;
      hidden = fit(layers, width, shrink, false);
    }
    if (hidden == null) {
      // cannot happen: the record's constructor checked that the smallest MLP fits
      throw new IllegalStateException("no MLP fits " + maxParameters + " parameters");
    }
    return new TrainingJob.Architecture("mlp", hidden, activation, dropout, batchNorm, Map.of());
  }

  /**
   * The optimizer for {@code params}: {@code optimizer} (adam, adamw or sgd), {@code lr}, {@code
   * weight_decay}; momentum 0.9 for sgd (0 otherwise); a cosine schedule.
   */
  public TrainingJob.OptimizerSpec optimizer(Map<String, Double> params) {
    String name = has(params, "optimizer") ? space.choice(params, "optimizer") : "adam";
    double lr = has(params, "lr") ? space.real(params, "lr") : 1e-3;
    double wd = has(params, "weight_decay") ? space.real(params, "weight_decay") : 0.0;
    return new TrainingJob.OptimizerSpec(name, lr, wd, name.equals("sgd") ? 0.9 : 0.0, "cosine");
  }

  /** The batch size for {@code params}: the {@code batch_size} option (already capped by rows). */
  public int batchSize(Map<String, Double> params) {
    return has(params, "batch_size") ? Integer.parseInt(space.choice(params, "batch_size")) : 32;
  }

  /** Hidden sizes that fit, the top width as large as possible; null when none do. */
  private List<Integer> fit(int layers, int width, double shrink, boolean batchNorm) {
    for (int l = layers; l >= 1; l--) {
      if (count(hidden(l, ModelArchitect.MIN_WIDTH, shrink), batchNorm) > maxParameters) {
        continue;
      }
      int lo = ModelArchitect.MIN_WIDTH; // fits
      int hi = width;
      if (count(hidden(l, hi, shrink), batchNorm) <= maxParameters) {
        return hidden(l, hi, shrink);
      }
      while (hi - lo > 1) { // invariant: lo fits, hi does not
        int mid = lo + (hi - lo) / 2;
        if (count(hidden(l, mid, shrink), batchNorm) <= maxParameters) {
          lo = mid;
        } else {
          hi = mid;
        }
      }
      return hidden(l, lo, shrink);
    }
    return null;
  }

  private long count(List<Integer> hidden, boolean batchNorm) {
    return ModelArchitect.parameterCount(inputs, hidden, outputs, batchNorm);
  }

  static List<Integer> hidden(int layers, int width, double shrink) {
    List<Integer> h = new ArrayList<>(layers);
    double w = width;
    for (int i = 0; i < layers; i++) {
      h.add(Math.max(ModelArchitect.MIN_WIDTH, (int) Math.round(w)));
      w *= shrink;
    }
    return List.copyOf(h);
  }

  private boolean has(Map<String, Double> params, String name) {
    return space.has(name) && params.containsKey(name);
  }
}
