package io.streamforge.serving.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamforge.schemas.records.AgentMessage;
import io.streamforge.schemas.records.Deployment;
import io.streamforge.schemas.records.MetricPoint;
import io.streamforge.schemas.records.ModelEvent;
import io.streamforge.schemas.records.Phase;
import io.streamforge.schemas.records.PhaseTransition;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What each stream sends for a record under each filter, and the JSON it sends. */
class StreamFilterTest {
  static final Instant T = Instant.parse("2026-01-02T03:04:05.123456Z");

  static StreamFilter filter(
      Set<String> workflows, Set<String> runs, Set<String> models, Set<String> sources) {
    return new StreamFilter(workflows, runs, models, sources);
  }

  static MetricPoint point(
      String source, String run, String name, double value, Map<String, String> labels) {
    return new MetricPoint(source, run, 3, name, value, T, labels);
  }

  @Test
  void metricsKeepOnlyMatchingPointsOfABatch() {
    List<MetricPoint> batch =
        List.of(
            point("trainer", "wf-1.trial-2", "loss", 0.5, Map.of("scope", "step")),
            point("trainer", "wf-1.final", "val_accuracy", 0.9, Map.of("scope", "epoch")),
            point("trainer", "wf-10.trial-1", "loss", 0.7, Map.of()),
            point("trainer", "wf-1", "loss", 0.1, Map.of()),
            point("edge", "iris:2", "request_count", 12, Map.of("model", "iris", "version", "2")),
            point("edge", "wine:1", "request_count", 3, Map.of("model", "wine")));
    Delivery d = new Delivery(Stream.METRICS, 0, 5, "k", batch);

    JsonArray byWorkflow =
        new JsonArray(filter(Set.of("wf-1"), Set.of(), Set.of(), Set.of()).select(d).data());
    assertThat(byWorkflow.stream().map(o -> ((JsonObject) o).getString("run")))
        .containsExactly("wf-1.trial-2", "wf-1.final");

    StreamFilter.Event byRun = filter(Set.of(), Set.of("wf-1.final"), Set.of(), Set.of()).select(d);
    assertThat(byRun.name()).isEqualTo("metrics");
    JsonObject p = new JsonArray(byRun.data()).getJsonObject(0);
    assertThat(p.getString("name")).isEqualTo("val_accuracy");
    assertThat(p.getDouble("value")).isEqualTo(0.9);
    assertThat(p.getLong("step")).isEqualTo(3);
    assertThat(p.getString("time")).isEqualTo("2026-01-02T03:04:05.123456Z");
    assertThat(p.getJsonObject("labels").getString("scope")).isEqualTo("epoch");

    JsonArray byModel =
        new JsonArray(filter(Set.of(), Set.of(), Set.of("iris"), Set.of()).select(d).data());
    assertThat(byModel).hasSize(1);
    assertThat(byModel.getJsonObject(0).getString("run")).isEqualTo("iris:2");

    // different filters must all match; nothing matching means no event at all
    assertThat(filter(Set.of("wf-1"), Set.of(), Set.of(), Set.of("edge")).select(d)).isNull();
    assertThat(new JsonArray(filter(Set.of(), Set.of(), Set.of(), Set.of("edge")).select(d).data()))
        .hasSize(2);
    assertThat(new JsonArray(StreamFilter.none().select(d).data())).hasSize(6);
  }

  @Test
  void nonFiniteValuesAreNamedNotBrokenJson() {
    Delivery d =
        new Delivery(
            Stream.METRICS,
            0,
            1,
            "k",
            List.of(
                point("trainer", "r", "loss", Double.NaN, Map.of()),
                point("trainer", "r", "loss", Double.POSITIVE_INFINITY, Map.of()),
                point("trainer", "r", "loss", Double.NEGATIVE_INFINITY, Map.of())));
    JsonArray a = new JsonArray(StreamFilter.none().select(d).data());
    assertThat(a.stream().map(o -> ((JsonObject) o).getValue("value")))
        .containsExactly("NaN", "Infinity", "-Infinity");
  }

