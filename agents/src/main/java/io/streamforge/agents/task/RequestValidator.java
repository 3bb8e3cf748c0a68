package io.streamforge.agents.task;

import io.streamforge.schemas.records.DatasetManifest;
import io.streamforge.schemas.records.TrainingJob.TaskType;
import io.streamforge.schemas.records.WorkflowRequest;
import io.streamforge.schemas.records.WorkflowRequest.Constraints;
import io.streamforge.schemas.records.WorkflowRequest.Objectives;
import io.streamforge.schemas.records.WorkflowRequest.Rollout;
import io.streamforge.schemas.records.WorkflowRequest.Search;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Checks a workflow request before anything runs, and fills its defaults. The orchestrator calls
 * {@link #withDefaults} first and then {@link #problems}, and rejects the request with every
 * problem at once, so that a user fixes a request in one round rather than one error per
 * submission.
 */
public final class RequestValidator {

  /** Search strategies the search agent implements. */
  public static final List<String> STRATEGIES = List.of("tpe", "random", "gp");

  /** Objectives a request may optimise and weigh. */
  public static final List<String> OBJECTIVES = List.of("accuracy", "latency", "size");

  /** Canary thresholds a rollout may set. */
  public static final List<String> THRESHOLDS =
      List.of("max_error_rate", "max_p99_ratio", "min_samples");

  /**
   * Options a request may set: {@code seed} (a long, for every random choice), {@code trial_epochs}
   * and {@code final_epochs} (epochs of a search trial and of the final training), {@code
   * batch_size} (rows per step), {@code device} ({@code auto}, {@code cpu} or {@code gpu}), {@code
   * model} (the name the model is registered and served under; default the dataset's), {@code
   * quantize} (comma-separated quantization methods, or {@code none}) and {@code max_accuracy_drop}
   * (points a quantized variant may lose, default 1).
   */
  public static final List<String> OPTIONS =
      List.of(
          "seed",
          "trial_epochs",
          "final_epochs",
          "batch_size",
          "device",
          "model",
          "quantize",
          "max_accuracy_drop",
          "ensemble_members");

  /** Devices the {@code device} option may name. */
  public static final List<String> DEVICES = List.of("auto", "cpu", "gpu");

  /** The smallest time budget worth starting a search for. */
  public static final long MIN_TIME_BUDGET_SECONDS = 30;

  /** Hidden units of the smallest model the search may build (one hidden layer). */
  public static final int SMALLEST_HIDDEN = 4;

  public static final String DEFAULT_STRATEGY = "tpe";
  public static final int DEFAULT_MAX_TRIALS = 8;
  public static final int DEFAULT_PARALLEL_TRIALS = 2;
  public static final int DEFAULT_PATIENCE = 5;
  public static final double DEFAULT_HOLDOUT = 0.2;
  public static final double DEFAULT_CANARY_WEIGHT = 10;
  public static final int DEFAULT_ANALYSIS_INTERVAL_SECONDS = 5;

  /** Default canary thresholds, in {@link #THRESHOLDS} order. */
  public static final Map<String, Double> DEFAULT_THRESHOLDS = defaultThresholds();

  private RequestValidator() {}

  /**
   * Every problem with the request, empty when it is valid. Each message names the field, what it
   * must be and what it was.
   *
   * @param request the request, defaults already filled ({@link #withDefaults})
   * @param manifest the dataset version the request names (the latest sealed one when it names
   *     none), or null when that dataset or version does not exist or is not sealed
   */
  public static List<String> problems(WorkflowRequest request, DatasetManifest manifest) {
    if (request == null) {
      return List.of("request is missing");
    }
    List<String> p = new ArrayList<>();
    if (blank(request.workflowId())) {
      p.add("workflowId is missing");
    }
    if (request.datasetVersion() != null && request.datasetVersion() <= 0) {
      p.add("datasetVersion must be positive when given, was " + request.datasetVersion());
    }
    Schema schema = dataset(request, manifest, p);
    Requirements req = label(request, manifest, schema, p);
    validation(request, p);
    search(request.search(), p);
    objectives(request.objectives(), p);
    constraints(request.constraints(), req, p);
    if (request.timeBudgetSeconds() != null
        && request.timeBudgetSeconds() < MIN_TIME_BUDGET_SECONDS) {
      p.add(
          "timeBudgetSeconds must be at least "
              + MIN_TIME_BUDGET_SECONDS
              + " when given, was "
              + request.timeBudgetSeconds());
    }
    rollout(request.deployment(), p);
    options(request.options(), p);
    return List.copyOf(p);
  }

  private static Schema dataset(WorkflowRequest r, DatasetManifest m, List<String> p) {
    if (blank(r.dataset())) {
      p.add("dataset is missing");
      return null;
    }
    String which =
        "dataset '"
            + r.dataset()
            + "'"
            + (r.datasetVersion() == null ? "" : " version " + r.datasetVersion());
    if (m == null) {
      p.add(
          which
              + (r.datasetVersion() == null
                  ? " has no sealed version"
                  : " does not exist or is not sealed"));
      return null;
    }
    if (!m.sealed()) {
      p.add(
          which
              + " is "
              + m.status()
              + ", not SEALED"
              + (m.error() != null ? " (" + m.error() + ")" : ""));
      return null;
    }
    try {
      return RuleBasedTaskAnalyzer.schemaOf(m);
    } catch (IllegalArgumentException e) {
      p.add(e.getMessage());
      return null;
    }
  }

  /** Checks the label; returns the task analysis when the label is usable, else null. */
  private static Requirements label(
      WorkflowRequest r, DatasetManifest m, Schema schema, List<String> p) {
    String label = RuleBasedTaskAnalyzer.labelOf(r, m);
    if (label == null) {
      p.add("label is missing and the dataset names no label column");
      return null;
    }
    if (schema == null) {
      return null;
    }
    Field field = RuleBasedTaskAnalyzer.find(schema, label);
    if (field == null) {
      p.add(
          "label column '"
              + label
              + "' does not exist; the columns are: "
              + RuleBasedTaskAnalyzer.columns(schema));
      return null;
    }
    ColumnKind kind = ColumnKind.of(field);
    if (!kind.trainable()) {
      p.add(
          "label column '"
              + label
              + "' is "
              + ColumnKind.describe(field)
              + "; the trainer reads int, float and bool labels only (encode the classes as"
              + " integers)");
      return null;
    }
    if (r.taskType() == TaskType.REGRESSION && kind == ColumnKind.BOOL) {
      p.add("taskType REGRESSION needs a numeric label; label column '" + label + "' is bool");
      return null;
    }
    Requirements req = new RuleBasedTaskAnalyzer().analyze(r, m);
    if (req.features().isEmpty()) {
      p.add(
          "dataset '"
              + r.dataset()
              + "' has no int, float, bool or text column besides the label '"
              + label
              + "'; the columns are: "
              + RuleBasedTaskAnalyzer.columns(schema));
      return null;
    }
    return req;
  }

  private static void validation(WorkflowRequest r, List<String> p) {
    double h = r.holdoutFraction();
    int k = r.folds();
    boolean holdout = h != 0;
    boolean folds = k != 0;
    String choose = "use a holdoutFraction in (0, 0.5] or folds >= 2";
    if (holdout && folds) {
      p.add("holdoutFraction (" + h + ") and folds (" + k + ") are both set; " + choose);
    } else if (!holdout && !folds) {
      p.add("neither holdoutFraction nor folds is set; " + choose);
    } else if (holdout && !(h > 0 && h <= 0.5)) {
      p.add("holdoutFraction must be in (0, 0.5], was " + h);
    } else if (folds && k < 2) {
      p.add("folds must be at least 2, was " + k);
    }
  }

  private static void search(Search s, List<String> p) {
    if (s == null) {
      p.add("search is missing");
      return;
    }
    if (!STRATEGIES.contains(s.strategy())) {
      p.add(
          "search.strategy must be one of "
              + String.join(", ", STRATEGIES)
              + "; was "
              + quoted(s.strategy()));
    }
    if (s.maxTrials() < 1) {
      p.add("search.maxTrials must be at least 1, was " + s.maxTrials());
    }
    if (s.parallelTrials() < 1 || (s.maxTrials() >= 1 && s.parallelTrials() > s.maxTrials())) {
      p.add(
          "search.parallelTrials must be in [1, maxTrials = "
              + s.maxTrials()
              + "], was "
              + s.parallelTrials());
    }
    if (s.patience() < 0) {
      p.add("search.patience must be at least 0, was " + s.patience());
    }
  }

  private static void objectives(Objectives o, List<String> p) {
    if (o == null) {
      p.add("objectives is missing");
      return;
    }
    String allowed = String.join(", ", OBJECTIVES);
    if (!OBJECTIVES.contains(o.primary())) {
      p.add("objectives.primary must be one of " + allowed + "; was " + quoted(o.primary()));
    }
    if (o.secondary() != null) {
      if (!OBJECTIVES.contains(o.secondary())) {
        p.add(
            "objectives.secondary must be one of "
                + allowed
                + " or absent; was "
                + quoted(o.secondary()));
      } else if (o.secondary().equals(o.primary())) {
        p.add("objectives.secondary repeats the primary '" + o.primary() + "'");
      }
    }
    if (o.weights() == null || o.weights().isEmpty()) {
      return;
    }
    List<String> unknown = new ArrayList<>();
    boolean valid = true;
    double sum = 0;
    for (Map.Entry<String, Double> e : o.weights().entrySet()) {
      if (!OBJECTIVES.contains(e.getKey())) {
        unknown.add("'" + e.getKey() + "'");
        continue;
      }
      Double w = e.getValue();
      if (w == null || !(w >= 0) || w.isInfinite()) {
        p.add("objectives.weights['" + e.getKey() + "'] must be a number >= 0, was " + w);
        valid = false;
      } else {
        sum += w;
      }
    }
    if (!unknown.isEmpty()) {
      p.add(
          "objectives.weights has unknown key(s) "
              + String.join(", ", unknown)
              + "; allowed: "
              + allowed);
    } else if (valid && sum == 0) {
      p.add("objectives.weights are all 0; at least one must be positive");
    }
  }

  private static void constraints(Constraints c, Requirements req, List<String> p) {
    if (c == null) {
      return;
    }
    if (c.maxModelBytes() != null) {
      if (c.maxModelBytes() <= 0) {
        p.add("constraints.maxModelBytes must be positive, was " + c.maxModelBytes());
      } else if (req != null) {
        int features = req.features().size();
        int outputs = req.classification() ? 2 : 1;
        long min = minimumModelBytes(features, outputs);
        if (c.maxModelBytes() < min) {
          p.add(
              "constraints.maxModelBytes "
                  + c.maxModelBytes()
                  + " is below the smallest possible model, "
                  + min
                  + " bytes (an MLP of "
                  + features
                  + " inputs, "
                  + SMALLEST_HIDDEN
                  + " hidden units and "
                  + outputs
                  + " output(s), float32)");
        }
      }
    }
    Double lat = c.maxLatencyMs();
    if (lat != null && !(lat > 0 && lat < Double.POSITIVE_INFINITY)) {
      p.add("constraints.maxLatencyMs must be a positive number, was " + lat);
    }
    if (c.maxMemoryBytes() != null && c.maxMemoryBytes() <= 0) {
      p.add("constraints.maxMemoryBytes must be positive, was " + c.maxMemoryBytes());
    }
  }

  /**
   * Bytes of the parameters of the smallest model the search builds: one hidden layer of {@link
   * #SMALLEST_HIDDEN} units, float32, {@code (features × 4 + 4 + 4 × outputs + outputs) × 4}. A
   * text feature is one input per category; counted once, the result is still a lower bound.
   */
  public static long minimumModelBytes(int features, int outputs) {
    long floats =
        (long) features * SMALLEST_HIDDEN
            + SMALLEST_HIDDEN
            + (long) SMALLEST_HIDDEN * outputs
            + outputs;
    return floats * Float.BYTES;
  }

  private static void rollout(Rollout r, List<String> p) {
    if (r == null) {
      p.add("deployment is missing");
      return;
    }
    if (!(r.canaryWeight() > 0 && r.canaryWeight() < 100)) {
      p.add("deployment.canaryWeight must be in (0, 100), was " + r.canaryWeight());
    }
    if (r.analysisIntervalSeconds() < 1) {
      p.add(
          "deployment.analysisIntervalSeconds must be at least 1, was "
              + r.analysisIntervalSeconds());
    }
    if (r.thresholds() == null) {
      return;
    }
    List<String> unknown = new ArrayList<>();
    for (Map.Entry<String, Double> e : r.thresholds().entrySet()) {
      String key = e.getKey();
      Double v = e.getValue();
      String field = "deployment.thresholds['" + key + "']";
      switch (key) {
        case "max_error_rate" -> {
          if (v == null || !(v >= 0 && v <= 1)) {
            p.add(field + " must be in [0, 1], was " + v);
          }
        }
        case "max_p99_ratio" -> {
          if (v == null || !(v >= 1 && v < Double.POSITIVE_INFINITY)) {
            p.add(field + " must be at least 1 (canary p99 over stable p99), was " + v);
          }
        }
        case "min_samples" -> {
          if (v == null || !(v >= 1 && v < Long.MAX_VALUE) || v != Math.rint(v)) {
            p.add(field + " must be a whole number >= 1, was " + v);
          }
        }
        default -> unknown.add("'" + key + "'");
      }
    }
    if (!unknown.isEmpty()) {
      p.add(
          "deployment.thresholds has unknown key(s) "
              + String.join(", ", unknown)
              + "; allowed: "
              + String.join(", ", THRESHOLDS));
    }
  }

  private static void options(Map<String, String> options, List<String> p) {
    if (options == null) {
      return;
    }
    List<String> unknown = new ArrayList<>();
    for (Map.Entry<String, String> e : options.entrySet()) {
      String key = e.getKey();
      String v = e.getValue();
      String field = "options['" + key + "']";
      switch (key) {
        case "seed" -> {
          if (parseLong(v) == null) {
            p.add(field + " must be a whole number, was " + quoted(v));
          }
        }
        case "ensemble_members" -> {
          Long n = parseLong(v);
          if (n == null || n < 2 || n > 10) {
            p.add(field + " must be a whole number from 2 to 10, was " + quoted(v));
          }
        }
        case "trial_epochs", "final_epochs", "batch_size" -> {
          Long n = parseLong(v);
          if (n == null || n < 1 || n > Integer.MAX_VALUE) {
            p.add(field + " must be a positive whole number, was " + quoted(v));
          }
        }
        case "model" -> {
          if (v == null || !v.matches("[A-Za-z0-9][A-Za-z0-9_-]{0,99}")) {
            p.add(
                field
                    + " must be 1 to 100 letters, digits, '_' or '-' (starting with a letter or"
                    + " digit); was "
                    + quoted(v));
          }
        }
        case "quantize" -> {
          if (v == null || !v.matches("[a-z0-9-]+(,[a-z0-9-]+)*")) {
            p.add(field + " must be 'none' or a comma-separated list of methods; was " + quoted(v));
          }
        }
        case "max_accuracy_drop" -> {
          Double d = null;
          try {
            d = v == null ? null : Double.parseDouble(v);
          } catch (NumberFormatException notANumber) {
            d = null;
          }
          if (d == null || !(d >= 0 && d <= 100)) {
            p.add(field + " must be a number of points from 0 to 100; was " + quoted(v));
          }
        }
        case "device" -> {
          if (!DEVICES.contains(v)) {
            p.add(field + " must be one of " + String.join(", ", DEVICES) + "; was " + quoted(v));
          }
        }
        default -> unknown.add("'" + key + "'");
      }
    }
    if (!unknown.isEmpty()) {
      p.add(
          "options has unknown key(s) "
              + String.join(", ", unknown)
              + "; allowed: "
              + String.join(", ", OPTIONS));
    }
  }

  /**
   * The request with defaults where fields are null or 0: search {@code tpe}, 8 trials, 2 at once
   * (never more than maxTrials), patience 5 (so 0 cannot ask for no early stopping); a 0.2 holdout
   * when neither holdout nor folds is set; objectives accuracy with weight 1 (see {@link
   * #weights}); rollout canary 10 %, judged every 5 s, thresholds {@link #DEFAULT_THRESHOLDS} for
   * those not given; options empty; submittedAt {@code now}. Values that are set, even invalid
   * ones, stay for {@link #problems} to report.
   */
  public static WorkflowRequest withDefaults(WorkflowRequest request, Instant now) {
    Objects.requireNonNull(request, "request");
    Search s = request.search();
    Search search;
    if (s == null) {
      search =
          new Search(
              DEFAULT_STRATEGY, DEFAULT_MAX_TRIALS, DEFAULT_PARALLEL_TRIALS, DEFAULT_PATIENCE);
    } else {
      int maxTrials = s.maxTrials() == 0 ? DEFAULT_MAX_TRIALS : s.maxTrials();
      int parallel =
          s.parallelTrials() == 0
              ? Math.max(1, Math.min(DEFAULT_PARALLEL_TRIALS, maxTrials))
              : s.parallelTrials();
      search =
          new Search(
              s.strategy() == null ? DEFAULT_STRATEGY : s.strategy(),
              maxTrials,
              parallel,
              s.patience() == 0 ? DEFAULT_PATIENCE : s.patience());
    }
    double holdout =
        request.holdoutFraction() == 0 && request.folds() == 0
            ? DEFAULT_HOLDOUT
            : request.holdoutFraction();
    Objectives o = request.objectives();
    Objectives objectives;
    if (o == null) {
      objectives = new Objectives("accuracy", null, Map.of("accuracy", 1.0));
    } else {
      String primary = o.primary() == null ? "accuracy" : o.primary();
      Objectives filled = new Objectives(primary, o.secondary(), o.weights());
      objectives =
          o.weights() == null || o.weights().isEmpty()
              ? new Objectives(primary, o.secondary(), weights(filled))
              : filled;
    }
    Rollout r = request.deployment();
    Rollout rollout;
    if (r == null) {
      rollout =
          new Rollout(DEFAULT_CANARY_WEIGHT, DEFAULT_ANALYSIS_INTERVAL_SECONDS, DEFAULT_THRESHOLDS);
    } else {
      Map<String, Double> thresholds = new LinkedHashMap<>(DEFAULT_THRESHOLDS);
      if (r.thresholds() != null) {
        thresholds.putAll(r.thresholds());
      }
      rollout =
          new Rollout(
              r.canaryWeight() == 0 ? DEFAULT_CANARY_WEIGHT : r.canaryWeight(),
              r.analysisIntervalSeconds() == 0
                  ? DEFAULT_ANALYSIS_INTERVAL_SECONDS
                  : r.analysisIntervalSeconds(),
              thresholds);
    }
    return new WorkflowRequest(
        request.workflowId(),
        request.task(),
        request.dataset(),
        request.datasetVersion(),
        request.label(),
        request.taskType(),
        request.timeBudgetSeconds(),
        request.constraints(),
        objectives,
        search,
        holdout,
        request.folds(),
        rollout,
        request.ensemble(),
        request.options() == null ? Map.of() : request.options(),
        request.submittedAt() == null ? Objects.requireNonNull(now, "now") : request.submittedAt());
  }

  /**
   * The weights the objectives stand for: their own when given, else 1 for the primary (accuracy
   * when none) and 0.5 for the secondary.
   */
  public static Map<String, Double> weights(Objectives o) {
    if (o != null && o.weights() != null && !o.weights().isEmpty()) {
      return o.weights();
    }
    Map<String, Double> w = new LinkedHashMap<>();
    w.put(o == null || o.primary() == null ? "accuracy" : o.primary(), 1.0);
    if (o != null && o.secondary() != null) {
      w.putIfAbsent(o.secondary(), 0.5);
    }
    return w;
  }

  private static Map<String, Double> defaultThresholds() {
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("max_error_rate", 0.01);
    m.put("max_p99_ratio", 1.5);
    m.put("min_samples", 50.0);
    return Collections.unmodifiableMap(m);
  }

  private static Long parseLong(String v) {
    try {
      return v == null ? null : Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  private static String quoted(String s) {
    return s == null ? "nothing" : "'" + s + "'";
  }
}
