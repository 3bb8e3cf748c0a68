package io.streamforge.streams.agents;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamforge.schemas.Topics;
import io.streamforge.schemas.records.AgentMessage;
import io.streamforge.schemas.records.Deployment;
import io.streamforge.schemas.records.MetricPoint;
import io.streamforge.schemas.records.ModelEvent;
import io.streamforge.schemas.records.WorkflowRequest;
import io.streamforge.streams.support.Json;
import io.streamforge.streams.support.Messages;
import io.streamforge.streams.support.Payloads;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DeployerTopologyTest {
  Drivers d;
  TestInputTopic<String, AgentMessage> in;
  TestInputTopic<String, List<MetricPoint>> metrics;
  TestInputTopic<String, ModelEvent> modelsIn;
  TestInputTopic<String, Deployment> deploymentsIn;
  TestOutputTopic<String, Deployment> deployments;
  TestOutputTopic<String, ModelEvent> models;
  TestOutputTopic<String, AgentMessage> messages;
  long second;

  @BeforeEach
  void start() {
    d = new Drivers(DeployerTopology.build(Duration.ofMillis(500)));
    in = d.in(Topics.AGENT_MESSAGES);
    metrics = d.in(Topics.METRICS);
    modelsIn = d.in(Topics.MODELS);
    deploymentsIn = d.in(Topics.DEPLOYMENTS);
    deployments = d.out(Topics.DEPLOYMENTS);
    models = d.out(Topics.MODELS);
    messages = d.out(Topics.AGENT_MESSAGES);
    registered(1);
    registered(2);
  }

  @AfterEach
  void stop() {
    d.close();
  }

  @Test
  void theFirstVersionIsPromotedAfterOneCleanWindow() {
    in.pipeInput("wf-1", deploy("wf-1", 1));
    Deployment canary = deployments.readValue();
    assertThat(canary.canaryVersion()).isEqualTo(1);
    assertThat(canary.stableVersion()).isNull();
    assertThat(canary.canaryWeight()).isEqualTo(10);
    assertThat(canary.decision()).isEqualTo("canary");
    assertThat(models.readValue().status()).isEqualTo(ModelEvent.ModelStatus.CANARY);
    d.driver.advanceWallClockTime(Duration.ofSeconds(2));
    assertThat(deployments.isEmpty()).as("no samples yet: wait").isTrue();
    edge(1, 30, 0, 4.0);
    d.driver.advanceWallClockTime(Duration.ofSeconds(1));
    Deployment promoted = deployments.readValue();
    assertThat(promoted.stableVersion()).isEqualTo(1);
    assertThat(promoted.canaryVersion()).isNull();
    assertThat(promoted.decision()).isEqualTo("promote");
    assertThat(models.readValuesToList())
        .extracting(ModelEvent::version, ModelEvent::status)
        .contains(org.assertj.core.groups.Tuple.tuple(1, ModelEvent.ModelStatus.STABLE));
    Payloads.Deployed r = answer();
    assertThat(r.outcome()).isEqualTo("PROMOTED");
    assertThat(r.variant()).isEqualTo("fp32");
  }

  @Test
  void aCanaryWithErrorsIsRolledBackAtTheFirstBreach() {
    deploymentsIn.pipeInput("m", stable(1));
    in.pipeInput("wf-2", deploy("wf-2", 2));
    Deployment canary = deployments.readValue();
    assertThat(canary.stableVersion()).isEqualTo(1);
    assertThat(canary.canaryVersion()).isEqualTo(2);
    edge(1, 200, 0, 4.0);
    edge(2, 30, 6, 4.0);
    d.driver.advanceWallClockTime(Duration.ofSeconds(1));
    Deployment back = deployments.readValue();
    assertThat(back.stableVersion()).isEqualTo(1);
    assertThat(back.canaryVersion()).isNull();
    assertThat(back.decision()).isEqualTo("rollback");
    assertThat(back.reason()).contains("error");
    assertThat(models.readValuesToList())
        .extracting(ModelEvent::version, ModelEvent::status)
        .contains(org.assertj.core.groups.Tuple.tuple(2, ModelEvent.ModelStatus.ROLLED_BACK));
    assertThat(answer().outcome()).isEqualTo("ROLLED_BACK");
  }

  @Test
  void aHealthyCanaryWalksTheWeightsUpThenIsPromoted() {
    deploymentsIn.pipeInput("m", stable(1));
    in.pipeInput("wf-3", deploy("wf-3", 2));
    deployments.readValue();
    models.readValuesToList();
    double[] expected = {20, 40, 80, 100};
    for (double w : expected) {
      edge(1, 100, 0, 4.0);
      edge(2, 30, 0, 4.2);
      d.driver.advanceWallClockTime(Duration.ofSeconds(1));
      Deployment step = deployments.readValue();
      assertThat(step.decision()).isEqualTo("set-weight");
      assertThat(step.canaryWeight()).isEqualTo(w);
    }
    edge(1, 100, 0, 4.0);
    edge(2, 30, 0, 4.2);
    d.driver.advanceWallClockTime(Duration.ofSeconds(1));
    Deployment promoted = deployments.readValue();
    assertThat(promoted.stableVersion()).isEqualTo(2);
    assertThat(models.readValuesToList())
        .extracting(ModelEvent::version, ModelEvent::status)
        .contains(
            org.assertj.core.groups.Tuple.tuple(2, ModelEvent.ModelStatus.STABLE),
            org.assertj.core.groups.Tuple.tuple(1, ModelEvent.ModelStatus.ARCHIVED));
    assertThat(answer().outcome()).isEqualTo("PROMOTED");
  }

  private Payloads.Deployed answer() {
    List<AgentMessage> out = messages.readValuesToList();
    AgentMessage a = out.get(out.size() - 1);
    assertThat(a.type()).isEqualTo(AgentMessage.MessageType.RESPONSE);
    return Json.read(a.payload(), Payloads.Deployed.class);
  }

  private void registered(int version) {
    ModelEvent e =
        new ModelEvent(
            "m",
            version,
            "fp32",
            "onnx",
            ModelEvent.ModelStatus.REGISTERED,
            "sha",
            1000,
            Map.of("val_accuracy", 0.9),
            null,
            "job",
            "trained",
            Drivers.T0);
    modelsIn.pipeInput(e.key(), e);
  }

  private static Deployment stable(int version) {
    return new Deployment(
        "m", version, null, 0, Deployment.Mode.SPLIT, null, "promote", "earlier", Drivers.T0);
  }

  private void edge(int version, long requests, long errors, double p99) {
    Map<String, String> labels =
        Map.of("model", "m", "version", Integer.toString(version), "variant", "fp32", "edge", "e1");
    second++;
    metrics.pipeInput(
        "m",
        List.of(
            new MetricPoint(
                "edge", "m:" + version, second, "request_count", requests, Drivers.T0, labels),
            new MetricPoint(
                "edge", "m:" + version, second, "error_count", errors, Drivers.T0, labels),
            new MetricPoint(
                "edge", "m:" + version, second, "latency_p99_ms", p99, Drivers.T0, labels)));
  }

  private static AgentMessage deploy(String wf, int version) {
    Payloads.DeployRequest q =
        new Payloads.DeployRequest(
            "m",
            version,
            List.of(new Payloads.Candidate("fp32", Map.of("val_accuracy", 0.9), 1000)),
            null,
            null,
            new WorkflowRequest.Rollout(
                10, 1, Map.of("min_samples", 20.0, "max_error_rate", 0.05, "max_p99_ratio", 2.0)),
            true);
    return Messages.request(
        wf + "/deploy/1",
        wf,
        Messages.ORCHESTRATOR,
        Messages.DEPLOYER,
        Payloads.DEPLOY,
        q,
        1,
        Drivers.T0);
  }
}
