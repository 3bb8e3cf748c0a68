package io.streamforge.agents.data;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;

/**
 * Column statistics of one dataset version, the preprocessing agent's state: it starts {@link
 * #empty}, takes every Arrow batch of the version with {@link #add}, and two partial states {@link
 * #merge} (e.g. the states of two partitions). The state is immutable: {@code add} and {@code
 * merge} return a new state and leave this one as it was, so a state store can keep it as is.
 *
 * @param dataset dataset name
 * @param version dataset version
 * @param rows rows seen
 * @param batches batches seen
 * @param columns statistics per column, in schema order
 */
public record DatasetStats(
    String dataset, int version, long rows, long batches, Map<String, ColumnStats> columns) {

  public DatasetStats {
    Objects.requireNonNull(dataset, "dataset");
    columns = Collections.unmodifiableMap(new LinkedHashMap<>(columns));
  }

  /** The statistics of a version with no batch seen yet. */
  public static DatasetStats empty(String dataset, int version) {
    return new DatasetStats(dataset, version, 0, 0, Map.of());
  }

  /**
   * This state with one more batch; this state does not change. Every column is counted: int/uint,
   * float, decimal and bool columns as numbers, utf8 and dictionary-encoded columns as strings
   * (decoded through {@code dictionaries}), other types by their values' text.
   *
   * @param root the batch; only read, stays the caller's
   * @param dictionaries the batch's dictionaries, or null when no column is dictionary-encoded
   * @throws IllegalArgumentException when a column's type differs from earlier batches, or a
   *     dictionary-encoded column's dictionary is missing
   */
  public DatasetStats add(VectorSchemaRoot root, DictionaryProvider dictionaries) {
    Map<String, ColumnStats> out = new LinkedHashMap<>(columns);
    for (FieldVector v : root.getFieldVectors()) {
      ColumnStats batch = ColumnScanner.scan(v, dictionaries);
      out.merge(batch.name(), batch, ColumnStats::merge);
    }
    return new DatasetStats(dataset, version, rows + root.getRowCount(), batches + 1, out);
  }

  /**
   * The statistics of both states' batches together.
   *
   * @throws IllegalArgumentException when the states are of different datasets or versions, or a
   *     column's type differs
   */
  public DatasetStats merge(DatasetStats other) {
    if (!dataset.equals(other.dataset) || version != other.version) {
      throw new IllegalArgumentException(
          "cannot merge statistics of "
              + dataset
              + ":"
              + version
              + " with those of "
              + other.dataset
              + ":"
              + other.version);
    }
    Map<String, ColumnStats> out = new LinkedHashMap<>(columns);
    other.columns.forEach((name, c) -> out.merge(name, c, ColumnStats::merge));
    return new DatasetStats(dataset, version, rows + other.rows, batches + other.batches, out);
  }

  /**
   * The statistics of one column.
   *
   * @throws IllegalArgumentException naming the columns when there is no such column
   */
  public ColumnStats column(String name) {
    ColumnStats c = columns.get(name);
    if (c == null) {
      throw new IllegalArgumentException(
          "no column '"
              + name
              + "' in "
              + dataset
              + ":"
              + version
              + "; the columns are: "
              + String.join(", ", columns.keySet()));
    }
    return c;
  }

  /**
   * Rows per label value, ordered by value (numerically when every value is a number), from the
   * label column's exact value counts; empty when the column has more than {@link
   * ColumnStats#MAX_TOP_VALUES} distinct values (no classification label then). Missing labels are
   * not counted.
   *
   * @throws IllegalArgumentException when there is no such column
   */
  public Map<String, Long> labelDistribution(String label) {
    Map<String, Long> top = column(label).topValues();
    if (top == null) {
      return Map.of();
    }
    Map<String, Long> out = new LinkedHashMap<>();
    for (String k : sortedValues(top.keySet())) {
      out.put(k, top.get(k));
    }
    return Collections.unmodifiableMap(out);
  }

  /** Values sorted numerically when every one is a number, else as text. */
  static List<String> sortedValues(Collection<String> values) {
    List<String> out = new ArrayList<>(values);
    boolean numeric = out.stream().allMatch(DatasetStats::isNumber);
    out.sort(
        numeric
            ? Comparator.comparingDouble(Double::parseDouble)
            : Comparator.<String>naturalOrder());
    return out;
  }

  private static boolean isNumber(String s) {
    try {
      Double.parseDouble(s);
      return true;
    } catch (NumberFormatException e) {
      return false;
    }
  }
}
