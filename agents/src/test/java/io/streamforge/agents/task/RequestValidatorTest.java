package io.streamforge.agents.task;

import static io.streamforge.agents.task.Fixtures.F64;
import static io.streamforge.agents.task.Fixtures.INT32;
import static io.streamforge.agents.task.Fixtures.T0;
import static io.streamforge.agents.task.Fixtures.field;
import static io.streamforge.agents.task.Fixtures.schema;
import static io.streamforge.agents.task.Fixtures.sealed;
import static io.streamforge.agents.task.Fixtures.valid;
import static io.streamforge.agents.task.Fixtures.with;
import static org.assertj.core.api.Assertions.assertThat;

import io.streamforge.schemas.records.DatasetManifest;
import io.streamforge.schemas.records.TrainingJob.TaskType;
import io.streamforge.schemas.records.WorkflowRequest;
import io.streamforge.schemas.records.WorkflowRequest.Constraints;
import io.streamforge.schemas.records.WorkflowRequest.Objectives;
import io.streamforge.schemas.records.WorkflowRequest.Rollout;
import io.streamforge.schemas.records.WorkflowRequest.Search;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

class RequestValidatorTest {
  private static final Schema SCHEMA = schema(field("price", F64));
  private static final DatasetManifest SEALED = sealed(SCHEMA);

  private static List<String> problems(WorkflowRequest r) {
    return RequestValidator.problems(r, SEALED);
  }

  private static WorkflowRequest withValidation(WorkflowRequest r, double holdout, int folds) {
    return new WorkflowRequest(
        r.workflowId(),
        r.task(),
        r.dataset(),
        r.datasetVersion(),
        r.label(),
        r.taskType(),
        r.timeBudgetSeconds(),
        r.constraints(),
        r.objectives(),
        r.search(),
        holdout,
        folds,
        r.deployment(),
        r.ensemble(),
        r.options(),
        r.submittedAt());
  }

  private static WorkflowRequest withLimits(
      WorkflowRequest r, Constraints c, Long budget, Integer version, String label) {
    return new WorkflowRequest(
        r.workflowId(),
        r.task(),
        r.dataset(),
        version,
        label,
        r.taskType(),
        budget,
        c,
        r.objectives(),
        r.search(),
        r.holdoutFraction(),
        r.folds(),
        r.deployment(),
        r.ensemble(),
        r.options(),
        r.submittedAt());
  }

  @Test
  void aRequestWithDefaultsIsValid() {
    assertThat(problems(valid("price"))).isEmpty();
  }

  @Test
  void everyProblemIsListedAtOnceNamingItsField() {
    WorkflowRequest r =
        with(
            valid("price"),
            new Search("bayes", 8, 2, 5),
            null,
            new Rollout(150, 5, Map.of()),
            Map.of("colour", "red"));
    r = withValidation(r, 0.7, 0);
    r = withLimits(r, null, null, 3, "nope");

    List<String> p = problems(r);

    assertThat(p).hasSize(5);
    assertThat(p)
        .anySatisfy(m -> assertThat(m).contains("label column 'nope'").contains("area, age"))
        .anySatisfy(m -> assertThat(m).contains("holdoutFraction").contains("0.7"))
        .anySatisfy(m -> assertThat(m).contains("search.strategy").contains("'bayes'"))
        .anySatisfy(m -> assertThat(m).contains("deployment.canaryWeight").contains("150"))
        .anySatisfy(m -> assertThat(m).contains("options").contains("'colour'"));
  }

  @Test
  void theDatasetMustExistAndBeSealed() {
    assertThat(RequestValidator.problems(valid("price"), null))
        .singleElement()
        .asString()
        .contains("dataset 'houses' version 3 does not exist or is not sealed");
    DatasetManifest open =
        DatasetManifest.open("houses", 3, null, "zstd", "p", "s", T0).withSchema(SCHEMA.toJson());
    assertThat(RequestValidator.problems(valid("price"), open))
        .singleElement()
        .asString()
        .contains("is OPEN, not SEALED");
    assertThat(RequestValidator.problems(valid("price"), open.abort("disk full")))
        .singleElement()
        .asString()
        .contains("ABORTED")
        .contains("disk full");
  }

  @Test
  void datasetVersionMustBePositive() {
    assertThat(problems(withLimits(valid("price"), null, null, 0, "price")))
        .singleElement()
        .asString()
        .contains("datasetVersion must be positive");
  }

  @Test
  void holdoutAndFoldsExcludeEachOtherAndOneIsNeeded() {
    WorkflowRequest v = valid("price");
    assertThat(problems(withValidation(v, 0.2, 5))).singleElement().asString().contains("both");
    assertThat(problems(withValidation(v, 0, 0))).singleElement().asString().contains("neither");
    assertThat(problems(withValidation(v, 0, 1)))
        .singleElement()
        .asString()
        .contains("folds must be at least 2, was 1");
    assertThat(problems(withValidation(v, -0.1, 0)))
        .singleElement()
        .asString()
        .contains("holdoutFraction must be in (0, 0.5]");
    assertThat(problems(withValidation(v, 0, 5))).isEmpty();
    assertThat(problems(withValidation(v, 0.5, 0))).isEmpty();
  }

