package io.streamforge.arrowio.tensor;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Finds the categories of text feature columns in the data, batch by batch, for a {@link
 * TensorConverter} that one-hot encodes them: the distinct non-null values of each column, sorted
 * (so that the encoding does not depend on the order the batches arrive in). A column with more
 * than {@link FeatureEncoding#MAX_CATEGORIES} distinct values is refused: that is an identifier or
 * free text, not a category. Not thread-safe.
 */
public final class CategoryCollector {
  private final Map<String, Integer> columnIndex = new LinkedHashMap<>();
  private final Map<String, TreeSet<String>> values = new HashMap<>();
  private final Map<String, List<String>> given;

  /**
   * @param schema the batches' schema
   * @param featureColumns feature columns; null or empty for every column except the label
   * @param labelColumn the label column, or null
   * @param given categories already known (from a preprocessing spec): those columns are not
   *     collected
   */
  public CategoryCollector(
      Schema schema,
      List<String> featureColumns,
      String labelColumn,
      Map<String, List<String>> given) {
    this.given = new LinkedHashMap<>(given);
    List<Field> fields = schema.getFields();
    for (int i = 0; i < fields.size(); i++) {
      Field f = fields.get(i);
      boolean feature =
          featureColumns == null || featureColumns.isEmpty()
              ? !f.getName().equals(labelColumn)
              : featureColumns.contains(f.getName());
      if (feature && TensorConverter.isText(f) && !given.containsKey(f.getName())) {
        columnIndex.putIfAbsent(f.getName(), i);
        values.put(f.getName(), new TreeSet<>());
      }
    }
  }

  /** Whether any text column still needs its categories (else there is nothing to read). */
  public boolean needsData() {
    return !columnIndex.isEmpty();
  }

  /** The text columns whose categories are collected. */
  public List<String> columns() {
    return List.copyOf(columnIndex.keySet());
  }

  /**
   * Adds a batch's values.
   *
   * @throws IllegalArgumentException when a column goes over {@link FeatureEncoding#MAX_CATEGORIES}
   *     distinct values
   */
  public void add(VectorSchemaRoot batch) {
    int rows = batch.getRowCount();
    for (Map.Entry<String, Integer> e : columnIndex.entrySet()) {
      FieldVector v = batch.getVector(e.getValue());
      if (v == null || !v.getField().getName().equals(e.getKey())) {
        throw new IllegalArgumentException(
            "batch does not have the collector's schema: column "
                + e.getValue()
                + " is not '"
                + e.getKey()
                + "'");
      }
      TreeSet<String> seen = values.get(e.getKey());
      for (int r = 0; r < rows; r++) {
        String s = TensorConverter.text(v, r);
        if (s != null && seen.add(s) && seen.size() > FeatureEncoding.MAX_CATEGORIES) {
          throw new IllegalArgumentException(
              "text column '"
                  + e.getKey()
                  + "' has more than "
                  + FeatureEncoding.MAX_CATEGORIES
                  + " distinct values: too many to one-hot encode as a category (an identifier or"
                  + " free text?); leave it out of the features");
        }
      }
    }
  }

  /**
   * The categories of every text feature column: the given ones, then those collected.
   *
   * @throws IllegalArgumentException when a collected column has no value at all
   */
  public Map<String, List<String>> categories() {
    Map<String, List<String>> out = new LinkedHashMap<>(given);
    for (String c : columnIndex.keySet()) {
      TreeSet<String> seen = values.get(c);
      if (seen.isEmpty()) {
        throw new IllegalArgumentException(
            "text column '" + c + "' has no values (all null): nothing to encode");
      }
      out.put(c, new ArrayList<>(seen));
    }
    return out;
  }
}
