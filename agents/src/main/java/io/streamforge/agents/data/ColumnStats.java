package io.streamforge.agents.data;

import io.streamforge.agents.task.ColumnKind;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Statistics of one column over the batches seen so far, mergeable in any order: the preprocessing
 * agent folds every Arrow batch of a dataset version into one state, and two partial states of the
 * same version merge into the state of their union.
 *
 * <p>Missing values are null slots and, in float columns, NaN values: the trainer treats both
 * alike. Numeric figures ({@code mean}, {@code m2}, {@code min}, {@code max}) are over the present
 * values of numeric columns (ints, floats, decimals, and bools as 0 and 1); they are NaN for other
 * columns and while no value is present. Infinite values take part, so an infinite {@code min} or
 * {@code max} shows that a column holds them.
 *
 * @param name column name
 * @param type the column's type as {@link ColumnKind#describe} names it ({@code int32}, {@code
 *     float64}, {@code utf8}, {@code dictionary(utf8)}...)
 * @param count present values
 * @param nulls missing values (nulls, and NaN in float columns)
 * @param mean mean of the present values
 * @param m2 sum of squared deviations from the mean (Welford's M2), 0 while fewer than 2 values
 * @param min smallest present value
 * @param max largest present value
 * @param distinct sketch of the distinct present values
 * @param topValues exact count per value while the column has at most {@link #MAX_TOP_VALUES}
 *     distinct values, then null; numbers are keyed canonically ({@code "3"} for 3.0, {@code "0.1"}
 *     for the float32 0.1f), bools as {@code "false"}/{@code "true"}
 */
public record ColumnStats(
    String name,
    String type,
    long count,
    long nulls,
    double mean,
    double m2,
    double min,
    double max,
    HyperLogLog distinct,
    Map<String, Long> topValues) {

  /** Most distinct values whose counts are kept exactly. */
  public static final int MAX_TOP_VALUES = 1000;

  public ColumnStats {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(distinct, "distinct");
    topValues = topValues == null ? null : Collections.unmodifiableMap(new HashMap<>(topValues));
  }

  /** The statistics of a column with no rows yet. */
  public static ColumnStats empty(String name, String type) {
    boolean numeric = ColumnKind.ofType(type).numeric();
    return new ColumnStats(
        name,
        type,
        0,
        0,
        Double.NaN,
        numeric ? 0 : Double.NaN,
        Double.NaN,
        Double.NaN,
        new HyperLogLog(),
        Map.of());
  }

  /**
   * The statistics of both columns' rows together: counts add, mean and M2 combine by Chan et al.'s
   * parallel formula, the sketches unite, value counts add until there are more than {@link
   * #MAX_TOP_VALUES} values.
   *
   * @throws IllegalArgumentException when the columns differ in name or type
   */
  public ColumnStats merge(ColumnStats other) {
    if (!name.equals(other.name) || !type.equals(other.type)) {
      throw new IllegalArgumentException(
          "cannot merge statistics of column '"
              + name
              + "' ("
              + type
              + ") with those of column '"
              + other.name
              + "' ("
              + other.type
              + ")");
    }
    long n = count + other.count;
    double mean;
    double m2;
    double min;
    double max;
    if (other.count == 0) {
      mean = this.mean;
      m2 = this.m2;
      min = this.min;
      max = this.max;
    } else if (count == 0) {
      mean = other.mean;
      m2 = other.m2;
      min = other.min;
      max = other.max;
    } else {
      double delta = other.mean - this.mean;
      mean = this.mean + delta * ((double) other.count / n);
      m2 = this.m2 + other.m2 + delta * delta * ((double) count * other.count / n);
      min = Math.min(this.min, other.min);
      max = Math.max(this.max, other.max);
    }
    return new ColumnStats(
        name,
        type,
        n,
        nulls + other.nulls,
        mean,
        m2,
        min,
        max,
        distinct.merge(other.distinct),
        mergeCounts(topValues, other.topValues));
  }

  private static Map<String, Long> mergeCounts(Map<String, Long> a, Map<String, Long> b) {
    if (a == null || b == null) {
      return null;
    }
    Map<String, Long> m = new HashMap<>(a);
    for (Map.Entry<String, Long> e : b.entrySet()) {
      m.merge(e.getKey(), e.getValue(), Long::sum);
      if (m.size() > MAX_TOP_VALUES) {
        return null;
      }
    }
    return m;
  }

  /** Population variance of the present values ({@code m2 / count}), NaN when there are none. */
  public double variance() {
    return count == 0 ? Double.NaN : m2 / count;
  }

  /** Population standard deviation of the present values. */
  public double std() {
    return Math.sqrt(variance());
  }

  /** Distinct present values: exact while {@code topValues} is kept, else the sketch's estimate. */
  public long distinctEstimate() {
    return topValues != null ? topValues.size() : distinct.estimate();
  }

  /** Rows seen: present and missing values. */
  public long rows() {
    return count + nulls;
  }

  /** Share of missing values among the rows, 0 when there are no rows. */
  public double nullFraction() {
    long rows = rows();
    return rows == 0 ? 0 : (double) nulls / rows;
  }

  /** The column kind its {@code type} stands for. */
  public ColumnKind kind() {
    return ColumnKind.ofType(type);
  }
}
