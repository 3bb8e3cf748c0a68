package io.streamforge.streams.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamforge.schemas.Topics;
import io.streamforge.schemas.records.AgentMessage;
import io.streamforge.schemas.records.ControlCommand;
import io.streamforge.schemas.records.DatasetManifest;
import io.streamforge.schemas.records.Phase;
import io.streamforge.schemas.records.PhaseTransition;
import io.streamforge.schemas.records.TrainingJob;
import io.streamforge.schemas.records.WorkflowRequest;
import io.streamforge.streams.support.Json;
import io.streamforge.streams.support.Messages;
import io.streamforge.streams.support.Payloads;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The orchestrator's state machine driven through its topology, without a broker. */
public class OrchestratorTopologyTest {
  static final Instant T0 = Instant.parse("2026-11-24T10:00:00Z");

  TopologyTestDriver driver;
  TestInputTopic<String, DatasetManifest> manifests;
  TestInputTopic<String, WorkflowRequest> workflows;
  TestInputTopic<String, AgentMessage> messagesIn;
  TestOutputTopic<String, PhaseTransition> phases;
  TestOutputTopic<String, AgentMessage> messagesOut;
  TestOutputTopic<String, TrainingJob> jobs;
  TestOutputTopic<String, ControlCommand> control;
  Path stateDir;

