package io.streamforge.training.quant;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What one quantization run does. A quantization job carries these as {@code params} of its {@code
 * TrainingJob} (see {@link #fromParams}).
 *
 * @param methods the variants to make, in order
 * @param policy the acceptance gate
 * @param calibration how the static variant's activation ranges are chosen
 * @param calibrationRows training rows sampled for calibration
 * @param qatEpochs epochs of ternary fine-tuning (0: ternarize the fp32 weights as they are)
 * @param qatLearningRate Adam's learning rate for the fine-tuning
 * @param latencyRuns timed runs per batch size (the median is reported)
 */
public record QuantizationOptions(
    List<QuantMethod> methods,
    AcceptancePolicy policy,
    CalibrationMethod calibration,
    int calibrationRows,
    int qatEpochs,
    double qatLearningRate,
    int latencyRuns) {
  public static final CalibrationMethod DEFAULT_CALIBRATION = CalibrationMethod.PERCENTILE;
  public static final int DEFAULT_CALIBRATION_ROWS = 512;
  public static final int DEFAULT_QAT_EPOCHS = 5;
  public static final int DEFAULT_LATENCY_RUNS = 200;

  public QuantizationOptions {
    methods = List.copyOf(new LinkedHashSet<>(methods));
    if (methods.isEmpty()) {
      throw new IllegalArgumentException("no quantization method given");
    }
    if (calibrationRows < 1 || calibrationRows > 1_000_000) {
      throw new IllegalArgumentException(
          "calibration rows must be within 1..1000000, was " + calibrationRows);
    }
    if (qatEpochs < 0 || qatEpochs > 1000) {
      throw new IllegalArgumentException("qat_epochs must be within 0..1000, was " + qatEpochs);
    }
    if (!(qatLearningRate > 0) || Double.isInfinite(qatLearningRate)) {
      throw new IllegalArgumentException("qat_lr must be positive, was " + qatLearningRate);
    }
    if (latencyRuns < 1 || latencyRuns > 1_000_000) {
      throw new IllegalArgumentException(
          "latency runs must be within 1..1000000, was " + latencyRuns);
    }
  }

  /** Every method, the default gate and settings. */
  public static QuantizationOptions defaults() {
    return new QuantizationOptions(
        QuantMethod.all(),
        AcceptancePolicy.defaults(),
        DEFAULT_CALIBRATION,
        DEFAULT_CALIBRATION_ROWS,
        DEFAULT_QAT_EPOCHS,
        TernaryQat.LEARNING_RATE,
        DEFAULT_LATENCY_RUNS);
  }

  /** A copy with other methods. */
  public QuantizationOptions withMethods(List<QuantMethod> m) {
    return new QuantizationOptions(
        m, policy, calibration, calibrationRows, qatEpochs, qatLearningRate, latencyRuns);
  }

  /** A copy with another gate. */
  public QuantizationOptions withPolicy(AcceptancePolicy p) {
    return new QuantizationOptions(
        methods, p, calibration, calibrationRows, qatEpochs, qatLearningRate, latencyRuns);
  }

  /** A copy with another number of timed runs. */
  public QuantizationOptions withLatencyRuns(int runs) {
    return new QuantizationOptions(
        methods, policy, calibration, calibrationRows, qatEpochs, qatLearningRate, runs);
  }

  /** A copy with another number of fine-tuning epochs. */
  public QuantizationOptions withQatEpochs(int epochs) {
    return new QuantizationOptions(
        methods, policy, calibration, calibrationRows, epochs, qatLearningRate, latencyRuns);
  }

  /** A copy with another calibration. */
  public QuantizationOptions withCalibration(CalibrationMethod c) {
    return new QuantizationOptions(
        methods, policy, c, calibrationRows, qatEpochs, qatLearningRate, latencyRuns);
  }

  /** Keys a quantization job's {@code params} may hold besides {@code kind} and {@code version}. */
  public static final Set<String> PARAMS =
      Set.of(
          "methods",
          "max_accuracy_drop",
          "max_model_bytes",
          "max_latency_ms",
          "calibration",
          "calibration_rows",
          "qat_epochs",
          "qat_lr",
          "latency_runs");

  /**
   * Reads a job's params: {@code methods} (comma list, default all four), {@code max_accuracy_drop}
   * (points, default 1.0), {@code max_model_bytes}, {@code max_latency_ms}, {@code calibration}
   * (minmax | percentile | entropy), {@code calibration_rows}, {@code qat_epochs}, {@code qat_lr},
   * {@code latency_runs}; absent keys take the defaults.
   *
   * @throws IllegalArgumentException naming the key and what is wrong with its value
   */
  public static QuantizationOptions fromParams(Map<String, String> params) {
    QuantizationOptions d = defaults();
    List<QuantMethod> methods = d.methods();
    String m = params.get("methods");
    if (m != null && !m.isBlank()) {
      methods = new ArrayList<>();
      for (String name : m.split(",")) {
        if (!name.isBlank()) {
          methods.add(QuantMethod.parse(name));
        }
      }
    }
    Long maxBytes =
        params.containsKey("max_model_bytes")
            ? (long) number(params, "max_model_bytes", Double.NaN)
            : null;
    Double maxLatency =
        params.containsKey("max_latency_ms") ? number(params, "max_latency_ms", Double.NaN) : null;
    AcceptancePolicy policy =
        new AcceptancePolicy(
            number(params, "max_accuracy_drop", AcceptancePolicy.DEFAULT_MAX_ACCURACY_DROP),
            maxBytes,
            maxLatency);
    String c = params.get("calibration");
    return new QuantizationOptions(
        methods,
        policy,
        c == null || c.isBlank() ? d.calibration() : CalibrationMethod.parse(c),
        (int) number(params, "calibration_rows", d.calibrationRows()),
        (int) number(params, "qat_epochs", d.qatEpochs()),
        number(params, "qat_lr", d.qatLearningRate()),
        (int) number(params, "latency_runs", d.latencyRuns()));
  }

  /** The params of a job that asks for these options (the inverse of {@link #fromParams}). */
  public Map<String, String> toParams() {
    Map<String, String> p = new java.util.LinkedHashMap<>();
    p.put("methods", QuantMethod.ids(methods));
    p.put("max_accuracy_drop", Double.toString(policy.maxAccuracyDrop()));
    if (policy.maxModelBytes() != null) {
      p.put("max_model_bytes", Long.toString(policy.maxModelBytes()));
    }
    if (policy.maxLatencyMs() != null) {
      p.put("max_latency_ms", Double.toString(policy.maxLatencyMs()));
    }
    p.put("calibration", calibration.id());
    p.put("calibration_rows", Integer.toString(calibrationRows));
    p.put("qat_epochs", Integer.toString(qatEpochs));
    p.put("qat_lr", Double.toString(qatLearningRate));
    p.put("latency_runs", Integer.toString(latencyRuns));
    return p;
  }

  private static double number(Map<String, String> params, String key, double otherwise) {
    String v = params.get(key);
    if (v == null || v.isBlank()) {
      if (Double.isNaN(otherwise)) {
        throw new IllegalArgumentException("'" + key + "' is empty; give a number");
      }
      return otherwise;
    }
    try {
      double d = Double.parseDouble(v.trim());
      if (!Double.isFinite(d)) {
        throw new NumberFormatException();
      }
      return d;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + key + "' must be a number, was '" + v + "'");
    }
  }
}
