package io.streamforge.agents.architect;

import io.streamforge.agents.search.Choice;
import io.streamforge.agents.search.Dimension;
import io.streamforge.agents.search.FloatDim;
import io.streamforge.agents.search.IntDim;
import io.streamforge.agents.search.SearchSpace;
import io.streamforge.schemas.records.WorkflowRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The model architect: a search space of MLP architectures that fit the user's constraints, sized
 * by the dataset's rows and features. The samplers then only ever propose models that can be
 * deployed, instead of training models that are refused afterwards.
 *
 * <p>Sizing rules:
 *
 * <ul>
 *   <li><b>Parameter budget.</b> With {@code maxModelBytes}: {@code floor((maxModelBytes -
 *       reserved) * 0.9 / 4)} fp32 parameters, where {@code reserved = 4 KiB + 8 bytes per input +
 *       4 bytes per output} covers the ONNX graph, names and the preprocessing constants (a mean
 *       and a scale per feature, a label per class), and the 10% covers per-tensor overhead and
 *       batch norm's exported third vector. Without it, {@link #DEFAULT_MAX_PARAMETERS}.
 *   <li><b>Latency.</b> With {@code maxLatencyMs}, parameters are capped where {@link
 *       #latencyEstimateMs} at batch 1 would exceed it; the width range drops the widths whose
 *       one-hidden-layer model is over the cap, and {@link Design#architecture} trims the rest.
 *   <li><b>Memory.</b> With {@code maxMemoryBytes}, training keeps 16 bytes per parameter (fp32
 *       weights, gradients and Adam's two moments), so parameters are capped at {@code
 *       maxMemoryBytes / 16}.
 *   <li><b>Widths by rows.</b> Widths are log-uniform in 8..64 below 1,000 rows (iris: 150 rows),
 *       8..256 below 10,000 (digits: 1,797 rows), 16..512 below 100,000, 16..1024 beyond; capped so
 *       that one hidden layer of the widest width fits the budget.
 *   <li><b>Depth by rows.</b> 1..2 hidden layers below 1,000 rows, 1..3 below 10,000, 1..4 beyond,
 *       with a {@code shrink} taper in 0.5..1 (each layer that fraction of the previous).
 *   <li><b>Batch size</b> among 32/64/128/256, keeping those at most a quarter of the rows (at
 *       least four steps per epoch), 32 always; capped by the rows for tiny datasets.
 * </ul>
 *
 * Constraints no MLP can meet (not even one hidden layer of width {@link #MIN_WIDTH}) are refused
 * with an {@link IllegalArgumentException} naming each such constraint and the value it would need.
 */
public final class ModelArchitect {
  /** The narrowest hidden layer the architect builds. */
  public static final int MIN_WIDTH = 4;

  /** The parameter cap without a size, latency or memory constraint: 1M (4 MB in fp32). */
  public static final long DEFAULT_MAX_PARAMETERS = 1_000_000;

  /**
   * Fixed cost of one inference call, in ms: ONNX Runtime's call overhead, not the HTTP path (which
   * does not depend on the architecture).
   */
  public static final double OVERHEAD_MS = 0.01;

  /**
   * Assumed CPU throughput in FLOPs per ms (10 GFLOP/s). Calibrated against docs/benchmarks.md: a
   * 64-256-256-10 MLP (85k multiply-adds) takes 12 µs per row in-process, about 14 GFLOP/s, so the
   * estimate (27 µs) errs on the slow side by about 2x, room for p99 and slower hosts.
   */
  public static final double FLOPS_PER_MS = 1e7;

  static final long RESERVED_BYTES = 4096;
  static final double SIZE_MARGIN = 0.9;
  static final long MEMORY_BYTES_PER_PARAMETER = 16;

  private ModelArchitect() {}

  /**
   * Designs the search space.
   *
   * @param features input features (after preprocessing)
   * @param outputs classes, or 1 for regression
   * @param rows training rows
   * @param constraints limits; null, or null fields, for none
   * @throws IllegalArgumentException for non-positive sizes, or constraints no MLP can meet
   */
  public static Design design(
      int features, int outputs, long rows, WorkflowRequest.Constraints constraints) {
    if (features < 1 || outputs < 1 || rows < 1) {
      throw new IllegalArgumentException(
          "the architect needs features, outputs and rows >= 1, got features="
              + features
              + " outputs="
              + outputs
              + " rows="
              + rows);
    }
    List<String> notes = new ArrayList<>();
    long smallest = parameterCount(features, List.of(MIN_WIDTH), outputs, false);
    long budget = DEFAULT_MAX_PARAMETERS;
    String budgetSource = "default cap";
    List<String> impossible = new ArrayList<>();
    Long maxBytes = constraints == null ? null : constraints.maxModelBytes();
    Double maxLatency = constraints == null ? null : constraints.maxLatencyMs();
    Long maxMemory = constraints == null ? null : constraints.maxMemoryBytes();
    String smallestText =
        String.format(
            Locale.ROOT,
            "the smallest MLP (one hidden layer of width %d, %,d parameters for %d features and %d"
                + " outputs)",
            MIN_WIDTH,
            smallest,
            features,
            outputs);
    if (maxBytes != null) {
      long cap = sizeBudget(maxBytes, features, outputs);
      if (cap < smallest) {
        impossible.add(
            String.format(
                Locale.ROOT,
                "maxModelBytes=%d cannot hold %s; it needs maxModelBytes >= %d",
                maxBytes,
                smallestText,
                bytesFor(smallest, features, outputs)));
      } else if (cap < budget) {
        budget = cap;
        budgetSource = "maxModelBytes=" + maxBytes + " (fp32, 10% + reserved bytes kept free)";
      } else {
        budgetSource = "default cap (maxModelBytes=" + maxBytes + " allows more)";
      }
    }
    if (maxLatency != null) {
      double minMs = latencyEstimateMs(smallest, 1);
      if (!(maxLatency > 0) || maxLatency.isInfinite()) {
        impossible.add("maxLatencyMs must be a positive number, was " + maxLatency);
      } else if (minMs > maxLatency) {
        impossible.add(
            String.format(
                Locale.ROOT,
                "maxLatencyMs=%s is below the estimated %.4f ms of %s at batch 1; it needs"
                    + " maxLatencyMs >= %.4f",
                maxLatency,
                minMs,
                smallestText,
                minMs));
      } else {
        long cap = latencyBudget(maxLatency);
        if (cap < budget) {
          budget = cap;
          budgetSource = "maxLatencyMs=" + maxLatency + " (estimate at batch 1)";
        }
      }
    }
    if (maxMemory != null) {
      if (maxMemory / MEMORY_BYTES_PER_PARAMETER < smallest) {
        impossible.add(
            String.format(
                Locale.ROOT,
                "maxMemoryBytes=%d cannot train %s at %d bytes per parameter; it needs"
                    + " maxMemoryBytes >= %d",
                maxMemory,
                smallestText,
                MEMORY_BYTES_PER_PARAMETER,
                smallest * MEMORY_BYTES_PER_PARAMETER));
      } else if (maxMemory / MEMORY_BYTES_PER_PARAMETER < budget) {
        budget = maxMemory / MEMORY_BYTES_PER_PARAMETER;
        budgetSource =
            "maxMemoryBytes=" + maxMemory + " (" + MEMORY_BYTES_PER_PARAMETER + " B/parameter)";
      }
    }
    if (!impossible.isEmpty()) {
      throw new IllegalArgumentException(
          "no MLP meets the constraints: " + String.join("; ", impossible));
    }
    notes.add(String.format(Locale.ROOT, "parameter budget %,d from %s", budget, budgetSource));

    int rowsMax = rows < 1_000 ? 64 : rows < 10_000 ? 256 : rows < 100_000 ? 512 : 1024;
    int widthMin = rows < 10_000 ? 8 : 16;
    long fitting = (budget - outputs) / (features + 1L + outputs); // one hidden layer, no BN
    int widthMax = (int) Math.min(rowsMax, fitting);
    if (widthMax < rowsMax) {
      notes.add(
          String.format(
              Locale.ROOT,
              "widths above %d dropped: one hidden layer that wide exceeds the budget",
              widthMax));
    }
    widthMin = Math.max(MIN_WIDTH, Math.min(widthMin, widthMax));
    notes.add(
        String.format(Locale.ROOT, "width %d..%d (log) for %,d rows", widthMin, widthMax, rows));
    int maxLayers = rows < 1_000 ? 2 : rows < 10_000 ? 3 : 4;
    notes.add(String.format(Locale.ROOT, "1..%d hidden layers for %,d rows", maxLayers, rows));

    List<String> batches = new ArrayList<>();
    for (int b : new int[] {32, 64, 128, 256}) {
      if (b == 32 || b <= rows / 4) {
        batches.add(Integer.toString((int) Math.min(b, rows)));
      }
    }
    notes.add("batch sizes " + batches);

    List<Dimension> dims = new ArrayList<>();
    dims.add(new IntDim("layers", 1, maxLayers, false));
    dims.add(new IntDim("width", widthMin, widthMax, true));
    if (maxLayers > 1) {
      dims.add(new FloatDim("shrink", 0.5, 1.0, false));
    }
    dims.add(new Choice("activation", List.of("relu", "tanh")));
    dims.add(new FloatDim("dropout", 0.0, 0.5, false));
    dims.add(new Choice("batch_norm", List.of("false", "true")));
    dims.add(new Choice("optimizer", List.of("adam", "adamw", "sgd")));
    dims.add(new FloatDim("lr", 1e-4, 1e-1, true));
    dims.add(new FloatDim("weight_decay", 1e-6, 1e-2, true));
    dims.add(new Choice("batch_size", batches));
    return new Design(new SearchSpace(dims), budget, features, outputs, notes);
  }

  /**
   * Parameters of an MLP: for each layer (hidden layers, then the output layer) {@code in * out +
   * out}, plus {@code 2 * out} per hidden layer with batch norm (scale and shift).
   */
  public static long parameterCount(
      int inputs, List<Integer> hidden, int outputs, boolean batchNorm) {
    if (inputs < 1 || outputs < 1) {
      throw new IllegalArgumentException(
          "an MLP needs inputs and outputs >= 1, got inputs=" + inputs + " outputs=" + outputs);
    }
    long total = 0;
    long in = inputs;
    for (int h : hidden) {
      if (h < 1) {
        throw new IllegalArgumentException("hidden sizes must be >= 1, got " + hidden);
      }
      total += in * h + h + (batchNorm ? 2L * h : 0);
      in = h;
    }
    return total + in * outputs + outputs;
  }

  /**
   * Estimated inference latency on CPU, in ms: {@link #OVERHEAD_MS} plus {@code 2 * parameters *
   * batch} FLOPs (a multiply-add per weight) at {@link #FLOPS_PER_MS}. Activations, biases and
   * batch norm are small next to the weight products and are not counted separately.
   */
  public static double latencyEstimateMs(long parameters, int batch) {
    if (parameters < 0 || batch < 1) {
      throw new IllegalArgumentException(
          "latency needs parameters >= 0 and batch >= 1, got " + parameters + ", " + batch);
    }
    return OVERHEAD_MS + 2.0 * parameters * batch / FLOPS_PER_MS;
  }

  /** Parameters that fit {@code maxModelBytes} after the reserve and margin. */
  static long sizeBudget(long maxModelBytes, int inputs, int outputs) {
    long free = maxModelBytes - reserved(inputs, outputs);
    return free <= 0 ? 0 : (long) Math.floor(free * SIZE_MARGIN / 4);
  }

  /** The smallest {@code maxModelBytes} whose budget holds {@code parameters}. */
  static long bytesFor(long parameters, int inputs, int outputs) {
    long b = (long) Math.ceil(parameters * 4 / SIZE_MARGIN) + reserved(inputs, outputs);
    while (sizeBudget(b, inputs, outputs) < parameters) {
      b++;
    }
    while (b > 0 && sizeBudget(b - 1, inputs, outputs) >= parameters) {
      b--;
    }
    return b;
  }

  private static long reserved(int inputs, int outputs) {
    return RESERVED_BYTES + 8L * inputs + 4L * outputs;
  }

  /** The most parameters whose estimate at batch 1 stays within {@code maxLatencyMs}. */
  static long latencyBudget(double maxLatencyMs) {
    double bound = (maxLatencyMs - OVERHEAD_MS) * FLOPS_PER_MS / 2;
    if (bound >= 1e15) {
      return (long) 1e15; // far beyond any budget that matters
    }
    long p = (long) Math.floor(bound);
    while (p > 0 && latencyEstimateMs(p, 1) > maxLatencyMs) {
      p--;
    }
    while (latencyEstimateMs(p + 1, 1) <= maxLatencyMs) {
      p++;
    }
    return Math.max(p, 0);
  }
}
