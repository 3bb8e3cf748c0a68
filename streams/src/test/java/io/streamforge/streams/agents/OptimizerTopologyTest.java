package io.streamforge.streams.agents;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamforge.schemas.Topics;
import io.streamforge.schemas.records.AgentMessage;
import io.streamforge.schemas.records.ControlCommand;
import io.streamforge.schemas.records.TrainingJob;
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

class OptimizerTopologyTest {
  Drivers d;
  TestInputTopic<String, AgentMessage> in;
  TestOutputTopic<String, AgentMessage> messages;
  TestOutputTopic<String, TrainingJob> jobs;
  TestOutputTopic<String, ControlCommand> control;

  @BeforeEach
  void start() {
    d = new Drivers(OptimizerTopology.build(Duration.ofSeconds(1)));
    in = d.in(Topics.AGENT_MESSAGES);
    messages = d.out(Topics.AGENT_MESSAGES);
    jobs = d.out(Topics.TRAINING_JOBS);
    control = d.out(Topics.TRAINING_CONTROL);
  }

  @AfterEach
  void stop() {
    d.close();
  }

  @Test
  void runsTrialsInParallelUpToTheLimitAndAnswersWithTheBest() {
    AgentMessage search = search("wf-1", 4, 2, Long.MAX_VALUE);
    in.pipeInput("wf-1", search);
    in.pipeInput("wf-1", search); // a duplicate starts nothing
    List<TrainingJob> first = jobs.readValuesToList();
    assertThat(first)
        .extracting(TrainingJob::jobId)
        .containsExactly("wf-1.trial-0", "wf-1.trial-1");
    assertThat(first.get(0).architecture().type()).isEqualTo("mlp");
    assertThat(first.get(0).epochs()).isEqualTo(5);
    assertThat(first.get(0).features()).containsExactly("a", "b");
    assertThat(trialEvents()).hasSize(2).allMatch(t -> t.status().equals("RUNNING"));
    status("wf-1.trial-0", "SUCCEEDED", 0.80);
    assertThat(jobs.readValuesToList())
        .extracting(TrainingJob::jobId)
        .containsExactly("wf-1.trial-2");
    status("wf-1.trial-1", "FAILED", null);
    status("wf-1.trial-2", "SUCCEEDED", 0.95);
    status(
        "wf-1.trial-2",
        "SUCCEEDED",
        0.95); // the same status again (a new message id) changes nothing
    assertThat(jobs.readValuesToList())
        .extracting(TrainingJob::jobId)
        .containsExactly("wf-1.trial-3");
    status("wf-1.trial-3", "SUCCEEDED", 0.90);
    assertThat(jobs.isEmpty()).isTrue();
    List<AgentMessage> out = messages.readValuesToList();
    AgentMessage answer = out.get(out.size() - 1);
    assertThat(answer.type()).isEqualTo(AgentMessage.MessageType.RESPONSE);
    assertThat(answer.correlationId()).isEqualTo(search.id());
    Payloads.Searched r = Json.read(answer.payload(), Payloads.Searched.class);
    assertThat(r.best().trialId()).isEqualTo("trial-002");
    assertThat(r.best().value()).isEqualTo(-0.95);
    assertThat(r.trials()).isEqualTo(4);
    assertThat(r.failed()).isEqualTo(1);
    assertThat(r.stoppedBy()).isEqualTo("max trials");
  }

  @Test
  void aTrialBeingPrunedHoldsItsSlotUntilItsJobEnds() {
    in.pipeInput("wf-p", search("wf-p", 3, 1, Long.MAX_VALUE));
    jobs.readValuesToList();
    in.pipeInput(
        "wf-p",
        Messages.event(
            "d1",
            "wf-p",
            Messages.DEBUGGER,
            Payloads.DEBUG_ACTION,
            new Payloads.DebugAction("wf-p.trial-0", "STOP", null, "pruned at epoch 2", 14, true),
            Drivers.T0));
    assertThat(jobs.isEmpty()).as("the pruned trial still runs").isTrue();
    status("wf-p.trial-0", "SUCCEEDED", 0.4);
    assertThat(jobs.readValuesToList())
        .extracting(TrainingJob::jobId)
        .containsExactly("wf-p.trial-1");
    List<Payloads.Trial> events = trialEvents();
    assertThat(events.get(events.size() - 2).status()).isEqualTo("PRUNED");
    assertThat(events.get(events.size() - 2).value()).isEqualTo(-0.4);
  }

