package io.streamforge.training.ensemble;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamforge.training.Provenance;
import io.streamforge.training.onnx.OnnxExporter;
import io.streamforge.training.onnx.OnnxParity;
import io.streamforge.training.onnx.ParityException;
import io.streamforge.training.quant.EvaluationData;
import io.streamforge.training.quant.Onnx;
import io.streamforge.training.quant.OrtEvaluator;
import io.streamforge.training.quant.ParentModel;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Evaluates, judges and builds one ensemble, without Kafka: every member and the ensemble are
 * scored on the same validation rows (accuracy, or RMSE for regression), the ensemble is kept only
 * when it is strictly better than the best single member, and a kept ensemble becomes one ONNX
 * model ({@link EnsembleGraphs}) whose outputs are checked against what was judged before it is
 * returned.
 *
 * <ul>
 *   <li><b>Output averaging</b>: judged on the mean of the members' ONNX Runtime outputs (class
 *       probabilities, or predictions); the built graph must reproduce that mean on every
 *       validation row within {@link OnnxParity#TOLERANCE} and give the same label.
 *   <li><b>Weight averaging</b>: judged on the averaged network run by ONNX Runtime; the graph must
 *       match an independent plain-Java evaluation ({@link ReferenceForward}) of the same averaged
 *       weights within the same tolerance.
 * </ul>
 *
 * <p>A failed check throws {@link ParityException}, as a failed export check does for training.
 */
public final class Ensembling {
  private static final Logger log = LoggerFactory.getLogger(Ensembling.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private Ensembling() {}

  /**
   * An ensembling run's outcome.
   *
   * @param report the verdict (the job status's report)
   * @param metricName {@code val_accuracy} or {@code val_rmse}
   * @param onnx the ensemble model with its provenance, or null when it was not kept
   * @param metrics the registry event's and status's metrics: the ensemble's when kept (its metric,
   *     {@code parity_max_abs_diff}, {@code ensemble_members}, {@code best_single_<metric>}, {@code
   *     validation_rows}), else the best single member's metric with {@code ensemble_<metric>},
   *     {@code ensemble_members} and {@code validation_rows}
   * @param validationRows rows scored
   */
  public record Result(
      EnsembleReport report,
      String metricName,
      byte[] onnx,
      Map<String, Double> metrics,
      int validationRows) {
    public boolean kept() {
      return report.kept();
    }
  }

  /**
   * Evaluates the ensemble of {@code members} on {@code data} and builds it when it is kept.
   *
   * @param data the validation rows held out by every member ({@link
   *     Compatibility#validationFraction()}) of their dataset version, with its features in the
   *     members' input order
   * @param requested the method asked for; weight averaging of members that differ in shape falls
   *     back to output averaging (the report says so)
   * @param model the model name the ensemble is registered under (provenance)
   * @param jobId the job (provenance)
   * @throws io.streamforge.training.core.UnusableJobException when the members disagree
   * @throws ParityException when the built model does not compute what was judged
   */
  public static Result run(
      List<ParentModel> members,
      EvaluationData data,
      EnsembleMethod requested,
      String model,
      String jobId) {
    Compatibility c = Compatibility.of(members);
    if (data.features() != c.features().size()) {
      throw new IllegalArgumentException(
          "the validation data has "
              + data.features()
              + " features, the members take "
              + c.features().size());
    }
    boolean cls = c.classification();
    String metricName = cls ? "val_accuracy" : "val_rmse";
    String metricWord = cls ? "accuracy" : "RMSE";
    int n = data.valRows();
    float[] classes = c.classes();

    Map<String, Double> scores = new LinkedHashMap<>();
    List<float[]> outputs = new ArrayList<>();
    String best = null;
    for (ParentModel m : members) {
      OrtEvaluator.Scores s = OrtEvaluator.score(m.onnx(), m, data);
      String name = Compatibility.name(m);
      scores.put(name, s.metric());
      outputs.add(s.outputs());
      if (best == null || better(s.metric(), scores.get(best), cls)) {
        best = name;
      }
    }

    EnsembleMethod method = requested;
    String fallback = "";
    if (requested == EnsembleMethod.WEIGHT_AVERAGE) {
      Optional<String> mismatch = EnsembleGraphs.weightAverageMismatch(members);
      if (mismatch.isPresent()) {
        method = EnsembleMethod.OUTPUT_AVERAGE;
        fallback =
            "weight averaging needs members of one architecture, but "
                + mismatch.get()
                + "; fell back to output averaging. ";
      }
    }

    double ensembleScore;
    ModelProto graph = null;
    float[] judged; // what the built graph must reproduce
    float[] graphOut = null; // the graph's own outputs when it had to run to be judged
    float[] graphLabels = null;
    if (method == EnsembleMethod.OUTPUT_AVERAGE) {
      judged = mean(outputs);
      ensembleScore = cls ? accuracy(judged, classes, data.valY()) : rmse(judged, data.valY());
    } else {
      Map<String, float[]> averaged = EnsembleGraphs.averagedInitializers(members);
      graph = EnsembleGraphs.withInitializers(members.get(0).graph(), averaged);
      Outputs o = run(graph.toByteArray(), data, cls);
      graphOut = o.main();
      graphLabels = o.labels();
      ensembleScore = cls ? labelAccuracy(o.labels(), data.valY()) : rmse(o.main(), data.valY());
      judged =
          ReferenceForward.run(
              graph, data.valX(), n, cls ? OnnxExporter.PROBABILITIES : OnnxExporter.PREDICTION);
    }
    double bestScore = scores.get(best);
    boolean kept = better(ensembleScore, bestScore, cls);
    String reason =
        fallback
            + String.format(
                Locale.ROOT,
                "%s of %s: %s %.4f vs best single %s %.4f on %d validation rows; %s",
                method.id(),
                String.join(", ", scores.keySet()),
                metricWord,
                ensembleScore,
                best,
                bestScore,
                n,
                kept
                    ? "the ensemble is better; keeping it"
                    : "the ensemble is not better (it must be strictly "
                        + (cls ? "more accurate" : "lower")
                        + "); keeping the best single model");
    EnsembleReport report =
        new EnsembleReport(kept, method.id(), ensembleScore, best, bestScore, scores, reason);
    log.info("ensemble {} for job {}: {}", model, jobId, reason);

    Map<String, Double> metrics = new TreeMap<>();
    metrics.put("ensemble_members", (double) members.size());
    metrics.put("validation_rows", (double) n);
    if (!kept) {
      metrics.put(metricName, bestScore);
      metrics.put("ensemble_" + metricName, ensembleScore);
      return new Result(report, metricName, null, Map.copyOf(metrics), n);
    }

    if (method == EnsembleMethod.OUTPUT_AVERAGE) {
      graph = EnsembleGraphs.outputAverage(members, c);
      Outputs o = run(graph.toByteArray(), data, cls);
      graphOut = o.main();
      graphLabels = o.labels();
    }
    double maxAbsDiff = maxAbsDiff(graphOut, judged);
    int width = cls ? classes.length : 1;
    int labelMismatches =
        cls ? labelMismatches(graphLabels, judged, classes, width, OnnxParity.TOLERANCE) : 0;
    if (!(maxAbsDiff <= OnnxParity.TOLERANCE) || labelMismatches > 0) {
      throw new ParityException(
          String.format(
              Locale.ROOT,
              "the %s graph of %s does not compute what was judged on %d validation rows: max abs"
                  + " diff %.3g (limit %.0e), %d rows with another label",
              method.id(),
              String.join(", ", scores.keySet()),
              n,
              maxAbsDiff,
              OnnxParity.TOLERANCE,
              labelMismatches));
    }
    metrics.put(metricName, ensembleScore);
    metrics.put("best_single_" + metricName, bestScore);
    metrics.put("parity_max_abs_diff", maxAbsDiff);

    Map<String, String> meta = provenance(members, c, method, model, jobId, report, metrics);
    byte[] onnx = Onnx.withMetadata(graph, meta).toByteArray();
    return new Result(report, metricName, onnx, Map.copyOf(metrics), n);
  }

  /** The ensemble's metadata: the first member's data provenance, then the ensemble's own. */
  private static Map<String, String> provenance(
      List<ParentModel> members,
      Compatibility c,
      EnsembleMethod method,
      String model,
      String jobId,
      EnsembleReport report,
      Map<String, Double> metrics) {
    ParentModel first = members.get(0);
    Map<String, String> meta = new LinkedHashMap<>(first.metadata());
    meta.remove("streamforge.stopped_by");
    meta.put("streamforge.version", Provenance.streamforgeVersion());
    meta.put("streamforge.job", jobId);
    meta.put("streamforge.model", model);
    List<String> names = members.stream().map(Compatibility::name).toList();
    Map<String, Object> architecture = new LinkedHashMap<>();
    architecture.put("type", "ensemble");
    architecture.put("method", method.id());
    architecture.put("members", names);
    Map<String, Object> hp = new LinkedHashMap<>();
    hp.put("architecture", architecture);
    hp.put("validation_fraction", c.validationFraction());
    hp.put("batch_size", first.batchSize());
    meta.put("streamforge.hyperparameters", json(hp));
    meta.put("streamforge.metrics", json(metrics));
    meta.put("streamforge.ensemble.members", json(names));
    meta.put("streamforge.ensemble.method", method.id());
    Map<String, String> shas = new LinkedHashMap<>();
    for (ParentModel m : members) {
      if (m.sha256() != null) {
        shas.put(Compatibility.name(m), m.sha256());
      }
    }
    meta.put("streamforge.ensemble.member_sha256", json(shas));
    meta.put("streamforge.ensemble.report", report.toJson());
    return meta;
  }

  /** The report stored in an ensemble model's metadata, if {@code onnx} is one. */
  public static Optional<EnsembleReport> reportOf(byte[] onnx) {
    String json = Onnx.metadata(Onnx.parse(onnx)).get("streamforge.ensemble.report");
    return json == null ? Optional.empty() : Optional.of(EnsembleReport.fromJson(json));
  }

  /** Strictly better: higher accuracy, or lower RMSE. NaN is never better. */
  static boolean better(double a, double b, boolean higherIsBetter) {
    if (Double.isNaN(a)) {
      return false;
    }
    if (Double.isNaN(b)) {
      return true;
    }
    return higherIsBetter ? a > b : a < b;
  }

  /** The element-wise mean, accumulated in double. */
  static float[] mean(List<float[]> outputs) {
    double[] sum = new double[outputs.get(0).length];
    for (float[] o : outputs) {
      if (o.length != sum.length) {
        throw new IllegalArgumentException(
            "member outputs differ in size: " + o.length + " vs " + sum.length);
      }
      for (int i = 0; i < sum.length; i++) {
        sum[i] += o[i];
      }
    }
    float[] out = new float[sum.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) (sum[i] / outputs.size());
    }
    return out;
  }

  /** Accuracy of the most probable class of each row of {@code probabilities} (row-major). */
  static double accuracy(float[] probabilities, float[] classes, float[] labels) {
    int width = classes.length;
    int right = 0;
    for (int r = 0; r < labels.length; r++) {
      if (classes[argmax(probabilities, r, width)] == labels[r]) {
        right++;
      }
    }
    return (double) right / labels.length;
  }

  private static double labelAccuracy(float[] predicted, float[] labels) {
    int right = 0;
    for (int r = 0; r < labels.length; r++) {
      if (predicted[r] == labels[r]) {
        right++;
      }
    }
    return (double) right / labels.length;
  }

  static double rmse(float[] predictions, float[] labels) {
    double se = 0;
    for (int r = 0; r < labels.length; r++) {
      double d = predictions[r] - labels[r];
      se += d * d;
    }
    return Math.sqrt(se / labels.length);
  }

  private static int argmax(float[] p, int row, int width) {
    int best = 0;
    for (int j = 1; j < width; j++) {
      if (p[row * width + j] > p[row * width + best]) {
        best = j;
      }
    }
    return best;
  }

  private static double maxAbsDiff(float[] a, float[] b) {
    if (a.length != b.length) {
      return Double.POSITIVE_INFINITY;
    }
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      double d = Math.abs((double) a[i] - b[i]);
      if (!(d <= max)) {
        max = d; // NaN propagates and fails the check
      }
    }
    return max;
  }

  /**
   * Rows whose label differs from the class of the reference's most probable column, except rows
   * where the reference's two most probable classes are within {@code tolerance} (a tie the two
   * computations may break differently).
   */
  private static int labelMismatches(
      float[] labels, float[] reference, float[] classes, int width, double tolerance) {
    int mismatches = 0;
    for (int r = 0; r < labels.length; r++) {
      int top = argmax(reference, r, width);
      if (labels[r] == classes[top]) {
        continue;
      }
      double second = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < width; j++) {
        if (j != top) {
          second = Math.max(second, reference[r * width + j]);
        }
      }
      if (reference[r * width + top] - second > tolerance) {
        mismatches++;
      }
    }
    return mismatches;
  }

  /** A graph's outputs on the validation rows. */
  private record Outputs(float[] main, float[] labels) {}

  private static Outputs run(byte[] onnx, EvaluationData data, boolean classification) {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(1);
      try (OrtSession session = env.createSession(onnx, options);
          OnnxTensor x =
              OnnxTensor.createTensor(
                  env,
                  FloatBuffer.wrap(data.valX()),
                  new long[] {data.valRows(), data.features()});
          OrtSession.Result r = session.run(Map.of(OnnxExporter.INPUT, x))) {
        if (classification) {
          return new Outputs(floats(r, OnnxExporter.PROBABILITIES), floats(r, OnnxExporter.LABEL));
        }
        return new Outputs(floats(r, OnnxExporter.PREDICTION), null);
      }
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime cannot run the ensemble: " + e.getMessage(), e);
    }
  }

  private static float[] floats(OrtSession.Result r, String name) {
    FloatBuffer b =
        ((OnnxTensor)
                r.get(name)
                    .orElseThrow(
                        () -> new IllegalStateException("the ensemble has no output " + name)))
            .getFloatBuffer();
    float[] out = new float[b.remaining()];
    b.get(out);
    return out;
  }

  private static String json(Object o) {
    try {
      return JSON.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write provenance: " + e.getMessage(), e);
    }
  }
}
