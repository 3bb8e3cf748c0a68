package io.streamforge.agents.task;

import io.streamforge.schemas.records.DatasetManifest;
import io.streamforge.schemas.records.TrainingJob.TaskType;
import io.streamforge.schemas.records.WorkflowRequest;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/** Datasets and requests for the task tests. */
final class Fixtures {
  static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");
  static final ArrowType.Int INT32 = new ArrowType.Int(32, true);
  static final ArrowType.Int INT64 = new ArrowType.Int(64, true);
  static final ArrowType F64 = new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);
  static final ArrowType F32 = new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);

  private Fixtures() {}

  static Field field(String name, ArrowType type) {
    return Field.nullable(name, type);
  }

  /** A dictionary-encoded column as this project's publisher writes it: the index type. */
  static Field dictionaryField(String name) {
    return new Field(
        name, new FieldType(true, INT32, new DictionaryEncoding(1, false, INT32)), null);
  }

  /** The house-prices-like schema: numeric features, a string city, a dictionary zone. */
  static Schema schema(Field label) {
    return new Schema(
        List.of(
            field("rooms", INT32),
            field("area", F64),
            field("age", F32),
            field("garden", new ArrowType.Bool()),
            field("city", new ArrowType.Utf8()),
            dictionaryField("zone"),
            label));
  }

  static DatasetManifest sealed(Schema schema) {
    return DatasetManifest.open("houses", 3, null, "zstd", "p1", "houses.csv", T0)
        .withSchema(schema.toJson())
        .seal(1000, 4, 0, List.of(), "hash", T0.plusSeconds(5));
  }

  static WorkflowRequest request(String task, String label, TaskType type) {
    return new WorkflowRequest(
        "wf-1", task, "houses", 3, label, type, null, null, null, null, 0, 0, null, false, null,
        null);
  }

  /** A valid request, defaults filled. */
  static WorkflowRequest valid(String label) {
    return RequestValidator.withDefaults(request("predict the price", label, null), T0);
  }

  static WorkflowRequest with(
      WorkflowRequest r,
      WorkflowRequest.Search search,
      WorkflowRequest.Objectives objectives,
      WorkflowRequest.Rollout rollout,
      Map<String, String> options) {
    return new WorkflowRequest(
        r.workflowId(),
        r.task(),
        r.dataset(),
        r.datasetVersion(),
        r.label(),
        r.taskType(),
        r.timeBudgetSeconds(),
        r.constraints(),
        objectives == null ? r.objectives() : objectives,
        search == null ? r.search() : search,
        r.holdoutFraction(),
        r.folds(),
        rollout == null ? r.deployment() : rollout,
        r.ensemble(),
        options == null ? r.options() : options,
        r.submittedAt());
  }
}