  @Test
  void phasesTrialsDeploymentsAndModels() {
    StreamFilter wf = filter(Set.of("wf-1"), Set.of(), Set.of(), Set.of());
    PhaseTransition t =
        new PhaseTransition(
            "wf-1", Phase.DESIGN, Phase.SEARCH, "designed", T, Map.of("space", "mlp"));
    StreamFilter.Event phase = wf.select(new Delivery(Stream.PHASES, 1, 0, "wf-1", t));
    assertThat(phase.name()).isEqualTo("phase");
    JsonObject pj = new JsonObject(phase.data());
    assertThat(pj.getString("workflowId")).isEqualTo("wf-1");
    assertThat(pj.getString("from")).isEqualTo("DESIGN");
    assertThat(pj.getString("to")).isEqualTo("SEARCH");
    assertThat(pj.getJsonObject("artifacts").getString("space")).isEqualTo("mlp");
    PhaseTransition other =
        new PhaseTransition("wf-2", null, Phase.ANALYZE, "submitted", T, Map.of());
    assertThat(wf.select(new Delivery(Stream.PHASES, 1, 1, "wf-2", other))).isNull();
    assertThat(
            new JsonObject(
                    StreamFilter.none()
                        .select(new Delivery(Stream.PHASES, 1, 1, "wf-2", other))
                        .data())
                .getValue("from"))
        .isNull();

    String payload =
        "{\"trialId\":\"trial-001\",\"jobId\":\"wf-1.trial-1\",\n\"status\":\"RUNNING\"}";
    StreamFilter.Event trial =
        wf.select(new Delivery(Stream.TRIALS, 0, 0, "wf-1", message("wf-1", "trial", payload)));
    assertThat(trial.name()).isEqualTo("trial");
    assertThat(trial.data()).isEqualTo(payload);
    assertThat(
            wf.select(
                    new Delivery(
                        Stream.TRIALS, 0, 1, "wf-1", message("wf-1", "debug-action", "{}")))
                .name())
        .isEqualTo("debug-action");
    assertThat(
            wf.select(
                new Delivery(Stream.TRIALS, 0, 2, "wf-1", message("wf-1", "requirements", "{}"))))
        .isNull();
    assertThat(wf.select(new Delivery(Stream.TRIALS, 0, 3, "wf-2", message("wf-2", "trial", "{}"))))
        .isNull();

    StreamFilter iris = filter(Set.of(), Set.of(), Set.of("iris"), Set.of());
    Deployment dep =
        new Deployment("iris", 1, 2, 12.5, Deployment.Mode.SPLIT, null, "step", "ok", T);
    StreamFilter.Event de = iris.select(new Delivery(Stream.DEPLOYMENTS, 0, 0, "iris", dep));
    assertThat(de.name()).isEqualTo("deployment");
    JsonObject dj = new JsonObject(de.data());
    assertThat(dj.getInteger("stableVersion")).isEqualTo(1);
    assertThat(dj.getInteger("canaryVersion")).isEqualTo(2);
    assertThat(dj.getDouble("canaryWeight")).isEqualTo(12.5);
    assertThat(dj.getString("mode")).isEqualTo("SPLIT");
    assertThat(dj.containsKey("stickyHeader")).isTrue();
    Deployment wine = new Deployment("wine", 1, null, 0, Deployment.Mode.SPLIT, null, "x", "y", T);
    assertThat(iris.select(new Delivery(Stream.DEPLOYMENTS, 0, 1, "wine", wine))).isNull();

    ModelEvent e =
        new ModelEvent(
            "iris",
            2,
            "fp32",
            "onnx",
            ModelEvent.ModelStatus.CANARY,
            "ab",
            1234,
            Map.of("val_accuracy", 0.97),
            null,
            "wf-1.final",
            "canary",
            T);
    StreamFilter.Event me = iris.select(new Delivery(Stream.MODELS, 0, 0, e.key(), e));
    assertThat(me.name()).isEqualTo("model");
    JsonObject mj = new JsonObject(me.data());
    assertThat(mj.getString("key")).isEqualTo("iris:2:fp32");
    assertThat(mj.getString("status")).isEqualTo("CANARY");
    assertThat(mj.getJsonObject("metrics").getDouble("val_accuracy")).isEqualTo(0.97);
    assertThat(mj.getLong("sizeBytes")).isEqualTo(1234);

    // a tombstone or an undecodable record carries no event
    assertThat(StreamFilter.none().select(new Delivery(Stream.MODELS, 0, 9, "k", null))).isNull();
  }

  @Test
  void framesSplitMultiLineDataAndCarryTheCursor() {
    String frame =
        SseClient.frame("phases:0-3", new StreamFilter.Event("trial", "{\"a\":1,\n\"b\":2}"))
            .toString();
    assertThat(frame)
        .isEqualTo("id: phases:0-3\nevent: trial\ndata: {\"a\":1,\ndata: \"b\":2}\n\n");
  }

  static AgentMessage message(String workflow, String type, String payload) {
    return new AgentMessage(
        "m-" + type,
        "c",
        workflow,
        "optimizer",
        "*",
        AgentMessage.MessageType.EVENT,
        0,
        T,
        type,
        payload);
  }
}