  @Test
  void searchSettingsAreChecked() {
    WorkflowRequest v = valid("price");
    assertThat(problems(with(v, new Search("tpe", 0, 1, 0), null, null, null)))
        .singleElement()
        .asString()
        .startsWith("search.maxTrials must be at least 1, was 0");
    assertThat(problems(with(v, new Search("gp", 4, 5, 0), null, null, null)))
        .singleElement()
        .asString()
        .contains("search.parallelTrials must be in [1, maxTrials = 4], was 5");
    assertThat(problems(with(v, new Search("random", 4, 2, -1), null, null, null)))
        .singleElement()
        .asString()
        .contains("search.patience");
  }

  @Test
  void objectivesAreChecked() {
    WorkflowRequest v = valid("price");
    Map<String, Double> weights = new LinkedHashMap<>();
    weights.put("accuracy", -1.0);
    weights.put("speed", 1.0);
    weights.put("joy", 1.0);

    List<String> p = problems(with(v, null, new Objectives("speed", "speed", weights), null, null));

    assertThat(p)
        .containsExactlyInAnyOrder(
            "objectives.primary must be one of accuracy, latency, size; was 'speed'",
            "objectives.secondary must be one of accuracy, latency, size or absent; was 'speed'",
            "objectives.weights['accuracy'] must be a number >= 0, was -1.0",
            "objectives.weights has unknown key(s) 'speed', 'joy'; allowed: accuracy, latency,"
                + " size");
    assertThat(
            problems(with(v, null, new Objectives("size", null, Map.of("size", 0.0)), null, null)))
        .singleElement()
        .asString()
        .contains("all 0");
  }

  @Test
  void aModelSizeLimitBelowTheSmallestModelNamesTheMinimum() {
    // 5 features (rooms, area, age, garden, and city: text, one input per category, at least
    // one), regression: (5*4 + 4 + 4*1 + 1) floats = 116 bytes
    assertThat(RequestValidator.minimumModelBytes(5, 1)).isEqualTo(116);
    WorkflowRequest r =
        withLimits(valid("price"), new Constraints(115L, null, null), null, 3, "price");

    assertThat(problems(r))
        .singleElement()
        .asString()
        .contains("constraints.maxModelBytes 115")
        .contains("116 bytes");
    assertThat(
            problems(withLimits(valid("price"), new Constraints(116L, 5.0, 1L), null, 3, "price")))
        .isEmpty();
    // classification has at least 2 outputs: (20 + 4 + 8 + 2) * 4 = 136
    WorkflowRequest cls =
        withLimits(valid("price"), new Constraints(100L, null, null), null, 3, "price");
    cls =
        new WorkflowRequest(
            cls.workflowId(),
            cls.task(),
            cls.dataset(),
            3,
            "price",
            TaskType.CLASSIFICATION,
            null,
            cls.constraints(),
            cls.objectives(),
            cls.search(),
            0.2,
            0,
            cls.deployment(),
            false,
            Map.of(),
            T0);
    assertThat(problems(cls)).singleElement().asString().contains("136 bytes");
  }

  @Test
  void otherConstraintsAndTheTimeBudgetAreChecked() {
    WorkflowRequest r = withLimits(valid("price"), new Constraints(0L, 0.0, -5L), 10L, 3, "price");

    assertThat(problems(r))
        .containsExactlyInAnyOrder(
            "constraints.maxModelBytes must be positive, was 0",
            "constraints.maxLatencyMs must be a positive number, was 0.0",
            "constraints.maxMemoryBytes must be positive, was -5",
            "timeBudgetSeconds must be at least 30 when given, was 10");
  }

  @Test
  void rolloutThresholdsAreChecked() {
    Map<String, Double> t = new LinkedHashMap<>();
    t.put("max_error_rate", 2.0);
    t.put("max_p99_ratio", 0.5);
    t.put("min_samples", 2.5);
    t.put("max_cpu", 1.0);

    List<String> p = problems(with(valid("price"), null, null, new Rollout(10, 0, t), null));

    assertThat(p).hasSize(5);
    assertThat(p)
        .anySatisfy(m -> assertThat(m).startsWith("deployment.analysisIntervalSeconds"))
        .anySatisfy(m -> assertThat(m).startsWith("deployment.thresholds['max_error_rate']"))
        .anySatisfy(m -> assertThat(m).startsWith("deployment.thresholds['max_p99_ratio']"))
        .anySatisfy(m -> assertThat(m).startsWith("deployment.thresholds['min_samples']"))
        .anySatisfy(m -> assertThat(m).contains("unknown key(s) 'max_cpu'"));
  }

