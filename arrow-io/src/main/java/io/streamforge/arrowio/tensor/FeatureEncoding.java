package io.streamforge.arrowio.tensor;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How a row's raw feature values become the model's input vector: the numeric (int, float, bool)
 * columns first, in their order, then each categorical (text) column one-hot encoded over its
 * categories, in column order. A value that is not among a column's categories (and a null) encodes
 * as all zeros. The encoded vector's column names are the numeric column names followed by {@code
 * column=category} for every category.
 *
 * <p>The same description goes into an exported model's metadata ({@link #toJson}), so that
 * everything that feeds the model later (parity checks, quantization, ensembling, clients) knows
 * its inputs: one float input of the numeric columns and one string input per categorical column.
 *
 * @param numeric numeric feature columns, in input order
 * @param categories categorical feature columns, in input order, each with its categories in
 *     one-hot order
 */
public record FeatureEncoding(List<String> numeric, Map<String, List<String>> categories) {
  /** Most categories one column may have: more is an identifier or free text, not a category. */
  public static final int MAX_CATEGORIES = 256;

  private static final ObjectMapper JSON = new ObjectMapper();

  public FeatureEncoding {
    numeric = List.copyOf(numeric);
    Map<String, List<String>> c = new LinkedHashMap<>();
    categories.forEach(
        (k, v) -> {
          if (new HashSet<>(v).size() != v.size()) {
            throw new IllegalArgumentException("categories of column '" + k + "' repeat a value");
          }
          c.put(k, List.copyOf(v));
        });
    categories = Collections.unmodifiableMap(c);
    Set<String> seen = new HashSet<>(numeric);
    for (String k : categories.keySet()) {
      if (!seen.add(k)) {
        throw new IllegalArgumentException("column '" + k + "' is both numeric and categorical");
      }
    }
  }

  /** Numeric columns only. */
  public static FeatureEncoding numericOnly(List<String> numeric) {
    return new FeatureEncoding(numeric, Map.of());
  }

  public boolean hasCategories() {
    return !categories.isEmpty();
  }

  /** Width of the encoded vector. */
  public int width() {
    int w = numeric.size();
    for (List<String> v : categories.values()) {
      w += v.size();
    }
    return w;
  }

  /** The raw feature columns: numeric, then categorical. */
  public List<String> columns() {
    List<String> out = new ArrayList<>(numeric);
    out.addAll(categories.keySet());
    return out;
  }

  /** Names of the encoded vector's columns. */
  public List<String> encodedNames() {
    List<String> out = new ArrayList<>(numeric);
    categories.forEach((col, values) -> values.forEach(v -> out.add(col + "=" + v)));
    return out;
  }

  /** Whether encoded column {@code j} is a one-hot column (not scaled by standardization). */
  public boolean isOneHot(int j) {
    return j >= numeric.size();
  }

  /**
   * The category a one-hot block of an encoded row names: {@code encoded[rowOffset + ...]} is read
   * for column {@code column}'s block; null when the block is all zeros (an unknown value).
   */
  public String decode(String column, float[] encoded, int rowOffset) {
    int start = numeric.size();
    for (Map.Entry<String, List<String>> e : categories.entrySet()) {
      if (e.getKey().equals(column)) {
        List<String> values = e.getValue();
        for (int i = 0; i < values.size(); i++) {
          if (encoded[rowOffset + start + i] != 0f) {
            return values.get(i);
          }
        }
        return null;
      }
      start += e.getValue().size();
    }
    throw new IllegalArgumentException("no categorical column '" + column + "'");
  }

  /** {@code {"numeric": [...], "categories": {"col": [...], ...}}}. */
  public String toJson() {
    ObjectNode root = JSON.createObjectNode();
    ArrayNode n = root.putArray("numeric");
    numeric.forEach(n::add);
    ObjectNode c = root.putObject("categories");
    categories.forEach(
        (k, v) -> {
          ArrayNode a = c.putArray(k);
          v.forEach(a::add);
        });
    return root.toString();
  }

  /**
   * The encoding {@link #toJson} wrote.
   *
   * @throws IllegalArgumentException when the text is not one
   */
  public static FeatureEncoding fromJson(String json) {
    try {
      JsonNode root = JSON.readTree(json);
      if (root == null || !root.path("numeric").isArray() || !root.path("categories").isObject()) {
        throw new IllegalArgumentException(
            "a feature encoding needs \"numeric\" (array) and \"categories\" (object)");
      }
      List<String> numeric = new ArrayList<>();
      root.get("numeric").forEach(v -> numeric.add(v.asText()));
      return new FeatureEncoding(numeric, categories(root.get("categories")));
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not a feature encoding: " + e.getOriginalMessage(), e);
    }
  }

  /**
   * Categories given as a JSON object of string arrays ({@code {"color": ["blue", "red"]}}), as in
   * a preprocessing spec.
   *
   * @throws IllegalArgumentException when it is not such an object
   */
  public static Map<String, List<String>> categories(JsonNode node) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    if (node == null || node.isNull()) {
      return out;
    }
    if (!node.isObject()) {
      throw new IllegalArgumentException("categories must be an object of string arrays");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isArray() || e.getValue().isEmpty()) {
        throw new IllegalArgumentException(
            "categories of column '" + e.getKey() + "' must be a non-empty array of strings");
      }
      List<String> values = new ArrayList<>();
      for (JsonNode v : e.getValue()) {
        if (!v.isTextual()) {
          throw new IllegalArgumentException(
              "categories of column '" + e.getKey() + "' must be strings, found " + v);
        }
        values.add(v.asText());
      }
      if (values.size() > MAX_CATEGORIES) {
        throw new IllegalArgumentException(
            "column '"
                + e.getKey()
                + "' has "
                + values.size()
                + " categories; at most "
                + MAX_CATEGORIES);
      }
      out.put(e.getKey(), values);
    }
    return out;
  }
}
