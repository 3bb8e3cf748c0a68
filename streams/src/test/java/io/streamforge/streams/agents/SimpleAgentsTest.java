package io.streamforge.streams.agents;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamforge.agents.task.RuleBasedTaskAnalyzer;
import io.streamforge.schemas.Topics;
import io.streamforge.schemas.records.AgentMessage;
import io.streamforge.streams.orchestrator.OrchestratorTopologyTest;
import io.streamforge.streams.support.Json;
import io.streamforge.streams.support.Messages;
import io.streamforge.streams.support.Payloads;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SimpleAgentsTest {
  @Test
  void taskAnalysisAnswersOnceWithRequirements() {
    try (Drivers d = new Drivers(SimpleAgents.taskAnalysis(new RuleBasedTaskAnalyzer()))) {
      var in = d.in(Topics.AGENT_MESSAGES);
      var out = d.out(Topics.AGENT_MESSAGES);
      AgentMessage req =
          Messages.request(
              "wf-1/analyze/1",
              "wf-1",
              Messages.ORCHESTRATOR,
              Messages.TASK_ANALYSIS,
              Payloads.ANALYZE,
              new Payloads.AnalyzeRequest(
                  OrchestratorTopologyTest.request("wf-1", "iris"),
                  OrchestratorTopologyTest.manifest()),
              1,
              Drivers.T0);
      in.pipeInput("wf-1", req);
      in.pipeInput("wf-1", req); // duplicate: answered once
      List<AgentMessage> answers = out.readValuesToList();
      assertThat(answers).hasSize(1);
      AgentMessage a = answers.get(0);
      assertThat(a.type()).isEqualTo(AgentMessage.MessageType.RESPONSE);
      assertThat(a.correlationId()).isEqualTo("wf-1/analyze/1");
      assertThat(a.target()).isEqualTo(Messages.ORCHESTRATOR);
      assertThat(a.payloadType()).isEqualTo(Payloads.REQUIREMENTS);
      var r = Json.tree(a.payload());
      assertThat(r.path("taskType").asText()).isEqualTo("CLASSIFICATION");
      assertThat(r.path("metric").asText()).isEqualTo("val_accuracy");
      assertThat(r.path("features")).hasSize(2);
    }
  }

  @Test
  void requestsForOtherAgentsAreIgnoredAndUnknownTypesRefused() {
    try (Drivers d = new Drivers(SimpleAgents.conversion())) {
      var in = d.in(Topics.AGENT_MESSAGES);
      var out = d.out(Topics.AGENT_MESSAGES);
      in.pipeInput(
          "wf-2",
          Messages.request(
              "x",
              "wf-2",
              Messages.ORCHESTRATOR,
              Messages.ARCHITECT,
              Payloads.DESIGN,
              "{}",
              1,
              Drivers.T0));
      assertThat(out.isEmpty()).isTrue();
      in.pipeInput(
          "wf-2",
          Messages.request(
              "y",
              "wf-2",
              Messages.ORCHESTRATOR,
              Messages.CONVERSION,
              "dance",
              "{}",
              1,
              Drivers.T0));
      AgentMessage e = out.readValue();
      assertThat(e.payloadType()).isEqualTo(Messages.ERROR);
      Messages.ErrorPayload p = Json.read(e.payload(), Messages.ErrorPayload.class);
      assertThat(p.transientFailure()).isFalse();
      assertThat(p.reason()).contains("dance");
    }
  }

  @Test
  void conversionPassesWithinToleranceAndFailsBeyond() {
    try (Drivers d = new Drivers(SimpleAgents.conversion())) {
      var in = d.in(Topics.AGENT_MESSAGES);
      var out = d.out(Topics.AGENT_MESSAGES);
      in.pipeInput("wf-3", convert("c1", 1e-6));
      in.pipeInput("wf-3", convert("c2", 0.3));
      List<AgentMessage> answers = out.readValuesToList();
      assertThat(Json.tree(answers.get(0).payload()).path("passed").asBoolean()).isTrue();
      var failed = Json.tree(answers.get(1).payload());
      assertThat(failed.path("passed").asBoolean()).isFalse();
      assertThat(failed.path("reason").asText()).contains("0.3");
    }
  }

  @Test
  void theArchitectAnswersWithTheSpaceWithinTheBudget() {
    try (Drivers d = new Drivers(SimpleAgents.architect())) {
      var in = d.in(Topics.AGENT_MESSAGES);
      var out = d.out(Topics.AGENT_MESSAGES);
      in.pipeInput(
          "wf-4",
          Messages.request(
              "a1",
              "wf-4",
              Messages.ORCHESTRATOR,
              Messages.ARCHITECT,
              Payloads.DESIGN,
              new Payloads.DesignRequest(
                  64,
                  10,
                  1797,
                  new io.streamforge.schemas.records.WorkflowRequest.Constraints(
                      40_000L, null, null)),
              1,
              Drivers.T0));
      Payloads.Designed designed = Json.read(out.readValue().payload(), Payloads.Designed.class);
      assertThat(designed.maxParameters()).isLessThanOrEqualTo(10_000);
      assertThat(designed.dimensions()).isNotEmpty();
    }
  }

  private static AgentMessage convert(String id, double diff) {
    return Messages.request(
        id,
        "wf-3",
        Messages.ORCHESTRATOR,
        Messages.CONVERSION,
        Payloads.CONVERT,
        new Payloads.ConvertRequest("m", 1, Map.of("parity_max_abs_diff", diff)),
        1,
        Drivers.T0);
  }
}