  @Test
  void optionsAreCheckedByKeyAndValue() {
    Map<String, String> o = new LinkedHashMap<>();
    o.put("seed", "abc");
    o.put("trial_epochs", "0");
    o.put("device", "tpu");
    o.put("final_epochs", "20");
    o.put("batch_size", "64");
    o.put("lr", "0.1");
    o.put("colour", "red");
    o.put("model", "bad name!");
    o.put("quantize", "int8-weight,ternary");
    o.put("max_accuracy_drop", "-1");

    List<String> p = problems(with(valid("price"), null, null, null, o));

    assertThat(p)
        .containsExactlyInAnyOrder(
            "options['seed'] must be a whole number, was 'abc'",
            "options['trial_epochs'] must be a positive whole number, was '0'",
            "options['device'] must be one of auto, cpu, gpu; was 'tpu'",
            "options['model'] must be 1 to 100 letters, digits, '_' or '-' (starting with a letter"
                + " or digit); was 'bad name!'",
            "options['max_accuracy_drop'] must be a number of points from 0 to 100; was '-1'",
            "options has unknown key(s) 'lr', 'colour'; allowed: seed, trial_epochs,"
                + " final_epochs, batch_size, device, model, quantize, max_accuracy_drop,"
                + " ensemble_members");
  }

  @Test
  void aLabelTheTrainerCannotReadIsAProblem() {
    DatasetManifest m = sealed(schema(field("species", new ArrowType.Utf8())));
    assertThat(RequestValidator.problems(valid("species"), m))
        .singleElement()
        .asString()
        .contains("'species' is utf8");
    DatasetManifest b = sealed(schema(field("sold", new ArrowType.Bool())));
    WorkflowRequest r = valid("sold");
    r =
        new WorkflowRequest(
            r.workflowId(),
            r.task(),
            r.dataset(),
            3,
            "sold",
            TaskType.REGRESSION,
            null,
            null,
            r.objectives(),
            r.search(),
            0.2,
            0,
            r.deployment(),
            false,
            Map.of(),
            T0);
    assertThat(RequestValidator.problems(r, b))
        .singleElement()
        .asString()
        .contains("taskType REGRESSION needs a numeric label");
  }

  @Test
  void aDatasetWithoutUsableFeaturesIsAProblem() {
    Schema only = new Schema(List.of(Fixtures.dictionaryField("zone"), field("y", INT32)));
    assertThat(RequestValidator.problems(valid("y"), sealed(only)))
        .singleElement()
        .asString()
        .contains("no int, float, bool or text column besides the label 'y'");
  }

  @Test
  void defaultsFillWhatIsUnset() {
    WorkflowRequest r = Fixtures.request("predict the price", "price", null);

    WorkflowRequest d = RequestValidator.withDefaults(r, T0);

    assertThat(d.search()).isEqualTo(new Search("tpe", 8, 2, 5));
    assertThat(d.holdoutFraction()).isEqualTo(0.2);
    assertThat(d.folds()).isZero();
    assertThat(d.objectives()).isEqualTo(new Objectives("accuracy", null, Map.of("accuracy", 1.0)));
    assertThat(d.deployment().canaryWeight()).isEqualTo(10);
    assertThat(d.deployment().analysisIntervalSeconds()).isEqualTo(5);
    assertThat(d.deployment().thresholds())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("max_error_rate", 0.01, "max_p99_ratio", 1.5, "min_samples", 50.0));
    assertThat(d.options()).isEmpty();
    assertThat(d.submittedAt()).isEqualTo(T0);
    assertThat(d.workflowId()).isEqualTo(r.workflowId());
    assertThat(d.label()).isEqualTo("price");
  }

  @Test
  void defaultsKeepWhatIsSet() {
    Instant at = T0.minusSeconds(60);
    WorkflowRequest r =
        new WorkflowRequest(
            "wf",
            "t",
            "houses",
            null,
            "price",
            null,
            60L,
            null,
            new Objectives("size", "accuracy", null),
            new Search(null, 1, 0, 0),
            0,
            5,
            new Rollout(0, 0, Map.of("min_samples", 10.0)),
            true,
            Map.of("seed", "7"),
            at);

    WorkflowRequest d = RequestValidator.withDefaults(r, T0);

    assertThat(d.search()).isEqualTo(new Search("tpe", 1, 1, 5));
    assertThat(d.holdoutFraction()).isZero();
    assertThat(d.folds()).isEqualTo(5);
    assertThat(d.objectives().primary()).isEqualTo("size");
    assertThat(d.objectives().weights())
        .containsExactlyInAnyOrderEntriesOf(Map.of("size", 1.0, "accuracy", 0.5));
    assertThat(d.deployment().thresholds())
        .containsEntry("min_samples", 10.0)
        .containsEntry("max_error_rate", 0.01);
    assertThat(d.submittedAt()).isEqualTo(at);
    assertThat(d.options()).containsEntry("seed", "7");
    assertThat(RequestValidator.problems(d, SEALED)).isEmpty();
  }
}
