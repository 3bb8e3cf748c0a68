package io.streamforge.streams.agents;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamforge.agents.debug.DebugPolicy;
import io.streamforge.agents.search.Pruner;
import io.streamforge.schemas.Topics;
import io.streamforge.schemas.records.AgentMessage;
import io.streamforge.schemas.records.ControlCommand;
import io.streamforge.schemas.records.MetricPoint;
import io.streamforge.streams.support.Json;
import io.streamforge.streams.support.Payloads;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DebuggerTopologyTest {
  Drivers d;
  TestInputTopic<String, List<MetricPoint>> metrics;
  TestOutputTopic<String, ControlCommand> control;
  TestOutputTopic<String, AgentMessage> messages;

  @BeforeEach
  void start() {
    d = new Drivers(DebuggerTopology.build(DebugPolicy.defaults(), Pruner.median(2, 2)));
    metrics = d.in(Topics.METRICS);
    control = d.out(Topics.TRAINING_CONTROL);
    messages = d.out(Topics.AGENT_MESSAGES);
  }

  @AfterEach
  void stop() {
    d.close();
  }

  @Test
  void aNonFiniteLossRestoresTheCheckpoint() {
    step("wf-1.final", 1, 0.9);
    step("wf-1.final", 2, Double.NaN);
    List<ControlCommand> c = control.readValuesToList();
    assertThat(c).isNotEmpty();
    assertThat(c.get(0).jobId()).isEqualTo("wf-1.final");
    assertThat(c.get(0).action()).isEqualTo(ControlCommand.Action.RESTORE_CHECKPOINT);
    assertThat(c.get(0).issuedBy()).isEqualTo("model-debugging");
    AgentMessage event = messages.readValuesToList().get(0);
    assertThat(event.workflowId()).isEqualTo("wf-1");
    assertThat(event.payloadType()).isEqualTo(Payloads.DEBUG_ACTION);
  }

  @Test
  void aHealthyRunGetsNoCommand() {
    for (int i = 1; i <= 40; i++) {
      step("wf-2.final", i, 2.0 / i);
    }
    assertThat(control.isEmpty()).isTrue();
  }

  @Test
  void aTrialFarBehindTheOthersAtTheSameEpochIsPruned() {
    for (int epoch = 1; epoch <= 3; epoch++) {
      epoch("wf-3.trial-0", epoch, 0.80 + epoch * 0.03);
      epoch("wf-3.trial-1", epoch, 0.78 + epoch * 0.03);
    }
    assertThat(control.isEmpty()).isTrue();
    epoch("wf-3.trial-2", 1, 0.30);
    assertThat(control.isEmpty()).as("no pruning before the warm-up epoch").isTrue();
    epoch("wf-3.trial-2", 2, 0.33);
    ControlCommand stop = control.readValue();
    assertThat(stop.jobId()).isEqualTo("wf-3.trial-2");
    assertThat(stop.action()).isEqualTo(ControlCommand.Action.STOP);
    assertThat(stop.reason()).contains("pruned at epoch 2").contains("median");
    Payloads.DebugAction a =
        Json.read(messages.readValuesToList().get(0).payload(), Payloads.DebugAction.class);
    assertThat(a.pruned()).isTrue();
    epoch("wf-3.trial-2", 3, 0.2);
    assertThat(control.isEmpty()).as("a stopped run is left alone").isTrue();
  }

  private void step(String run, long step, double loss) {
    metrics.pipeInput(
        run,
        List.of(
            new MetricPoint(
                "trainer", run, step, "loss", loss, Drivers.T0, Map.of("scope", "step")),
            new MetricPoint(
                "trainer", run, step, "learning_rate", 0.01, Drivers.T0, Map.of("scope", "step"))));
  }

  /** Epoch metrics as the trainers send them: stamped with the global step (here 7 per epoch). */
  private void epoch(String run, long epoch, double accuracy) {
    long step = epoch * 7;
    List<MetricPoint> points = new ArrayList<>();
    points.add(
        new MetricPoint(
            "trainer", run, step, "epoch", epoch, Drivers.T0, Map.of("scope", "epoch")));
    points.add(
        new MetricPoint(
            "trainer", run, step, "val_accuracy", accuracy, Drivers.T0, Map.of("scope", "epoch")));
    metrics.pipeInput(run, points);
  }
}
