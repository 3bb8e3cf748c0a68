package io.streamforge.training.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamforge.arrowio.tensor.FeatureEncoding;
import io.streamforge.schemas.records.TrainingJob;
import java.io.IOException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a job's preprocessing spec ({@code TrainingJob.preprocessing}, JSON) fixes in advance, so
 * that every trial of a workflow scales and encodes the same way: {@code standardization} ({@code
 * {"column": [mean, std]}}) and {@code categories} ({@code {"column": ["value", ...]}}, the one-hot
 * order of a text column). Whatever the spec leaves out is computed from the data. Other fields of
 * the spec (the preprocessing agent's features, dropped columns, classes) are read elsewhere or are
 * informative.
 *
 * @param standardization given {@code {mean, std}} per numeric column
 * @param categories given categories per text column
 */
public record GivenPreprocessing(
    Map<String, double[]> standardization, Map<String, List<String>> categories) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Nothing given: everything is computed from the data. */
  public static final GivenPreprocessing NONE = new GivenPreprocessing(Map.of(), Map.of());

  /**
   * The job's spec.
   *
   * @throws UnusableJobException when the spec is not JSON or its fields have the wrong shape
   */
  public static GivenPreprocessing of(TrainingJob job) {
    String text = job.preprocessing();
    if (text == null || text.isBlank()) {
      return NONE;
    }
    JsonNode root;
    try {
      root = JSON.readTree(text);
    } catch (IOException e) {
      throw new UnusableJobException(
          "the preprocessing spec is not JSON: " + e.getMessage().lines().findFirst().orElse(""));
    }
    if (root == null || !root.isObject()) {
      throw new UnusableJobException("the preprocessing spec must be a JSON object");
    }
    Map<String, double[]> standardization = new LinkedHashMap<>();
    JsonNode s = root.get("standardization");
    if (s != null && !s.isNull()) {
      if (!s.isObject()) {
        throw new UnusableJobException(
            "the preprocessing spec's standardization must be an object of [mean, std] pairs");
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = s.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        JsonNode v = e.getValue();
        if (!v.isArray() || v.size() != 2 || !v.get(0).isNumber() || !v.get(1).isNumber()) {
          throw new UnusableJobException(
              "the preprocessing spec's standardization of '"
                  + e.getKey()
                  + "' must be [mean, std], was "
                  + v);
        }
        standardization.put(e.getKey(), new double[] {v.get(0).asDouble(), v.get(1).asDouble()});
      }
    }
    try {
      return new GivenPreprocessing(
          standardization, FeatureEncoding.categories(root.get("categories")));
    } catch (IllegalArgumentException e) {
      throw new UnusableJobException("the preprocessing spec's " + e.getMessage(), e);
    }
  }
}
