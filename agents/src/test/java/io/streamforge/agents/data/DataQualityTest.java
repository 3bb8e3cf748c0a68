package io.streamforge.agents.data;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamforge.agents.data.Finding.Severity;
import io.streamforge.agents.task.Requirements;
import io.streamforge.schemas.records.TrainingJob.TaskType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DataQualityTest {

  /** A float64 column of {@code count} present values spread around {@code mean}. */
  static ColumnStats numeric(String name, long count, long nulls, double min, double max) {
    double mean = (min + max) / 2;
    double std = (max - min) / 4;
    return new ColumnStats(
        name, "float64", count, nulls, mean, std * std * count, min, max, new HyperLogLog(), null);
  }

  static ColumnStats classes(String name, Map<String, Long> counts, long nulls) {
    long n = counts.values().stream().mapToLong(Long::longValue).sum();
    return new ColumnStats(name, "int64", n, nulls, 0.5, 0.25 * n, 0, 1, new HyperLogLog(), counts);
  }

  static DatasetStats stats(long rows, ColumnStats... columns) {
    Map<String, ColumnStats> m = new LinkedHashMap<>();
    for (ColumnStats c : columns) {
      m.put(c.name(), c);
    }
    return new DatasetStats("d", 1, rows, 1, m);
  }

  static Requirements classification(String... features) {
    return new Requirements(
        TaskType.CLASSIFICATION, "y", List.of(features), "val_accuracy", true, List.of());
  }

  static Requirements regression(String... features) {
    return new Requirements(
        TaskType.REGRESSION, "y", List.of(features), "val_rmse", false, List.of());
  }

  private static List<String> codes(QualityReport r, Severity s) {
    return r.of(s).stream().map(Finding::code).toList();
  }

  @Test
  void cleanDataHasNoWarningsOrErrors() {
    DatasetStats s =
        stats(
            100,
            numeric("a", 100, 0, -1, 1),
            new ColumnStats(
                "city",
                "utf8",
                100,
                0,
                Double.NaN,
                Double.NaN,
                Double.NaN,
                Double.NaN,
                new HyperLogLog(),
                Map.of("x", 60L, "y", 40L)),
            classes("y", Map.of("0", 50L, "1", 50L), 0));

    QualityReport r = DataQuality.report(s, classification("a"));

    assertThat(r.blocking()).isFalse();
    assertThat(r.of(Severity.WARNING)).isEmpty();
    assertThat(r.findings())
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.code()).isEqualTo(DataQuality.NOT_USED);
              assertThat(f.message()).contains("'city' (utf8)");
            });
  }

  @Test
  void constantMostlyNullPartlyNullAndInfiniteFeaturesAreDropped() {
    DatasetStats s =
        stats(
            100,
            numeric("ok", 100, 0, 0, 10),
            numeric("same", 100, 0, 3, 3),
            numeric("holes", 40, 60, 0, 1),
            numeric("some", 95, 5, 0, 1),
            numeric("inf", 100, 0, 0, Double.POSITIVE_INFINITY),
            classes("y", Map.of("0", 50L, "1", 50L), 0));

    QualityReport r = DataQuality.report(s, classification("ok", "same", "holes", "some", "inf"));

    assertThat(r.blocking()).isFalse();
    assertThat(r.of(Severity.WARNING))
        .extracting(Finding::column, Finding::code)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("holes", DataQuality.MOSTLY_NULL),
            org.assertj.core.groups.Tuple.tuple("some", DataQuality.HAS_NULLS),
            org.assertj.core.groups.Tuple.tuple("inf", DataQuality.NOT_FINITE));
    assertThat(r.withCode(DataQuality.MOSTLY_NULL).get(0).message()).contains("60.0 %");
    // a constant column is reported but kept: the served model's input keeps the dataset's columns
    assertThat(r.withCode(DataQuality.CONSTANT_COLUMN).get(0).severity()).isEqualTo(Severity.INFO);
    assertThat(r.withCode(DataQuality.CONSTANT_COLUMN).get(0).message())
        .contains("(3)")
        .contains("kept");
  }

  @Test
  void aLabelWithNullsIsAnError() {
    DatasetStats s =
        stats(100, numeric("a", 100, 0, 0, 1), classes("y", Map.of("0", 48L, "1", 49L), 3));

    QualityReport r = DataQuality.report(s, classification("a"));

    assertThat(r.blocking()).isTrue();
    assertThat(codes(r, Severity.ERROR)).containsExactly(DataQuality.LABEL_NULLS);
    assertThat(r.of(Severity.ERROR).get(0).message()).contains("3 missing value(s) in 100 rows");
  }

  @Test
  void classImbalanceIsAWarningWithTheRatio() {
    DatasetStats s =
        stats(100, numeric("a", 100, 0, 0, 1), classes("y", Map.of("0", 90L, "1", 10L), 0));

    QualityReport r = DataQuality.report(s, classification("a"));

    assertThat(r.blocking()).isFalse();
    assertThat(codes(r, Severity.WARNING)).containsExactly(DataQuality.CLASS_IMBALANCE);
    assertThat(r.of(Severity.WARNING).get(0).message())
        .contains("'0' has 90 rows and '1' 10")
        .contains("ratio 9.0");
  }

  @Test
  void smallClassesWarnAndSingletonClassesBlock() {
    Map<String, Long> few = Map.of("0", 40L, "1", 30L, "2", 5L);
    QualityReport warn =
        DataQuality.report(
            stats(75, numeric("a", 75, 0, 0, 1), classes("y", few, 0)), classification("a"));
    assertThat(codes(warn, Severity.WARNING))
        .containsExactlyInAnyOrder(DataQuality.FEW_ROWS_PER_CLASS, DataQuality.CLASS_IMBALANCE);
    assertThat(warn.withCode(DataQuality.FEW_ROWS_PER_CLASS).get(0).message()).contains("'2' (5)");
    assertThat(warn.blocking()).isFalse();

    Map<String, Long> single = Map.of("0", 40L, "1", 30L, "2", 1L);
    QualityReport block =
        DataQuality.report(
            stats(71, numeric("a", 71, 0, 0, 1), classes("y", single, 0)), classification("a"));
    assertThat(codes(block, Severity.ERROR)).containsExactly(DataQuality.SINGLETON_CLASS);
    assertThat(block.blocking()).isTrue();
  }

  @Test
  void tooFewRowsIsAnError() {
    QualityReport r =
        DataQuality.report(
            stats(12, numeric("a", 12, 0, 0, 1), classes("y", Map.of("0", 6L, "1", 6L), 0)),
            classification("a"));

    assertThat(codes(r, Severity.ERROR)).contains(DataQuality.TOO_FEW_ROWS);
    assertThat(r.of(Severity.ERROR).get(0).message()).contains("12 rows").contains("at least 20");
  }

  @Test
  void aConstantRegressionLabelIsAnError() {
    QualityReport r =
        DataQuality.report(
            stats(50, numeric("a", 50, 0, 0, 1), numeric("y", 50, 0, 7, 7)), regression("a"));

    assertThat(codes(r, Severity.ERROR)).containsExactly(DataQuality.CONSTANT_LABEL);
    assertThat(r.of(Severity.ERROR).get(0).message()).contains("is 7 in all 50 rows");
    assertThat(
            DataQuality.report(
                    stats(50, numeric("a", 50, 0, 0, 1), numeric("y", 50, 0, 1, 9)),
                    regression("a"))
                .blocking())
        .isFalse();
  }

  @Test
  void oneClassOrTooManyClassesIsAnError() {
    QualityReport one =
        DataQuality.report(
            stats(50, numeric("a", 50, 0, 0, 1), classes("y", Map.of("1", 50L), 0)),
            classification("a"));
    assertThat(codes(one, Severity.ERROR)).containsExactly(DataQuality.ONE_CLASS);

    ColumnStats many = numeric("y", 5000, 0, 0, 1e6);
    QualityReport r =
        DataQuality.report(stats(5000, numeric("a", 5000, 0, 0, 1), many), classification("a"));
    assertThat(codes(r, Severity.ERROR)).containsExactly(DataQuality.TOO_MANY_CLASSES);
  }

  @Test
  void noFeatureLeftIsAnError() {
    QualityReport r =
        DataQuality.report(
            stats(100, numeric("holes", 40, 60, 0, 1), classes("y", Map.of("0", 50L, "1", 50L), 0)),
            classification("holes"));

    assertThat(codes(r, Severity.ERROR)).containsExactly(DataQuality.NO_FEATURES);
  }

  @Test
  void aReportRoundTripsThroughJson() throws Exception {
    QualityReport r =
        DataQuality.report(
            stats(12, numeric("a", 12, 0, 0, 1), classes("y", Map.of("0", 6L, "1", 6L), 0)),
            classification("a", "b"));
    var json = new com.fasterxml.jackson.databind.ObjectMapper();

    assertThat(json.readValue(json.writeValueAsString(r), QualityReport.class)).isEqualTo(r);
  }
}
