package io.streamforge.agents.task;

import static io.streamforge.agents.task.Fixtures.F32;
import static io.streamforge.agents.task.Fixtures.F64;
import static io.streamforge.agents.task.Fixtures.INT64;
import static io.streamforge.agents.task.Fixtures.field;
import static io.streamforge.agents.task.Fixtures.request;
import static io.streamforge.agents.task.Fixtures.schema;
import static io.streamforge.agents.task.Fixtures.sealed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamforge.schemas.records.TrainingJob.TaskType;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.junit.jupiter.api.Test;

class RuleBasedTaskAnalyzerTest {
  private final TaskAnalyzer analyzer = new RuleBasedTaskAnalyzer();

  private Requirements analyze(String task, Field label, TaskType given) {
    return analyzer.analyze(request(task, label.getName(), given), sealed(schema(label)));
  }

  @Test
  void floatLabelWithoutWordsIsRegressionRankedByRmse() {
    Requirements r = analyze("fit the data", field("y", F64), null);

    assertThat(r.taskType()).isEqualTo(TaskType.REGRESSION);
    assertThat(r.metric()).isEqualTo("val_rmse");
    assertThat(r.higherIsBetter()).isFalse();
    assertThat(r.label()).isEqualTo("y");
  }

  @Test
  void featuresAreTheTrainableColumnsButTheLabelAndSkippedOnesAreNoted() {
    Requirements r = analyze("fit the data", field("y", F64), null);

    assertThat(r.features()).containsExactly("rooms", "area", "age", "garden", "city");
    assertThat(r.notes())
        .anySatisfy(n -> assertThat(n).contains("text column 'city' is a categorical feature"))
        .anySatisfy(n -> assertThat(n).contains("skipped column 'zone' (dictionary)"));
  }

  @Test
  void integerLabelIsClassificationAndClassifyConfirmsIt() {
    Requirements r = analyze("classify houses into classes", field("kind", INT64), null);

    assertThat(r.taskType()).isEqualTo(TaskType.CLASSIFICATION);
    assertThat(r.metric()).isEqualTo("val_accuracy");
    assertThat(r.higherIsBetter()).isTrue();
    assertThat(r.notes()).anySatisfy(n -> assertThat(n).contains("int64").contains("'classify'"));
  }

  @Test
  void integerLabelWithRegressionWordsIsRegression() {
    assertThat(analyze("predict the price of a house", field("price", INT64), null).taskType())
        .isEqualTo(TaskType.REGRESSION);
    assertThat(analyze("How many visitors tomorrow?", field("visits", INT64), null).taskType())
        .isEqualTo(TaskType.REGRESSION);
    assertThat(analyze("regress y on x", field("y", INT64), null).taskType())
        .isEqualTo(TaskType.REGRESSION);
  }

  @Test
  void integerLabelWithBothKindsOfWordsFallsBackOnTheType() {
    Requirements r = analyze("classify the price band", field("band", INT64), null);

    assertThat(r.taskType()).isEqualTo(TaskType.CLASSIFICATION);
  }

  @Test
  void floatLabelWithClassifyingWordsIsClassification() {
    Requirements r = analyze("Classify each house into a category", field("y", F32), null);

    assertThat(r.taskType()).isEqualTo(TaskType.CLASSIFICATION);
    assertThat(r.notes()).anySatisfy(n -> assertThat(n).contains("float32").contains("'classify'"));
  }

  @Test
  void stringBoolAndDictionaryLabelsAreClassificationWhateverTheText() {
    assertThat(analyze("regress it", field("s", new ArrowType.Utf8()), null).taskType())
        .isEqualTo(TaskType.CLASSIFICATION);
    assertThat(analyze("estimate it", field("b", new ArrowType.Bool()), null).taskType())
        .isEqualTo(TaskType.CLASSIFICATION);
    Requirements d = analyze("", Fixtures.dictionaryField("d"), null);
    assertThat(d.taskType()).isEqualTo(TaskType.CLASSIFICATION);
    assertThat(analyze("regress it", field("s", new ArrowType.Utf8()), null).notes())
        .anySatisfy(n -> assertThat(n).contains("cannot make it regression"));
  }

  @Test
  void aGivenTaskTypeWins() {
    Requirements r = analyze("predict the price", field("y", F64), TaskType.CLASSIFICATION);

    assertThat(r.taskType()).isEqualTo(TaskType.CLASSIFICATION);
    assertThat(r.notes()).first().asString().contains("as the request says");
  }

  @Test
  void theLabelDefaultsToTheDatasets() {
    var schema = schema(field("y", F64));
    var manifest =
        io.streamforge.schemas.records.DatasetManifest.open(
                "houses", 3, "y", "zstd", "p", "s", Fixtures.T0)
            .withSchema(schema.toJson())
            .seal(10, 1, 0, java.util.List.of(), "h", Fixtures.T0);

    assertThat(analyzer.analyze(request("", null, null), manifest).label()).isEqualTo("y");
  }

  @Test
  void anUnknownLabelIsRefusedWithTheColumns() {
    assertThatThrownBy(
            () -> analyzer.analyze(request("", "nope", null), sealed(schema(field("y", F64)))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'nope'")
        .hasMessageContaining("rooms, area, age, garden, city, zone, y");
  }

  @Test
  void withoutAnyLabelTheAnalysisIsRefused() {
    assertThatThrownBy(
            () -> analyzer.analyze(request("", null, null), sealed(schema(field("y", F64)))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no label column")
        .hasMessageContaining("houses:3");
  }

  @Test
  void requirementsRoundTripThroughJson() throws Exception {
    Requirements r = analyze("classify", field("kind", INT64), null);
    ObjectMapper json = new ObjectMapper();

    assertThat(json.readValue(json.writeValueAsString(r), Requirements.class)).isEqualTo(r);
  }
}