  @BeforeEach
  void start() throws Exception {
    stateDir = Files.createTempDirectory("orchestrator-test");
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, "orchestrator-test");
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    OrchestratorConfig config =
        OrchestratorConfig.defaults().withTimeout(Phase.ANALYZE, Duration.ofSeconds(30));
    driver = new TopologyTestDriver(OrchestratorTopology.build(config), p, T0);
    manifests = in(Topics.DATASET_MANIFESTS);
    workflows = in(Topics.WORKFLOWS);
    messagesIn = in(Topics.AGENT_MESSAGES);
    phases = out(Topics.PHASES);
    messagesOut = out(Topics.AGENT_MESSAGES);
    jobs = out(Topics.TRAINING_JOBS);
    control = out(Topics.TRAINING_CONTROL);
    manifests.pipeInput("iris:1", manifest());
  }

  @AfterEach
  void stop() throws Exception {
    driver.close();
    try (var files = Files.walk(stateDir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }

  @Test
  void runsEveryPhaseToDone() {
    workflows.pipeInput("wf-1", request("wf-1", "iris"));
    assertThat(nextPhase().to()).isEqualTo(Phase.ANALYZE);
    answer(Messages.TASK_ANALYSIS, Payloads.REQUIREMENTS, requirementsJson());
    assertThat(nextPhase().to()).isEqualTo(Phase.PREPROCESS);
    AgentMessage pre = lastRequest();
    assertThat(pre.target()).isEqualTo(Messages.PREPROCESSING);
    assertThat(Json.tree(pre.payload()).path("rows").asLong()).isEqualTo(150);
    answer(Messages.PREPROCESSING, Payloads.PREPROCESSED, preprocessedJson(false));
    assertThat(nextPhase().to()).isEqualTo(Phase.DESIGN);
    answer(
        Messages.ARCHITECT,
        Payloads.DESIGNED,
        "{\"maxParameters\":100000,\"dimensions\":[\"layers\",\"width\"],\"notes\":[]}");
    assertThat(nextPhase().to()).isEqualTo(Phase.SEARCH);
    AgentMessage search = lastRequest();
    assertThat(search.target()).isEqualTo(Messages.OPTIMIZER);
    Payloads.SearchRequest sr = Json.read(search.payload(), Payloads.SearchRequest.class);
    assertThat(sr.template().features()).containsExactly("a", "b");
    assertThat(sr.metric()).isEqualTo("val_accuracy");
    answer(Messages.OPTIMIZER, Payloads.SEARCHED, Json.write(searched()));
    PhaseTransition train = nextPhase();
    assertThat(train.to()).isEqualTo(Phase.TRAIN);
    assertThat(train.reason()).contains("trial-001");
    TrainingJob fin = jobs.readValue();
    assertThat(fin.jobId()).isEqualTo("wf-1.final");
    assertThat(fin.architecture().hiddenSizes()).containsExactly(32, 16);
    assertThat(fin.model()).isEqualTo("iris");
    jobStatus(
        fin.jobId(),
        "SUCCEEDED",
        3,
        Map.of("val_accuracy", 0.97, "parity_max_abs_diff", 1e-6),
        null);
    assertThat(nextPhase().to()).isEqualTo(Phase.CONVERT);
    AgentMessage convert = lastRequest();
    assertThat(Json.tree(convert.payload()).path("version").asInt()).isEqualTo(3);
    answer(Messages.CONVERSION, Payloads.CONVERTED, "{\"passed\":true,\"reason\":\"parity 1e-6\"}");
    assertThat(nextPhase().to()).isEqualTo(Phase.OPTIMIZE);
    TrainingJob quant = jobs.readValue();
    assertThat(quant.params()).containsEntry("kind", "quantize").containsEntry("version", "3");
    jobStatus(
        quant.jobId(),
        "SUCCEEDED",
        3,
        null,
        "[{\"variant\":\"int8-weight\",\"accepted\":true,\"bytes\":1000,\"val_accuracy\":0.965},"
            + "{\"variant\":\"ternary\",\"accepted\":false,\"reason\":\"drop 4 points\"}]");
    PhaseTransition deploy = nextPhase();
    assertThat(deploy.to()).isEqualTo(Phase.DEPLOY);
    assertThat(deploy.reason()).contains("fp32").contains("int8-weight").doesNotContain("ternary");
    AgentMessage dep = lastRequest();
    assertThat(dep.target()).isEqualTo(Messages.DEPLOYER);
    answer(
        Messages.DEPLOYER,
        Payloads.DEPLOYED,
        "{\"model\":\"iris\",\"version\":3,\"variant\":\"int8-weight\",\"outcome\":\"PROMOTED\","
            + "\"reason\":\"clean at 100%\"}");
    PhaseTransition done = nextPhase();
    assertThat(done.to()).isEqualTo(Phase.DONE);
    assertThat(done.artifacts()).containsEntry("model", "iris:3:int8-weight");
    assertThat(phases.isEmpty()).isTrue();
    WorkflowState s = state("wf-1");
    assertThat(s.phase).isEqualTo(Phase.DONE);
    assertThat(s.transitions).hasSize(9);
    assertThat(s.phaseMs).containsKeys("ANALYZE", "SEARCH", "DEPLOY");
  }

  @Test
  void aKeptEnsembleReplacesTheFinalModel() {
    workflows.pipeInput("wf-e", withEnsemble(request("wf-e", "iris")));
    nextPhase();
    answer(Messages.TASK_ANALYSIS, Payloads.REQUIREMENTS, requirementsJson());
    answer(Messages.PREPROCESSING, Payloads.PREPROCESSED, preprocessedJson(false));
    answer(
        Messages.ARCHITECT,
        Payloads.DESIGNED,
        "{\"maxParameters\":1000,\"dimensions\":[],\"notes\":[]}");
    answer(Messages.OPTIMIZER, Payloads.SEARCHED, Json.write(searched()));
    TrainingJob fin = jobs.readValue();
    jobStatus(
        fin.jobId(),
        "SUCCEEDED",
        3,
        Map.of("val_accuracy", 0.95, "parity_max_abs_diff", 1e-6),
        null);
    List<PhaseTransition> t = phases.readValuesToList();
    assertThat(t.get(t.size() - 1).to()).isEqualTo(Phase.ENSEMBLE);
    AgentMessage ens = lastRequest();
    assertThat(ens.target()).isEqualTo(Messages.ENSEMBLER);
    assertThat(Json.tree(ens.payload()).path("version").asInt()).isEqualTo(3);
    answer(
        Messages.ENSEMBLER,
        Payloads.ENSEMBLED,
        "{\"kept\":true,\"version\":4,\"metrics\":{\"val_accuracy\":0.98,\"parity_max_abs_diff\":2e-6},"
            + "\"members\":[\"iris:3\",\"iris-trials:2\"],\"reason\":\"0.98 beats 0.96\"}");
    PhaseTransition convert = nextPhase();
    assertThat(convert.to()).isEqualTo(Phase.CONVERT);
    assertThat(convert.artifacts()).containsEntry("model", "iris:4:fp32");
    AgentMessage conversion = lastRequest();
    assertThat(Json.tree(conversion.payload()).path("version").asInt()).isEqualTo(4);
    assertThat(
            Json.tree(conversion.payload()).path("metrics").path("parity_max_abs_diff").asDouble())
        .isEqualTo(2e-6);
  }

  @Test
  void aModelWithTextInputsSkipsEnsemblingAndQuantization() {
    workflows.pipeInput("wf-t", withEnsemble(request("wf-t", "iris")));
    nextPhase();
    answer(Messages.TASK_ANALYSIS, Payloads.REQUIREMENTS, requirementsJson());
    answer(
        Messages.PREPROCESSING,
        Payloads.PREPROCESSED,
        preprocessedJson(false)
            .replace(
                "\"standardization\":{}",
                "\"standardization\":{},\"categories\":{\"b\":[\"blue\",\"red\"]}"));
    answer(
        Messages.ARCHITECT,
        Payloads.DESIGNED,
        "{\"maxParameters\":1000,\"dimensions\":[],\"notes\":[]}");
    answer(Messages.OPTIMIZER, Payloads.SEARCHED, Json.write(searched()));
    TrainingJob fin = jobs.readValue();
    assertThat(fin.preprocessing()).contains("\"categories\":{\"b\":[\"blue\",\"red\"]}");
    jobStatus(fin.jobId(), "SUCCEEDED", 3, Map.of("val_accuracy", 0.95), null);
    List<PhaseTransition> t = phases.readValuesToList();
    PhaseTransition convert = t.get(t.size() - 1);
    assertThat(convert.to()).isEqualTo(Phase.CONVERT);
    assertThat(convert.reason()).contains("ensembling skipped (text inputs [b])");
    answer(Messages.CONVERSION, Payloads.CONVERTED, "{\"passed\":true,\"reason\":\"parity\"}");
    assertThat(nextPhase().to()).isEqualTo(Phase.OPTIMIZE);
    PhaseTransition deploy = nextPhase();
    assertThat(deploy.to()).isEqualTo(Phase.DEPLOY);
    assertThat(deploy.reason()).contains("quantization skipped (text inputs [b]");
    assertThat(jobs.isEmpty()).isTrue(); // no quantization job
  }

  @Test
  void duplicateMessagesAreHarmless() {
    workflows.pipeInput("wf-2", request("wf-2", "iris"));
    nextPhase();
    AgentMessage req = lastRequest();
    AgentMessage answer =
        Messages.response(
            req, Messages.TASK_ANALYSIS, Payloads.REQUIREMENTS, requirementsJson(), now());
    messagesIn.pipeInput("wf-2", answer);
    messagesIn.pipeInput("wf-2", answer);
    workflows.pipeInput("wf-2", request("wf-2", "iris")); // the request again
    assertThat(phases.readValuesToList())
        .extracting(PhaseTransition::to)
        .containsExactly(Phase.PREPROCESS);
    assertThat(messagesOut.readValuesToList()).hasSize(1);
  }

  @Test
  void aPhaseThatGetsNoAnswerTimesOutNamingTheAgent() {
    workflows.pipeInput("wf-3", request("wf-3", "iris"));
    nextPhase();
    driver.advanceWallClockTime(Duration.ofSeconds(20));
    assertThat(phases.isEmpty()).isTrue();
    driver.advanceWallClockTime(Duration.ofSeconds(12));
    PhaseTransition failed = nextPhase();
    assertThat(failed.to()).isEqualTo(Phase.FAILED);
    assertThat(failed.reason())
        .contains("ANALYZE")
        .contains("timed out")
        .contains(Messages.TASK_ANALYSIS);
  }

  @Test
  void transientFailuresAreRetriedWithBackoffThenFail() {
    workflows.pipeInput("wf-4", request("wf-4", "iris"));
    nextPhase();
    AgentMessage first = lastRequest();
    assertThat(first.id()).isEqualTo("wf-4/analyze/1");
    messagesIn.pipeInput(
        "wf-4", Messages.error(first, Messages.TASK_ANALYSIS, "store busy", true, now()));
    assertThat(messagesOut.isEmpty()).isTrue();
    driver.advanceWallClockTime(Duration.ofSeconds(3)); // backoff 2 s
    AgentMessage second = lastRequest();
    assertThat(second.id()).isEqualTo("wf-4/analyze/2");
    messagesIn.pipeInput(
        "wf-4", Messages.error(second, Messages.TASK_ANALYSIS, "store busy", true, now()));
    driver.advanceWallClockTime(Duration.ofSeconds(3));
    assertThat(messagesOut.isEmpty()).isTrue(); // 4 s backoff now
    driver.advanceWallClockTime(Duration.ofSeconds(2));
    AgentMessage third = lastRequest();
    assertThat(third.id()).isEqualTo("wf-4/analyze/3");
    messagesIn.pipeInput(
        "wf-4", Messages.error(third, Messages.TASK_ANALYSIS, "store busy", true, now()));
    PhaseTransition failed = nextPhase();
    assertThat(failed.to()).isEqualTo(Phase.FAILED);
    assertThat(failed.reason())
        .contains("ANALYZE")
        .contains(Messages.TASK_ANALYSIS)
        .contains("after 3 attempts")
        .contains("store busy");
  }

  @Test
  void aPermanentFailureEndsTheWorkflowAtOnce() {
    workflows.pipeInput("wf-5", request("wf-5", "iris"));
    nextPhase();
    messagesIn.pipeInput(
        "wf-5",
        Messages.error(lastRequest(), Messages.TASK_ANALYSIS, "label is text", false, now()));
    PhaseTransition failed = nextPhase();
    assertThat(failed.to()).isEqualTo(Phase.FAILED);
    assertThat(failed.reason()).isEqualTo("ANALYZE failed in agent task-analysis: label is text");
  }

  @Test
  void anInvalidRequestFailsWithEveryProblem() {
    workflows.pipeInput("wf-6", request("wf-6", "nope"));
    PhaseTransition failed = nextPhase();
    assertThat(failed.from()).isNull();
    assertThat(failed.to()).isEqualTo(Phase.FAILED);
    assertThat(failed.reason()).startsWith("invalid request:").contains("nope");
    assertThat(messagesOut.isEmpty()).isTrue();
  }

  @Test
  void cancellingDuringTheSearchStopsTheTrials() {
    workflows.pipeInput("wf-7", request("wf-7", "iris"));
    nextPhase();
    answer(Messages.TASK_ANALYSIS, Payloads.REQUIREMENTS, requirementsJson());
    answer(Messages.PREPROCESSING, Payloads.PREPROCESSED, preprocessedJson(false));
    answer(
        Messages.ARCHITECT,
        Payloads.DESIGNED,
        "{\"maxParameters\":1000,\"dimensions\":[],\"notes\":[]}");
    phases.readValuesToList();
    messagesIn.pipeInput(
        "wf-7",
        Messages.request(
            "c1",
            "wf-7",
            Messages.USER,
            Messages.ORCHESTRATOR,
            Payloads.CANCEL,
            Map.of("reason", "enough"),
            9,
            now()));
    PhaseTransition cancelled = nextPhase();
    assertThat(cancelled.to()).isEqualTo(Phase.CANCELLED);
    assertThat(cancelled.reason()).contains("enough");
    AgentMessage stop = lastRequest();
    assertThat(stop.target()).isEqualTo(Messages.OPTIMIZER);
    assertThat(stop.payloadType()).isEqualTo(Payloads.CANCEL);
  }

  @Test
  void blockingQualityFindingsFailThePreprocessing() {
    workflows.pipeInput("wf-8", request("wf-8", "iris"));
    nextPhase();
    answer(Messages.TASK_ANALYSIS, Payloads.REQUIREMENTS, requirementsJson());
    nextPhase();
    answer(Messages.PREPROCESSING, Payloads.PREPROCESSED, preprocessedJson(true));
    PhaseTransition failed = nextPhase();
    assertThat(failed.to()).isEqualTo(Phase.FAILED);
    assertThat(failed.reason()).contains("data quality").contains("label: the label has nulls");
  }

  @Test
  void trialEventsAndCurvesAreTracked() {
    workflows.pipeInput("wf-9", request("wf-9", "iris"));
    nextPhase();
    answer(Messages.TASK_ANALYSIS, Payloads.REQUIREMENTS, requirementsJson());
    Payloads.Trial t = searched().best();
    messagesIn.pipeInput(
        "wf-9", Messages.event("e1", "wf-9", Messages.OPTIMIZER, Payloads.TRIAL, t, now()));
    TestInputTopic<String, List<io.streamforge.schemas.records.MetricPoint>> metrics =
        in(Topics.METRICS);
    metrics.pipeInput(
        "wf-9.trial-1",
        List.of(
            new io.streamforge.schemas.records.MetricPoint(
                "trainer", "wf-9.trial-1", 1, "val_accuracy", 0.8, now(), Map.of("scope", "epoch")),
            new io.streamforge.schemas.records.MetricPoint(
                "trainer", "wf-9.trial-1", 1, "loss", 0.5, now(), Map.of("scope", "step"))));
    WorkflowState s = state("wf-9");
    assertThat(s.trials).containsKey("trial-001");
    assertThat(s.curves.get("wf-9.trial-1")).containsEntry(1L, 0.8);
  }

  // ---------------------------------------------------------------------------------------------

  private WorkflowState state(String id) {
    return driver.<String, WorkflowState>getKeyValueStore(OrchestratorTopology.STATE_STORE).get(id);
  }

  private Instant now() {
    return T0;
  }

  private PhaseTransition nextPhase() {
    assertThat(phases.isEmpty()).as("a phase transition").isFalse();
    return phases.readValue();
  }

  private AgentMessage lastSent;

  private AgentMessage lastRequest() {
    List<AgentMessage> all = messagesOut.readValuesToList();
    assertThat(all).as("requests sent").isNotEmpty();
    lastSent = all.get(all.size() - 1);
    return lastSent;
  }

  /** Answers the latest request (read now, or read before by the test). */
  private void answer(String agent, String type, String payload) {
    AgentMessage req = messagesOut.isEmpty() ? lastSent : lastRequest();
    messagesIn.pipeInput(req.workflowId(), Messages.response(req, agent, type, payload, now()));
  }

  private void jobStatus(
      String jobId, String state, int version, Map<String, Double> metrics, String report) {
    Payloads.JobStatus st =
        new Payloads.JobStatus(jobId, state, null, "iris", version, "abc", metrics, "w1", report);
    messagesIn.pipeInput(
        jobId.substring(0, jobId.indexOf('.')),
        new AgentMessage(
            "status-" + jobId + "-" + state,
            jobId,
            jobId.substring(0, jobId.indexOf('.')),
            Messages.TRAINING_WORKER,
            "*",
            AgentMessage.MessageType.EVENT,
            0,
            now(),
            Payloads.JOB_STATUS,
            Json.write(st)));
  }

  private <V> TestInputTopic<String, V> in(io.streamforge.schemas.Topic<String, V> t) {
    return driver.createInputTopic(
        t.name(), t.keySerde().serializer(), t.valueSerde().serializer());
  }

  private <V> TestOutputTopic<String, V> out(io.streamforge.schemas.Topic<String, V> t) {
    return driver.createOutputTopic(
        t.name(), t.keySerde().deserializer(), t.valueSerde().deserializer());
  }

  public static DatasetManifest manifest() {
    String schema =
        new org.apache.arrow.vector.types.pojo.Schema(
                List.of(
                    org.apache.arrow.vector.types.pojo.Field.nullable(
                        "a",
                        new org.apache.arrow.vector.types.pojo.ArrowType.FloatingPoint(
                            org.apache.arrow.vector.types.FloatingPointPrecision.SINGLE)),
                    org.apache.arrow.vector.types.pojo.Field.nullable(
                        "b",
                        new org.apache.arrow.vector.types.pojo.ArrowType.FloatingPoint(
                            org.apache.arrow.vector.types.FloatingPointPrecision.SINGLE)),
                    org.apache.arrow.vector.types.pojo.Field.nullable(
                        "label", new org.apache.arrow.vector.types.pojo.ArrowType.Int(64, true))))
            .toJson();
    return DatasetManifest.open("iris", 1, "label", "ZSTD", "p1", "iris.csv", T0)
        .withSchema(schema)
        .seal(150, 1, 0, List.of(new DatasetManifest.PartitionRange(0, 0, 1)), "h", T0);
  }

  public static WorkflowRequest request(String id, String dataset) {
    return new WorkflowRequest(
        id,
        "classify the flowers",
        dataset,
        null,
        "label",
        null,
        null,
        null,
        null,
        null,
        0,
        0,
        null,
        false,
        Map.of(),
        T0);
  }

  /** The request with ensembling asked for. */
  private static WorkflowRequest withEnsemble(WorkflowRequest r) {
    return new WorkflowRequest(
        r.workflowId(),
        r.task(),
        r.dataset(),
        null,
        r.label(),
        null,
        null,
        null,
        null,
        null,
        0,
        0,
        null,
        true,
        Map.of(),
        T0);
  }

  static String requirementsJson() {
    return "{\"taskType\":\"CLASSIFICATION\",\"label\":\"label\",\"features\":[\"a\",\"b\"],"
        + "\"metric\":\"val_accuracy\",\"higherIsBetter\":true,\"notes\":[]}";
  }

  static String preprocessedJson(boolean blocking) {
    String findings =
        blocking
            ? "[{\"severity\":\"ERROR\",\"column\":\"label\",\"code\":\"label-nulls\","
                + "\"message\":\"the label has nulls\"}]"
            : "[]";
    return "{\"spec\":{\"features\":[\"a\",\"b\"],\"dropped\":{},\"standardization\":{},"
        + "\"classes\":[\"0\",\"1\",\"2\"],\"validationFraction\":0.2,\"split\":\"row-hash\"},"
        + "\"report\":{\"findings\":"
        + findings
        + "},\"rows\":150,\"labelDistribution\":{\"0\":50},\"columns\":{}}";
  }

  static Payloads.Searched searched() {
    Payloads.Trial best =
        new Payloads.Trial(
            "trial-001",
            1,
            "wf-1.trial-1",
            Map.of("layers", 2.0),
            "layers=2 width=32",
            "SUCCEEDED",
            -0.96,
            Map.of("val_accuracy", 0.96),
            "iris-trials",
            2,
            null,
            1000,
            2000L,
            new TrainingJob.Architecture("mlp", List.of(32, 16), "relu", 0.1, false, Map.of()),
            new TrainingJob.OptimizerSpec("adam", 0.01, 0, 0, "cosine"),
            32);
    return new Payloads.Searched(best, 4, 0, 1, "max trials");
  }
}
