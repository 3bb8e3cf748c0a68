package io.streamforge.agents.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamforge.agents.task.ColumnKind;
import io.streamforge.agents.task.Requirements;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How to turn a dataset version into training tensors, decided once by the preprocessing agent and
 * handed to every training job of the workflow as JSON ({@code TrainingJob.preprocessing}), so that
 * every trial trains on the same columns, scaling and classes.
 *
 * @param features feature columns in tensor order
 * @param dropped columns not trained on, with the reason, in schema order
 * @param standardization per numeric feature: {@code {mean, std}} over all rows of the version
 *     (population standard deviation; 1 where it is 0, so that dividing is always safe)
 * @param categories per text feature: its distinct values, sorted (the trainer one-hot encodes the
 *     column over them, in this order)
 * @param classes the label values of a classification task, sorted numerically when they are
 *     numbers (the order of the model's outputs); empty for regression
 * @param validationFraction share of rows held out for validation
 * @param split how rows are assigned to validation: {@code row-hash} (by the hash of the row's
 *     content, see the trainer's {@code RowSplit})
 */
public record PreprocessingSpec(
    List<String> features,
    Map<String, String> dropped,
    Map<String, double[]> standardization,
    Map<String, List<String>> categories,
    List<String> classes,
    double validationFraction,
    String split) {

  /** The split rule the trainer implements. */
  public static final String ROW_HASH = "row-hash";

  private static final ObjectMapper JSON = new ObjectMapper();

  public PreprocessingSpec {
    features = List.copyOf(features);
    dropped = Collections.unmodifiableMap(new LinkedHashMap<>(dropped));
    Map<String, double[]> s = new LinkedHashMap<>();
    standardization.forEach((k, v) -> s.put(k, v.clone()));
    standardization = Collections.unmodifiableMap(s);
    Map<String, List<String>> c = new LinkedHashMap<>();
    if (categories != null) {
      categories.forEach((k, v) -> c.put(k, List.copyOf(v)));
    }
    categories = Collections.unmodifiableMap(c);
    classes = List.copyOf(classes);
    Objects.requireNonNull(split, "split");
  }

  /**
   * The spec for a task: the requested features minus those the quality report drops, scaled by
   * their statistics over the whole version.
   *
   * @throws IllegalArgumentException when the report is blocking, the fraction is not in (0, 1), or
   *     no feature is left
   */
  public static PreprocessingSpec from(
      DatasetStats stats, Requirements req, QualityReport report, double validationFraction) {
    if (!(validationFraction > 0 && validationFraction < 1)) {
      throw new IllegalArgumentException(
          "validation fraction must be in (0, 1), was " + validationFraction);
    }
    if (report.blocking()) {
      throw new IllegalArgumentException(
          "the data cannot be trained on: "
              + String.join(
                  "; ", report.of(Finding.Severity.ERROR).stream().map(Finding::message).toList()));
    }
    Map<String, String> reasons = new LinkedHashMap<>();
    for (Finding f : report.findings()) {
      if (f.column() != null && DataQuality.DROPPING.contains(f.code())) {
        reasons.putIfAbsent(f.column(), f.message());
      }
    }
    Map<String, String> dropped = new LinkedHashMap<>();
    for (String name : stats.columns().keySet()) {
      if (reasons.containsKey(name)) {
        dropped.put(name, reasons.remove(name));
      }
    }
    dropped.putAll(reasons); // requested features that are not in the data
    List<String> features = new ArrayList<>();
    Map<String, double[]> scale = new LinkedHashMap<>();
    Map<String, List<String>> categories = new LinkedHashMap<>();
    for (String name : req.features()) {
      if (dropped.containsKey(name)) {
        continue;
      }
      ColumnStats c = stats.column(name);
      features.add(name);
      if (c.kind() == ColumnKind.UTF8) {
        if (c.topValues() == null) {
          throw new IllegalStateException(
              "text column '" + name + "' kept without its value counts; cannot list categories");
        }
        categories.put(name, new ArrayList<>(new java.util.TreeSet<>(c.topValues().keySet())));
        continue;
      }
      double std = c.std();
      scale.put(name, new double[] {c.mean(), std > 1e-12 ? std : 1.0});
    }
    if (features.isEmpty()) {
      throw new IllegalArgumentException(
          "no feature is left to train on; dropped: " + String.join(", ", dropped.keySet()));
    }
    List<String> classes =
        req.classification()
            ? List.copyOf(stats.labelDistribution(req.label()).keySet())
            : List.of();
    return new PreprocessingSpec(
        features, dropped, scale, categories, classes, validationFraction, ROW_HASH);
  }

  /** The spec as JSON, for {@code TrainingJob.preprocessing}. */
  public String toJson() {
    try {
      return JSON.writeValueAsString(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write preprocessing spec as JSON", e);
    }
  }

  /**
   * The spec {@link #toJson} wrote.
   *
   * @throws IllegalArgumentException when the text is not such a spec
   */
  public static PreprocessingSpec fromJson(String json) {
    try {
      return JSON.readValue(json, PreprocessingSpec.class);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not a preprocessing spec: " + e.getOriginalMessage(), e);
    }
  }

  /** Equal when every field is, the standardization arrays by content. */
  @Override
  public boolean equals(Object o) {
    if (!(o instanceof PreprocessingSpec p)) {
      return false;
    }
    if (!features.equals(p.features)
        || !dropped.equals(p.dropped)
        || !categories.equals(p.categories)
        || !classes.equals(p.classes)
        || Double.compare(validationFraction, p.validationFraction) != 0
        || !split.equals(p.split)
        || !standardization.keySet().equals(p.standardization.keySet())) {
      return false;
    }
    for (Map.Entry<String, double[]> e : standardization.entrySet()) {
      if (!Arrays.equals(e.getValue(), p.standardization.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    int h = Objects.hash(features, dropped, categories, classes, validationFraction, split);
    for (Map.Entry<String, double[]> e : standardization.entrySet()) {
      h = 31 * h + e.getKey().hashCode() * 17 + Arrays.hashCode(e.getValue());
    }
    return h;
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder();
    standardization.forEach(
        (k, v) ->
            s.append(s.length() == 0 ? "" : ", ").append(k).append('=').append(Arrays.toString(v)));
    return "PreprocessingSpec[features="
        + features
        + ", dropped="
        + dropped
        + ", standardization={"
        + s
        + "}, categories="
        + categories
        + ", classes="
        + classes
        + ", validationFraction="
        + validationFraction
        + ", split="
        + split
        + "]";
  }
}
