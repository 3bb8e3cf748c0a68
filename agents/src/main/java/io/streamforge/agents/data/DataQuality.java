package io.streamforge.agents.data;

import io.streamforge.agents.data.Finding.Severity;
import io.streamforge.agents.task.ColumnKind;
import io.streamforge.agents.task.Requirements;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Rules that judge a dataset version's statistics against the task before any training starts:
 * problems that would make every trial fail or mislead are errors, problems training can go around
 * (by dropping a column) are warnings, so that the workflow fails early with a reason rather than
 * after the first trial.
 *
 * <p>Features with some missing values are dropped too (code {@link #HAS_NULLS}), not only mostly
 * missing ones: the trainer refuses missing feature values rather than impute them.
 */
public final class DataQuality {
  /** Fewest rows a dataset may have. */
  public static final long MIN_ROWS = 20;

  /** Share of missing values above which a feature is dropped as mostly null. */
  public static final double MAX_NULL_FRACTION = 0.5;

  /** Largest ratio of the biggest to the smallest class before a warning. */
  public static final double MAX_IMBALANCE = 5;

  /** Rows per class below which a warning names the class. */
  public static final long FEW_ROWS_PER_CLASS_LIMIT = 10;

  /** Rows per class below which a class cannot be both trained on and validated. */
  public static final long MIN_ROWS_PER_CLASS = 2;

  /** Error: fewer than {@link #MIN_ROWS} rows. */
  public static final String TOO_FEW_ROWS = "too-few-rows";

  /** Error: the label column has no statistics (it is not in the data). */
  public static final String LABEL_MISSING = "label-missing";

  /** Error: the label has missing values. */
  public static final String LABEL_NULLS = "label-nulls";

  /** Error: a classification label with more than {@link ColumnStats#MAX_TOP_VALUES} values. */
  public static final String TOO_MANY_CLASSES = "too-many-classes";

  /** Error: a classification label with fewer than two classes. */
  public static final String ONE_CLASS = "one-class";

  /** Error: a class with fewer than {@link #MIN_ROWS_PER_CLASS} rows. */
  public static final String SINGLETON_CLASS = "singleton-class";

  /** Warning: classes with fewer than {@link #FEW_ROWS_PER_CLASS_LIMIT} rows. */
  public static final String FEW_ROWS_PER_CLASS = "few-rows-per-class";

  /** Warning: the biggest class over the smallest is more than {@link #MAX_IMBALANCE}. */
  public static final String CLASS_IMBALANCE = "class-imbalance";

  /** Error: a regression label with one value. */
  public static final String CONSTANT_LABEL = "constant-label";

  /** Error: a regression label that is not numeric or holds infinite values. */
  public static final String LABEL_NOT_FINITE = "label-not-finite";

  /** Warning, column dropped: one value in every present row. */
  public static final String CONSTANT_COLUMN = "constant-column";

  /** Warning, column dropped: more than {@link #MAX_NULL_FRACTION} missing. */
  public static final String MOSTLY_NULL = "mostly-null";

  /** Warning, column dropped: some values missing, which the trainer does not impute. */
  public static final String HAS_NULLS = "has-nulls";

  /** Warning, column dropped: infinite values. */
  public static final String NOT_FINITE = "not-finite";

  /** Warning, column dropped: a requested feature without statistics. */
  public static final String NO_STATISTICS = "no-statistics";

  /** Info: a column that is neither the label nor a feature (e.g. strings). */
  public static final String NOT_USED = "not-used";

  /** A text feature with too many distinct values to be a category (an identifier?): dropped. */
  public static final String TOO_MANY_CATEGORIES = "too-many-categories";

  /**
   * Most distinct values a text feature may have: the trainer's one-hot limit (arrow-io {@code
   * FeatureEncoding.MAX_CATEGORIES}).
   */
  public static final int MAX_CATEGORIES = 256;

  /** Error: no feature is left after the drops. */
  public static final String NO_FEATURES = "no-features";

  /** Codes of the findings whose column is not trained on. */
  public static final Set<String> DROPPING =
      Set.of(MOSTLY_NULL, HAS_NULLS, NOT_FINITE, NO_STATISTICS, NOT_USED, TOO_MANY_CATEGORIES);

  private DataQuality() {}

  /** Judges the statistics of a dataset version for the task. */
  public static QualityReport report(DatasetStats stats, Requirements requirements) {
    List<Finding> out = new ArrayList<>();
    if (stats.rows() < MIN_ROWS) {
      out.add(
          new Finding(
              Severity.ERROR,
              null,
              TOO_FEW_ROWS,
              "the dataset has "
                  + stats.rows()
                  + " rows; training and validating needs at least "
                  + MIN_ROWS));
    }
    label(stats, requirements, out);
    int kept = 0;
    for (String name : requirements.features()) {
      if (feature(stats, name, out)) {
        kept++;
      }
    }
    for (ColumnStats c : stats.columns().values()) {
      if (!c.name().equals(requirements.label()) && !requirements.features().contains(c.name())) {
        out.add(
            new Finding(
                Severity.INFO,
                c.name(),
                NOT_USED,
                "column '"
                    + c.name()
                    + "' ("
                    + c.type()
                    + ") is not a feature"
                    + (c.kind().feature()
                        ? ""
                        : ": the trainer reads int, float, bool and text columns only")));
      }
    }
    if (kept == 0) {
      out.add(
          new Finding(
              Severity.ERROR,
              null,
              NO_FEATURES,
              "no usable feature column is left (of "
                  + requirements.features().size()
                  + " requested)"));
    }
    return new QualityReport(out);
  }

  private static void label(DatasetStats stats, Requirements req, List<Finding> out) {
    String label = req.label();
    ColumnStats c = stats.columns().get(label);
    if (c == null) {
      out.add(
          new Finding(
              Severity.ERROR,
              label,
              LABEL_MISSING,
              "label column '"
                  + label
                  + "' is not in the data; the columns are: "
                  + String.join(", ", stats.columns().keySet())));
      return;
    }
    if (c.nulls() > 0) {
      out.add(
          new Finding(
              Severity.ERROR,
              label,
              LABEL_NULLS,
              "label column '"
                  + label
                  + "' has "
                  + c.nulls()
                  + " missing value(s) in "
                  + c.rows()
                  + " rows; remove those rows or fill them"));
    }
    if (req.classification()) {
      classes(stats, c, out);
    } else if (!c.kind().numeric() || Double.isInfinite(c.min()) || Double.isInfinite(c.max())) {
      out.add(
          new Finding(
              Severity.ERROR,
              label,
              LABEL_NOT_FINITE,
              "regression label '"
                  + label
                  + "' ("
                  + c.type()
                  + ") must hold finite numbers; its range is ["
                  + c.min()
                  + ", "
                  + c.max()
                  + "]"));
    } else if (c.count() > 0 && c.min() == c.max()) {
      out.add(
          new Finding(
              Severity.ERROR,
              label,
              CONSTANT_LABEL,
              "regression label '"
                  + label
                  + "' is "
                  + format(c.min())
                  + " in all "
                  + c.count()
                  + " rows; there is nothing to learn"));
    }
  }

  private static void classes(DatasetStats stats, ColumnStats c, List<Finding> out) {
    String label = c.name();
    if (c.topValues() == null) {
      out.add(
          new Finding(
              Severity.ERROR,
              label,
              TOO_MANY_CLASSES,
              "classification label '"
                  + label
                  + "' has about "
                  + c.distinctEstimate()
                  + " distinct values, more than "
                  + ColumnStats.MAX_TOP_VALUES
                  + " classes; is it a regression task?"));
      return;
    }
    Map<String, Long> dist = stats.labelDistribution(label);
    if (dist.size() < 2) {
      out.add(
          new Finding(
              Severity.ERROR,
              label,
              ONE_CLASS,
              "classification label '"
                  + label
                  + "' has "
                  + dist.size()
                  + " class(es) "
                  + dist.keySet()
                  + "; at least 2 are needed"));
      return;
    }
    List<String> singletons = new ArrayList<>();
    List<String> few = new ArrayList<>();
    String biggest = null;
    String smallest = null;
    for (Map.Entry<String, Long> e : dist.entrySet()) {
      long n = e.getValue();
      String item = "'" + e.getKey() + "' (" + n + ")";
      if (n < MIN_ROWS_PER_CLASS) {
        singletons.add(item);
      } else if (n < FEW_ROWS_PER_CLASS_LIMIT) {
        few.add(item);
      }
      if (biggest == null || n > dist.get(biggest)) {
        biggest = e.getKey();
      }
      if (smallest == null || n < dist.get(smallest)) {
        smallest = e.getKey();
      }
    }
    if (!singletons.isEmpty()) {
      out.add(
          new Finding(
              Severity.ERROR,
              label,
              SINGLETON_CLASS,
              "class(es) with fewer than "
                  + MIN_ROWS_PER_CLASS
                  + " rows, too few to both train on and validate: "
                  + String.join(", ", singletons)));
    }
    if (!few.isEmpty()) {
      out.add(
          new Finding(
              Severity.WARNING,
              label,
              FEW_ROWS_PER_CLASS,
              "class(es) with fewer than "
                  + FEW_ROWS_PER_CLASS_LIMIT
                  + " rows, whose accuracy will be noisy: "
                  + String.join(", ", few)));
    }
    double ratio = (double) dist.get(biggest) / dist.get(smallest);
    if (ratio > MAX_IMBALANCE) {
      out.add(
          new Finding(
              Severity.WARNING,
              label,
              CLASS_IMBALANCE,
              String.format(
                  Locale.ROOT,
                  "classes are imbalanced: '%s' has %d rows and '%s' %d (ratio %.1f, more than"
                      + " %.0f); accuracy flatters a model that favours '%s'",
                  biggest,
                  dist.get(biggest),
                  smallest,
                  dist.get(smallest),
                  ratio,
                  MAX_IMBALANCE,
                  biggest)));
    }
  }

  /** Judges one requested feature; true when it stays. */
  private static boolean feature(DatasetStats stats, String name, List<Finding> out) {
    ColumnStats c = stats.columns().get(name);
    if (c == null) {
      out.add(
          new Finding(
              Severity.WARNING,
              name,
              NO_STATISTICS,
              "feature column '" + name + "' is not in the data; dropped"));
      return false;
    }
    if (c.nullFraction() > MAX_NULL_FRACTION || c.count() == 0) {
      out.add(
          new Finding(
              Severity.WARNING,
              name,
              MOSTLY_NULL,
              String.format(
                  Locale.ROOT,
                  "column '%s' is %.1f %% missing (%d of %d rows); dropped",
                  name,
                  100 * c.nullFraction(),
                  c.nulls(),
                  c.rows())));
      return false;
    }
    if (c.kind() == ColumnKind.UTF8 && c.distinctEstimate() > MAX_CATEGORIES) {
      out.add(
          new Finding(
              Severity.WARNING,
              name,
              TOO_MANY_CATEGORIES,
              "text column '"
                  + name
                  + "' has about "
                  + c.distinctEstimate()
                  + " distinct values, more than the "
                  + MAX_CATEGORIES
                  + " categories one-hot encoding takes (an identifier or free text?); dropped"));
      return false;
    }
    if (constant(c)) {
      // Kept: dropping it would change the served model's input signature, and callers send the
      // dataset's columns. Standardized, it is 0 for every row and teaches the network nothing.
      out.add(
          new Finding(
              Severity.INFO,
              name,
              CONSTANT_COLUMN,
              "column '"
                  + name
                  + "' has one value ("
                  + constantValue(c)
                  + ") in all "
                  + c.count()
                  + " present rows; kept so that the model's input matches the dataset's"
                  + " columns, it carries no information"));
      return true;
    }
    if (c.nulls() > 0) {
      out.add(
          new Finding(
              Severity.WARNING,
              name,
              HAS_NULLS,
              String.format(
                  Locale.ROOT,
                  "column '%s' has %d missing value(s) (%.1f %%), which the trainer does not"
                      + " impute; dropped",
                  name,
                  c.nulls(),
                  100 * c.nullFraction())));
      return false;
    }
    if (Double.isInfinite(c.min()) || Double.isInfinite(c.max())) {
      out.add(
          new Finding(
              Severity.WARNING,
              name,
              NOT_FINITE,
              "column '"
                  + name
                  + "' holds infinite values (range ["
                  + c.min()
                  + ", "
                  + c.max()
                  + "]); dropped"));
      return false;
    }
    return true;
  }

  private static boolean constant(ColumnStats c) {
    if (c.count() == 0) {
      return false;
    }
    if (c.topValues() != null) {
      return c.topValues().size() <= 1;
    }
    return c.kind().numeric() && c.min() == c.max();
  }

  private static String constantValue(ColumnStats c) {
    if (c.topValues() != null && c.topValues().size() == 1) {
      return "'" + c.topValues().keySet().iterator().next() + "'";
    }
    return format(c.min());
  }

  private static String format(double d) {
    return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
  }
}
