package io.streamforge.streams.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamforge.schemas.records.WorkflowRequest;
import io.streamforge.streams.orchestrator.OrchestratorTopologyTest;
import io.streamforge.streams.support.Json;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class SubmissionsTest {
  static final Instant NOW = Instant.parse("2026-11-24T10:00:00Z");

  @Test
  void theJsonFormBecomesARequest() {
    WorkflowRequest r =
        Submissions.parse(
            Json.tree(
                """
                {"dataset": "iris", "label": "label", "task": "classify", "timeBudget": "1h30m",
                 "search": {"strategy": "random", "maxTrials": 5, "parallelTrials": 2, "patience": 3},
                 "validation": {"folds": 3}, "ensemble": true, "options": {"seed": 7}}
                """),
            NOW);
    assertThat(r.workflowId()).matches("wf-[0-9a-f]{10}");
    assertThat(r.timeBudgetSeconds()).isEqualTo(5400);
    assertThat(r.search().strategy()).isEqualTo("random");
    assertThat(r.folds()).isEqualTo(3);
    assertThat(r.ensemble()).isTrue();
    assertThat(r.options()).containsEntry("seed", "7");
    assertThat(Submissions.validate(r, (d, v) -> OrchestratorTopologyTest.manifest())).isEmpty();
  }

  @Test
  void everyProblemOfFormIsListed() {
    assertThatThrownBy(
            () ->
                Submissions.parse(
                    Json.tree(
                        """
                        {"dataset": 3, "colour": "red", "timeBudget": "soon",
                         "search": {"maxTrials": 0, "speed": 1}, "validation": {"kfold": 2}}
                        """),
                    NOW))
        .isInstanceOfSatisfying(
            Submissions.InvalidRequestException.class,
            e ->
                assertThat(e.problems())
                    .anySatisfy(p -> assertThat(p).contains("unknown field 'colour'"))
                    .anySatisfy(p -> assertThat(p).contains("'dataset' must be a string"))
                    .anySatisfy(p -> assertThat(p).contains("'label' is required"))
                    .anySatisfy(p -> assertThat(p).contains("time budget 'soon'"))
                    .anySatisfy(p -> assertThat(p).contains("'search'").contains("speed"))
                    .anySatisfy(
                        p -> assertThat(p).contains("'search.maxTrials' must be at least 1"))
                    .anySatisfy(p -> assertThat(p).contains("validation.kfold")));
  }

  @Test
  void validationNamesTheUnknownDatasetAndColumn() {
    WorkflowRequest r =
        Submissions.parse(Json.tree("{\"dataset\": \"nope\", \"label\": \"label\"}"), NOW);
    assertThat(Submissions.validate(r, (d, v) -> null))
        .anySatisfy(p -> assertThat(p).contains("nope"));
    WorkflowRequest c =
        Submissions.parse(Json.tree("{\"dataset\": \"iris\", \"label\": \"species\"}"), NOW);
    assertThat(Submissions.validate(c, (d, v) -> OrchestratorTopologyTest.manifest()))
        .anySatisfy(p -> assertThat(p).contains("species"));
  }

  @Test
  void durations() {
    assertThat(Submissions.parseDuration("90s")).isEqualTo(Duration.ofSeconds(90));
    assertThat(Submissions.parseDuration("10m")).isEqualTo(Duration.ofMinutes(10));
    assertThat(Submissions.parseDuration("PT2H")).isEqualTo(Duration.ofHours(2));
    assertThat(Submissions.parseDuration("120")).isEqualTo(Duration.ofSeconds(120));
    assertThatThrownBy(() -> Submissions.parseDuration("2 days"))
        .hasMessageContaining("not a duration");
  }
}
