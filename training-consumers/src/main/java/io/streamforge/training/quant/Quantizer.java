package io.streamforge.training.quant;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamforge.arrowio.models.TernaryPacking;
import io.streamforge.training.data.BatchFeed;
import io.streamforge.training.onnx.OnnxExporter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes, measures and judges the variants of one fp32 model: for each method the quantized graph,
 * its artifact (for ternary, the packed container), its validation metric, size and latency against
 * the fp32 model's, provenance in its metadata, and the acceptance gate's verdict.
 *
 * <p>Every variant is scored on what would be served: the artifact's own bytes (for ternary, the
 * container unpacked to ONNX, as the edge does). The measured deltas are then written into the
 * variant's metadata, which does not change what the model computes; the size reported is that of
 * the final artifact.
 */
public final class Quantizer {
  private static final Logger log = LoggerFactory.getLogger(Quantizer.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * One variant.
   *
   * @param method how it was made
   * @param artifact the bytes to publish
   * @param format the registry event's format ({@code onnx}, or {@link TernaryPacking#FORMAT})
   * @param onnx what ONNX Runtime runs (the artifact itself, or the unpacked container)
   * @param metrics the registry event's metrics
   * @param row its row of the report
   */
  public record Variant(
      QuantMethod method,
      byte[] artifact,
      String format,
      byte[] onnx,
      Map<String, Double> metrics,
      QuantizationReport.Row row) {
    public boolean accepted() {
      return row.accepted();
    }
  }

  /**
   * A run's outcome.
   *
   * @param report the comparison (fp32 first)
   * @param variants the variants made, in the order of the options' methods
   */
  public record Result(QuantizationReport report, List<Variant> variants) {}

  private Quantizer() {}

  /**
   * Makes and judges {@code options.methods()} for {@code parent}.
   *
   * @param data validation rows and the calibration sample
   * @param trainingFeed the dataset, read again for each epoch of ternary fine-tuning; may be null
   *     when {@code options.qatEpochs()} is 0 or ternary is not asked for
   */
  public static Result run(
      ParentModel parent,
      EvaluationData data,
      BatchFeed trainingFeed,
      QuantizationOptions options) {
    if (data.features() != parent.features().size()) {
      throw new IllegalArgumentException(
          "the data has " + data.features() + " features, the model " + parent.features().size());
    }
    String metricName = parent.classification() ? "val_accuracy" : "val_rmse";
    OrtEvaluator.Scores base = OrtEvaluator.score(parent.onnx(), parent, data);
    OrtEvaluator.Latency baseLatency =
        OrtEvaluator.latency(parent.onnx(), data.valX(), data.features(), options.latencyRuns());
    float[] baseLabels = labels(parent, base, data.valRows());
    QuantizationReport.Row baseline =
        new QuantizationReport.Row(
            QuantizationReport.BASELINE,
            true,
            "parent",
            parent.onnx().length,
            1.0,
            base.metric(),
            0.0,
            baseLatency.batch1Ms(),
            baseLatency.batch64Ms(),
            1.0,
            1.0,
            parent.classification() ? 1.0 : Double.NaN);
    List<QuantizationReport.Row> rows = new ArrayList<>(List.of(baseline));
    List<Variant> variants = new ArrayList<>();
    for (QuantMethod method : options.methods()) {
      long t0 = System.nanoTime();
      Made made = make(method, parent, data, trainingFeed, options);
      byte[] runnable =
          made.ternary != null
              ? TernaryPacking.toOnnx(pack(made, Map.of()))
              : bytes(made, Map.of());
      OrtEvaluator.Scores s = OrtEvaluator.score(runnable, parent, data);
      OrtEvaluator.Latency lat =
          OrtEvaluator.latency(runnable, data.valX(), data.features(), options.latencyRuns());
      double delta = delta(parent, base.metric(), s.metric());
      double agreement = agreement(parent, baseLabels, s);
      Map<String, Object> deltas = new LinkedHashMap<>();
      deltas.put(metricName, s.metric());
      deltas.put("fp32_" + metricName, base.metric());
      deltas.put("accuracy_delta", delta);
      deltas.put("latency_b1_ms", lat.batch1Ms());
      deltas.put("latency_b64_ms", lat.batch64Ms());
      deltas.put("speedup_b1", baseLatency.batch1Ms() / lat.batch1Ms());
      deltas.put("speedup_b64", baseLatency.batch64Ms() / lat.batch64Ms());
      deltas.put("validation_rows", data.valRows());
      Map<String, String> more = Map.of("streamforge.quant.deltas", json(deltas));
      byte[] artifact = made.ternary != null ? pack(made, more) : bytes(made, more);
      byte[] onnx = made.ternary != null ? TernaryPacking.toOnnx(artifact) : artifact;
      double sizeRatio = (double) artifact.length / parent.onnx().length;
      AcceptancePolicy.Decision decision =
          options.policy().decide(delta, artifact.length, lat.batch1Ms());
      QuantizationReport.Row row =
          new QuantizationReport.Row(
              method.id(),
              decision.accepted(),
              decision.reason(),
              artifact.length,
              sizeRatio,
              s.metric(),
              delta,
              lat.batch1Ms(),
              lat.batch64Ms(),
              baseLatency.batch1Ms() / lat.batch1Ms(),
              baseLatency.batch64Ms() / lat.batch64Ms(),
              agreement);
      Map<String, Double> metrics = new TreeMap<>();
      metrics.put(metricName, s.metric());
      metrics.put("accuracy_delta", delta);
      metrics.put("size_ratio", sizeRatio);
      metrics.put("latency_b1_ms", lat.batch1Ms());
      metrics.put("latency_b64_ms", lat.batch64Ms());
      metrics.put("speedup_b1", row.speedupB1());
      metrics.put("speedup_b64", row.speedupB64());
      metrics.put("fp32_latency_b1_ms", baseLatency.batch1Ms());
      metrics.put("fp32_latency_b64_ms", baseLatency.batch64Ms());
      if (parent.classification()) {
        metrics.put("agreement", agreement);
      }
      if (method == QuantMethod.INT8_STATIC) {
        metrics.put("calibration_rows", (double) data.calibrationRows());
      }
      if (method == QuantMethod.TERNARY) {
        metrics.put("qat_epochs", (double) made.qatEpochs);
      }
      rows.add(row);
      variants.add(new Variant(method, artifact, made.format(), onnx, Map.copyOf(metrics), row));
      log.info(
          "{} v{} {}: {} bytes ({}x), {} {} ({} points), b1 {} ms, b64 {} ms: {}",
          parent.model(),
          parent.version(),
          method.id(),
          artifact.length,
          String.format("%.3f", sizeRatio),
          metricName,
          String.format("%.4f", s.metric()),
          String.format("%+.2f", delta),
          String.format("%.4f", lat.batch1Ms()),
          String.format("%.4f", lat.batch64Ms()),
          (decision.accepted() ? "accepted, " : "rejected, ")
              + decision.reason()
              + String.format(" (%d ms)", (System.nanoTime() - t0) / 1_000_000));
    }
    return new Result(
        new QuantizationReport(parent.model(), parent.version(), metricName, rows), variants);
  }

  /** A quantized graph before its deltas are known. */
  private record Made(
      ModelProto model, QuantizedGraphs.TernaryGraph ternary, int qatEpochs, String format) {}

  private static Made make(
      QuantMethod method,
      ParentModel parent,
      EvaluationData data,
      BatchFeed trainingFeed,
      QuantizationOptions options) {
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("streamforge.variant", method.id());
    meta.put("streamforge.quant.parent_version", Integer.toString(parent.version()));
    if (parent.sha256() != null) {
      meta.put("streamforge.quant.parent_sha256", parent.sha256());
    }
    meta.put("streamforge.quant.method", describe(method));
    ModelProto g = parent.graph();
    return switch (method) {
      case INT8_WEIGHT -> {
        meta.put("streamforge.quant.calibration", "none");
        yield new Made(
            Onnx.withMetadata(QuantizedGraphs.int8Weight(g), meta), null, 0, OnnxFormat.ONNX);
      }
      case INT8_DYNAMIC -> {
        meta.put("streamforge.quant.calibration", "none (activation ranges at run time)");
        yield new Made(
            Onnx.withMetadata(QuantizedGraphs.int8Dynamic(g), meta), null, 0, OnnxFormat.ONNX);
      }
      case INT8_STATIC -> {
        List<String> inputs =
            QuantizedGraphs.denseLayers(g).stream()
                .map(QuantizedGraphs.Dense::input)
                .distinct()
                .toList();
        Map<String, float[]> values =
            ActivationStats.collect(
                g, OnnxExporter.INPUT, inputs, data.calibrationX(), data.features());
        Map<String, Calibrator.Range> ranges = new LinkedHashMap<>();
        values.forEach((k, v) -> ranges.put(k, Calibrator.range(v, options.calibration())));
        Map<String, Object> cal = new LinkedHashMap<>();
        cal.put("method", options.calibration().id());
        if (options.calibration() == CalibrationMethod.PERCENTILE) {
          cal.put("percentile", Calibrator.PERCENTILE);
        }
        cal.put("rows", data.calibrationRows());
        cal.put("sample", "reservoir sample of the training split");
        Map<String, Object> r = new LinkedHashMap<>();
        ranges.forEach((k, v) -> r.put(k, List.of(v.min(), v.max())));
        cal.put("ranges", r);
        meta.put("streamforge.quant.calibration", json(cal));
        yield new Made(
            Onnx.withMetadata(QuantizedGraphs.int8Static(g, ranges), meta),
            null,
            0,
            OnnxFormat.ONNX);
      }
      case TERNARY -> {
        Map<String, float[]> weights = Map.of();
        Map<String, float[]> biases = Map.of();
        int epochs = trainingFeed == null ? 0 : options.qatEpochs();
        java.util.Optional<String> notTunable =
            epochs > 0 ? TernaryQat.unsupportedReason(parent) : java.util.Optional.empty();
        if (notTunable.isPresent()) {
          // e.g. an output-averaged ensemble: the ternary weights are made without fine-tuning
          log.info(
              "{} v{}: ternary without fine-tuning: {}",
              parent.model(),
              parent.version(),
              notTunable.get());
          meta.put("streamforge.quant.qat_skipped", notTunable.get());
          epochs = 0;
        }
        if (epochs > 0) {
          TernaryQat.Result qat =
              TernaryQat.fineTune(
                  parent, trainingFeed, epochs, options.qatLearningRate(), parent.seed());
          weights = qat.weights();
          biases = qat.biases();
          meta.put(
              "streamforge.quant.qat",
              json(
                  Map.of(
                      "epochs",
                      epochs,
                      "learning_rate",
                      options.qatLearningRate(),
                      "optimizer",
                      "adam",
                      "estimator",
                      "straight-through",
                      "epoch_loss",
                      qat.epochLoss())));
        }
        meta.put("streamforge.quant.calibration", "none");
        meta.put("streamforge.quant.qat_epochs", Integer.toString(epochs));
        QuantizedGraphs.TernaryGraph t = QuantizedGraphs.ternary(g, weights, biases);
        QuantizedGraphs.TernaryGraph withMeta =
            new QuantizedGraphs.TernaryGraph(
                Onnx.withMetadata(t.model(), meta), t.ternaryInitializers());
        yield new Made(withMeta.model(), withMeta, epochs, TernaryPacking.FORMAT);
      }
    };
  }

  private static byte[] bytes(Made made, Map<String, String> more) {
    return Onnx.withMetadata(made.model(), more).toByteArray();
  }

  private static byte[] pack(Made made, Map<String, String> more) {
    return QuantizedGraphs.pack(
        new QuantizedGraphs.TernaryGraph(
            Onnx.withMetadata(made.model(), more), made.ternary().ternaryInitializers()));
  }

  /** What each method does, for the variant's metadata. */
  static String describe(QuantMethod m) {
    return switch (m) {
      case INT8_WEIGHT ->
          "int8-weight: int8 weights, symmetric per output channel (scale max|W|/127), ->"
              + " DequantizeLinear(axis=0) -> Gemm; fp32 activations";
      case INT8_STATIC ->
          "int8-static: QDQ; uint8 activations per tensor (asymmetric, calibrated), int8 weights"
              + " symmetric per output channel, int32 bias (scale s_x*s_w)";
      case INT8_DYNAMIC ->
          "int8-dynamic: DynamicQuantizeLinear (uint8 per tensor at run time) -> MatMulInteger"
              + " (int8 weights symmetric per output channel) -> Cast -> Mul(s_x*s_w) -> Add bias";
      case TERNARY ->
          "ternary: BitNet b1.58 weights round(clip(W/s,-1,1)) with s = mean|W| per output"
              + " channel, DequantizeLinear(axis=0) -> Gemm; fp32 activations; published packed"
              + " at 2 bits per weight ("
              + TernaryPacking.FORMAT
              + ")";
    };
  }

  /** Points: accuracy points, or minus the RMSE increase in percent of the fp32 RMSE. */
  static double delta(ParentModel parent, double base, double variant) {
    if (parent.classification()) {
      return (variant - base) * 100.0;
    }
    return base > 0 ? -(variant - base) / base * 100.0 : -(variant - base) * 100.0;
  }

  /** The most probable class of each validation row (classification), else empty. */
  private static float[] labels(ParentModel parent, OrtEvaluator.Scores s, int rows) {
    return parent.classification() ? argmax(s.outputs(), s.outputs().length / rows) : new float[0];
  }

  private static double agreement(ParentModel parent, float[] baseLabels, OrtEvaluator.Scores s) {
    if (!parent.classification()) {
      return Double.NaN;
    }
    float[] mine = labels(parent, s, baseLabels.length);
    int same = 0;
    for (int i = 0; i < mine.length; i++) {
      if (mine[i] == baseLabels[i]) {
        same++;
      }
    }
    return (double) same / mine.length;
  }

  private static float[] argmax(float[] p, int classes) {
    int n = p.length / classes;
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      int a = 0;
      for (int k = 1; k < classes; k++) {
        if (p[i * classes + k] > p[i * classes + a]) {
          a = k;
        }
      }
      out[i] = a;
    }
    return out;
  }

  private static String json(Object o) {
    try {
      return JSON.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Formats of published artifacts. */
  static final class OnnxFormat {
    static final String ONNX = "onnx";

    private OnnxFormat() {}
  }
}
