package io.streamforge.agents.data;

import static io.streamforge.agents.data.DataQualityTest.classes;
import static io.streamforge.agents.data.DataQualityTest.classification;
import static io.streamforge.agents.data.DataQualityTest.numeric;
import static io.streamforge.agents.data.DataQualityTest.regression;
import static io.streamforge.agents.data.DataQualityTest.stats;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamforge.agents.task.Requirements;
import io.streamforge.schemas.records.TrainingJob.TaskType;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;

class PreprocessingSpecTest {

  @Test
  void fromRealStatisticsKeepsTrainableColumnsScalesThemAndListsTheClasses() {
    try (RootAllocator allocator = new RootAllocator();
        TestTable table = new TestTable(allocator, 2000, 7)) {
      DatasetStats stats = DatasetStats.empty("t", 1).add(table.batch(0, 2000), table.dictionaries);
      Requirements req =
          new Requirements(
              TaskType.CLASSIFICATION,
              "label",
              List.of("i", "x", "f", "b"),
              "val_accuracy",
              true,
              List.of());
      QualityReport report = DataQuality.report(stats, req);

      PreprocessingSpec spec = PreprocessingSpec.from(stats, req, report, 0.2);

      // i and x have missing values, which the trainer does not impute
      assertThat(spec.features()).containsExactly("f", "b");
      assertThat(spec.dropped().keySet()).containsExactly("i", "x", "u", "s", "d");
      assertThat(spec.dropped().get("i")).contains("missing");
      assertThat(spec.dropped().get("u")).contains("utf8");
      ColumnStats f = stats.column("f");
      assertThat(spec.standardization().get("f")).containsExactly(f.mean(), f.std());
      assertThat(spec.classes())
          .containsExactly("0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11");
      assertThat(spec.validationFraction()).isEqualTo(0.2);
      assertThat(spec.split()).isEqualTo("row-hash");
      assertThat(PreprocessingSpec.fromJson(spec.toJson())).isEqualTo(spec);
    }
  }

  @Test
  void regressionHasNoClassesAndScalesByMeanAndStd() {
    DatasetStats s = stats(100, numeric("a", 100, 0, 2, 10), numeric("y", 100, 0, 0, 10));
    Requirements req = regression("a");

    PreprocessingSpec spec = PreprocessingSpec.from(s, req, DataQuality.report(s, req), 0.25);

    assertThat(spec.classes()).isEmpty();
    assertThat(spec.standardization().get("a")).containsExactly(6.0, 2.0);
    assertThat(spec.dropped()).isEmpty();
  }

  @Test
  void aBlockingReportOrABadFractionIsRefused() {
    DatasetStats s =
        stats(10, numeric("a", 10, 0, 0, 1), classes("y", Map.of("0", 5L, "1", 5L), 0));
    Requirements req = classification("a");
    QualityReport report = DataQuality.report(s, req);

    assertThatThrownBy(() -> PreprocessingSpec.from(s, req, report, 0.2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("10 rows");
    assertThatThrownBy(() -> PreprocessingSpec.from(s, req, new QualityReport(List.of()), 1.0))
        .hasMessageContaining("validation fraction");
  }

  @Test
  void equalityComparesTheScalingByValue() {
    PreprocessingSpec a =
        new PreprocessingSpec(
            List.of("a"),
            Map.of(),
            Map.of("a", new double[] {1, 2}),
            Map.of(),
            List.of(),
            0.2,
            "row-hash");
    PreprocessingSpec b =
        new PreprocessingSpec(
            List.of("a"),
            Map.of(),
            Map.of("a", new double[] {1, 2}),
            Map.of(),
            List.of(),
            0.2,
            "row-hash");
    PreprocessingSpec c =
        new PreprocessingSpec(
            List.of("a"),
            Map.of(),
            Map.of("a", new double[] {1, 3}),
            Map.of(),
            List.of(),
            0.2,
            "row-hash");

    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b).isNotEqualTo(c);
    assertThatThrownBy(() -> PreprocessingSpec.fromJson("{\"features\": 3"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a preprocessing spec");
  }

  @Test
  void textFeaturesGetTheirSortedCategoriesAndIdentifiersAreDropped() {
    ColumnStats color =
        new ColumnStats(
            "color",
            "utf8",
            100,
            0,
            Double.NaN,
            Double.NaN,
            Double.NaN,
            Double.NaN,
            new HyperLogLog(),
            Map.of("red", 50L, "blue", 30L, "green", 20L));
    Map<String, Long> ids = new java.util.HashMap<>();
    HyperLogLog distinct = new HyperLogLog();
    for (int i = 0; i < 300; i++) {
      ids.put("user-" + i, 1L);
    }
    ColumnStats id =
        new ColumnStats(
            "id", "utf8", 300, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, distinct, ids);
    DatasetStats s =
        stats(
            300,
            numeric("a", 300, 0, 2, 10),
            color,
            id,
            classes("y", Map.of("0", 150L, "1", 150L), 0));
    Requirements req = classification("a", "color", "id");
    QualityReport report = DataQuality.report(s, req);

    PreprocessingSpec spec = PreprocessingSpec.from(s, req, report, 0.2);

    assertThat(spec.features()).containsExactly("a", "color");
    assertThat(spec.categories())
        .containsExactly(Map.entry("color", List.of("blue", "green", "red")));
    assertThat(spec.standardization()).containsOnlyKeys("a");
    assertThat(spec.dropped().get("id")).contains("300 distinct values").contains("dropped");
    assertThat(PreprocessingSpec.fromJson(spec.toJson())).isEqualTo(spec);
    // a spec written before categories existed still reads
    assertThat(
            PreprocessingSpec.fromJson(
                    "{\"features\":[\"a\"],\"dropped\":{},\"standardization\":{\"a\":[1,2]},"
                        + "\"classes\":[],\"validationFraction\":0.2,\"split\":\"row-hash\"}")
                .categories())
        .isEmpty();
  }
}