  @Test
  void withKFoldsATrialIsKJobsScoredByTheirMean() {
    AgentMessage q = search("wf-k", 2, 1, Long.MAX_VALUE);
    Payloads.SearchRequest r = Json.read(q.payload(), Payloads.SearchRequest.class);
    Payloads.SearchRequest kfold =
        new Payloads.SearchRequest(
            r.strategy(),
            r.maxTrials(),
            r.parallelTrials(),
            r.seed(),
            r.trialEpochs(),
            r.deadlineEpochMs(),
            r.metric(),
            r.higherIsBetter(),
            r.template(),
            r.design(),
            3);
    in.pipeInput(
        "wf-k",
        Messages.request(
            q.id(),
            "wf-k",
            Messages.ORCHESTRATOR,
            Messages.OPTIMIZER,
            Payloads.SEARCH,
            kfold,
            1,
            Drivers.T0));
    List<TrainingJob> folds = jobs.readValuesToList();
    assertThat(folds)
        .extracting(TrainingJob::jobId)
        .containsExactly("wf-k.trial-0", "wf-k.trial-0-f1", "wf-k.trial-0-f2");
    assertThat(folds)
        .extracting(j -> j.params().get("validation_offset"))
        .containsExactly(Double.toString(0.0), Double.toString(1.0 / 3), Double.toString(2.0 / 3));
    assertThat(folds).allMatch(j -> Math.abs(j.validationFraction() - 1.0 / 3) < 1e-12);
    status("wf-k.trial-0", "SUCCEEDED", 0.90);
    status("wf-k.trial-0-f2", "SUCCEEDED", 0.80);
    assertThat(jobs.isEmpty()).as("the trial waits for its last fold").isTrue();
    status("wf-k.trial-0-f1", "SUCCEEDED", 0.70);
    assertThat(jobs.readValuesToList()).hasSize(3); // the next trial's folds
    Payloads.Trial first =
        trialEvents().stream()
            .filter(t -> t.trialId().equals("trial-000") && t.finished())
            .findFirst()
            .orElseThrow();
    assertThat(first.metrics().get("val_accuracy"))
        .isCloseTo(0.80, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(first.metrics())
        .containsEntry("val_accuracy_fold1", 0.70)
        .containsEntry("folds", 3.0);
    assertThat(first.value()).isCloseTo(-0.80, org.assertj.core.data.Offset.offset(1e-9));
  }

  @Test
  void proposalsAreDeterministicBySeed() {
    in.pipeInput("wf-a", search("wf-a", 2, 2, Long.MAX_VALUE));
    List<TrainingJob> a = jobs.readValuesToList();
    in.pipeInput("wf-b", search("wf-b", 2, 2, Long.MAX_VALUE));
    List<TrainingJob> b = jobs.readValuesToList();
    assertThat(a.get(0).architecture()).isEqualTo(b.get(0).architecture());
    assertThat(a.get(1).optimizer()).isEqualTo(b.get(1).optimizer());
    assertThat(a.get(0).architecture()).isNotEqualTo(a.get(1).architecture());
  }

  @Test
  void theDeadlineStopsNewTrials() {
    long deadline = Drivers.T0.toEpochMilli() + 10_000;
    in.pipeInput("wf-2", search("wf-2", 10, 1, deadline));
    assertThat(jobs.readValuesToList()).hasSize(1);
    d.driver.advanceWallClockTime(Duration.ofSeconds(11));
    status("wf-2.trial-0", "SUCCEEDED", 0.7);
    assertThat(jobs.isEmpty()).isTrue();
    List<AgentMessage> out = messages.readValuesToList();
    Payloads.Searched r = Json.read(out.get(out.size() - 1).payload(), Payloads.Searched.class);
    assertThat(r.stoppedBy()).isEqualTo("time budget");
    assertThat(r.trials()).isEqualTo(1);
  }

  @Test
  void cancelStopsTheRunningTrials() {
    in.pipeInput("wf-3", search("wf-3", 4, 2, Long.MAX_VALUE));
    jobs.readValuesToList();
    in.pipeInput(
        "wf-3",
        Messages.request(
            "wf-3/search/cancel",
            "wf-3",
            Messages.ORCHESTRATOR,
            Messages.OPTIMIZER,
            Payloads.CANCEL,
            Map.of("reason", "user"),
            9,
            Drivers.T0));
    assertThat(control.readValuesToList())
        .extracting(ControlCommand::jobId, ControlCommand::action)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple("wf-3.trial-0", ControlCommand.Action.STOP),
            org.assertj.core.groups.Tuple.tuple("wf-3.trial-1", ControlCommand.Action.STOP));
    status("wf-3.trial-0", "SUCCEEDED", 0.5);
    assertThat(jobs.isEmpty()).isTrue();
  }

  private List<Payloads.Trial> trialEvents() {
    return messages.readValuesToList().stream()
        .filter(m -> Payloads.TRIAL.equals(m.payloadType()))
        .map(m -> Json.read(m.payload(), Payloads.Trial.class))
        .toList();
  }

  private int statusCount;

  private void status(String jobId, String state, Double accuracy) {
    String wf = jobId.substring(0, jobId.indexOf('.'));
    Payloads.JobStatus st =
        new Payloads.JobStatus(
            jobId,
            state,
            state.equals("FAILED") ? "boom" : null,
            "m-trials",
            state.equals("SUCCEEDED") ? 1 : null,
            null,
            accuracy == null ? null : Map.of("val_accuracy", accuracy),
            "w",
            null);
    in.pipeInput(
        wf,
        new AgentMessage(
            "s" + statusCount++,
            jobId,
            wf,
            Messages.TRAINING_WORKER,
            "*",
            AgentMessage.MessageType.EVENT,
            0,
            Drivers.T0,
            Payloads.JOB_STATUS,
            Json.write(st)));
  }

  static AgentMessage search(String wf, int max, int parallel, long deadline) {
    TrainingJob template =
        new TrainingJob(
            null,
            wf,
            null,
            "m-trials",
            "iris",
            1,
            "label",
            List.of("a", "b"),
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
    Payloads.SearchRequest q =
        new Payloads.SearchRequest(
            "tpe",
            max,
            parallel,
            42,
            5,
            deadline,
            "val_accuracy",
            true,
            template,
            new Payloads.DesignRequest(2, 3, 150, null),
            0);
    return Messages.request(
        wf + "/search/1",
        wf,
        Messages.ORCHESTRATOR,
        Messages.OPTIMIZER,
        Payloads.SEARCH,
        q,
        1,
        Drivers.T0);
  }
}
