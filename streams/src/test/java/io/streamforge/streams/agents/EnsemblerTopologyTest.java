package io.streamforge.streams.agents;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamforge.schemas.Topics;
import io.streamforge.schemas.records.AgentMessage;
import io.streamforge.schemas.records.TrainingJob;
import io.streamforge.streams.support.Json;
import io.streamforge.streams.support.Messages;
import io.streamforge.streams.support.Payloads;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class EnsemblerTopologyTest {
  Drivers d;
  TestInputTopic<String, AgentMessage> in;
  TestOutputTopic<String, AgentMessage> messages;
  TestOutputTopic<String, TrainingJob> jobs;

  @BeforeEach
  void start() {
    d = new Drivers(EnsemblerTopology.build());
    in = d.in(Topics.AGENT_MESSAGES);
    messages = d.out(Topics.AGENT_MESSAGES);
    jobs = d.out(Topics.TRAINING_JOBS);
  }

  @AfterEach
  void stop() {
    d.close();
  }

  @Test
  void asksTheWorkersForTheTopModelsAndAnswersWithTheKeptEnsemble() {
    AgentMessage req =
        request("wf-1", List.of(trial(1, 0.90, 7), trial(2, 0.97, 8), trial(3, 0.50, 9)));
    in.pipeInput("wf-1", req);
    in.pipeInput("wf-1", req); // duplicate: one job
    List<TrainingJob> sent = jobs.readValuesToList();
    assertThat(sent).hasSize(1);
    TrainingJob job = sent.get(0);
    assertThat(job.jobId()).isEqualTo("wf-1.ensemble");
    assertThat(job.model()).isEqualTo("m");
    assertThat(job.params()).containsEntry("kind", "ensemble");
    assertThat(job.params().get("members")).isEqualTo("m-trials:8,m:3,m-trials:7");
    assertThat(messages.isEmpty()).isTrue();
    status("wf-1", "SUCCEEDED", 4, "{\"kept\":true,\"reason\":\"0.98 beats 0.97\"}");
    AgentMessage answer = messages.readValue();
    assertThat(answer.correlationId()).isEqualTo(req.id());
    Payloads.Ensembled e = Json.read(answer.payload(), Payloads.Ensembled.class);
    assertThat(e.kept()).isTrue();
    assertThat(e.version()).isEqualTo(4);
    assertThat(e.reason()).contains("beats");
  }

  @Test
  void withoutTwoModelsThereIsNothingToCombine() {
    in.pipeInput("wf-2", request("wf-2", List.of()));
    assertThat(jobs.isEmpty()).isTrue();
    Payloads.Ensembled e = Json.read(messages.readValue().payload(), Payloads.Ensembled.class);
    assertThat(e.kept()).isFalse();
    assertThat(e.reason()).contains("fewer than two");
  }

  @Test
  void aFailedJobLetsTheWorkflowGoOnWithTheFinalModel() {
    in.pipeInput("wf-3", request("wf-3", List.of(trial(1, 0.9, 7))));
    jobs.readValuesToList();
    status("wf-3", "FAILED", null, null);
    Payloads.Ensembled e = Json.read(messages.readValue().payload(), Payloads.Ensembled.class);
    assertThat(e.kept()).isFalse();
    assertThat(e.reason()).contains("failed");
  }

  private void status(String wf, String state, Integer version, String report) {
    Payloads.JobStatus st =
        new Payloads.JobStatus(
            wf + ".ensemble",
            state,
            state.equals("FAILED") ? "members disagree" : null,
            "m",
            version,
            null,
            Map.of("val_accuracy", 0.98),
            "w",
            report);
    in.pipeInput(
        wf,
        new AgentMessage(
            "s-" + wf,
            wf + ".ensemble",
            wf,
            Messages.TRAINING_WORKER,
            "*",
            AgentMessage.MessageType.EVENT,
            0,
            Drivers.T0,
            Payloads.JOB_STATUS,
            Json.write(st)));
  }

  private static Payloads.Trial trial(int index, double accuracy, int version) {
    return new Payloads.Trial(
        "trial-00" + index,
        index,
        "wf.trial-" + index,
        Map.of(),
        "",
        "SUCCEEDED",
        -accuracy,
        Map.of("val_accuracy", accuracy),
        "m-trials",
        version,
        null,
        0,
        1L,
        null,
        null,
        32);
  }

  private static AgentMessage request(String wf, List<Payloads.Trial> trials) {
    TrainingJob template =
        new TrainingJob(
            null,
            wf,
            null,
            "m-trials",
            "iris",
            1,
            "label",
            List.of("a"),
            TrainingJob.TaskType.CLASSIFICATION,
            null,
            null,
            null,
            0,
            5,
            42,
            0.2,
            3,
            "auto",
            Map.of(),
            Drivers.T0);
    return Messages.request(
        wf + "/ensemble/1",
        wf,
        Messages.ORCHESTRATOR,
        Messages.ENSEMBLER,
        Payloads.ENSEMBLE,
        new Payloads.EnsembleRequest(
            "m", 3, Map.of("val_accuracy", 0.95), trials, "val_accuracy", true, 3, template),
        1,
        Drivers.T0);
  }
}
