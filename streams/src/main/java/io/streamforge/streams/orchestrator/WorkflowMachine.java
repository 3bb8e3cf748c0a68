package io.streamforge.streams.orchestrator;

import com.fasterxml.jackson.databind.JsonNode;
import io.streamforge.agents.data.PreprocessingSpec;
import io.streamforge.agents.task.RequestValidator;
import io.streamforge.agents.task.Requirements;
import io.streamforge.schemas.records.AgentMessage;
import io.streamforge.schemas.records.ControlCommand;
import io.streamforge.schemas.records.DatasetManifest;
import io.streamforge.schemas.records.MetricPoint;
import io.streamforge.schemas.records.Phase;
import io.streamforge.schemas.records.PhaseTransition;
import io.streamforge.schemas.records.TrainingJob;
import io.streamforge.schemas.records.WorkflowRequest;
import io.streamforge.streams.support.Json;
import io.streamforge.streams.support.Messages;
import io.streamforge.streams.support.Out;
import io.streamforge.streams.support.Payloads;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.streams.KeyValue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The workflow state machine: {@code ANALYZE → PREPROCESS → DESIGN → SEARCH → TRAIN → (ENSEMBLE) →
 * CONVERT → OPTIMIZE → DEPLOY → DONE}, with {@code FAILED} and {@code CANCELLED} from any phase.
 * Each phase sends one request (to an agent on {@code agent.messages}, or a job on {@code
 * training.jobs}) and ends on its answer, matched by correlation id (or job id). Transient agent
 * failures are retried with doubling backoff; a phase that does not end within its timeout fails
 * the workflow naming the phase and the agent.
 *
 * <p>No Kafka Streams types beyond {@link KeyValue}: the processor around it owns the stores; the
 * machine changes the state it is given and appends what to send.
 */
public final class WorkflowMachine {
  private static final Logger log = LoggerFactory.getLogger(WorkflowMachine.class);

  /** Job-id infix of search trials: {@code <workflow>.trial-<n>}. */
  public static final String TRIAL_INFIX = ".trial-";

  public static final String FINAL_SUFFIX = ".final";
  public static final String QUANTIZE_SUFFIX = ".quantize";

  /** Looks up sealed dataset versions. */
  public interface Manifests {
    /**
     * The manifest of the version, or of the latest sealed version when {@code version} is null.
     */
    DatasetManifest find(String dataset, Integer version);
  }

  private final OrchestratorConfig config;
  private final Manifests manifests;

  public WorkflowMachine(OrchestratorConfig config, Manifests manifests) {
    this.config = config;
    this.manifests = manifests;
  }

  /** Whether the orchestrator reads this message at all. */
  public static boolean concernsOrchestrator(AgentMessage m) {
    return Messages.ORCHESTRATOR.equals(m.target())
        || ("*".equals(m.target())
            && (Payloads.JOB_STATUS.equals(m.payloadType())
                || Payloads.TRIAL.equals(m.payloadType())
                || Payloads.DEBUG_ACTION.equals(m.payloadType())));
  }

  /** Per-epoch metrics of a workflow's trial or final run. */
  public static boolean isWorkflowEpochMetric(MetricPoint p) {
    return "trainer".equals(p.source())
        && p.labels() != null
        && "epoch".equals(p.labels().get("scope"))
        && p.run() != null
        && (p.run().contains(TRIAL_INFIX) || p.run().endsWith(FINAL_SUFFIX));
  }

  public static String workflowOfRun(String run) {
    int dot = run.indexOf('.');
    return dot < 0 ? run : run.substring(0, dot);
  }

  // ---------------------------------------------------------------------------------------------
  // inputs

  /**
   * A request on {@code workflows}; a known id is a duplicate (or the compacted replay) and
   * ignored.
   */
  public WorkflowState onRequest(
      WorkflowState existing, WorkflowRequest raw, long now, List<KeyValue<String, Out>> sends) {
    if (existing != null) {
      log.debug("workflow {} already known; request ignored", raw.workflowId());
      return null;
    }
    WorkflowRequest request = RequestValidator.withDefaults(raw, Instant.ofEpochMilli(now));
    WorkflowState s = new WorkflowState();
    s.workflowId = request.workflowId();
    s.request = request;
    s.createdMs = now;
    s.model = option(request, "model", request.dataset());
    DatasetManifest manifest = manifests.find(request.dataset(), request.datasetVersion());
    List<String> problems = RequestValidator.problems(request, manifest);
    if (!problems.isEmpty()) {
      s.failure = "invalid request: " + String.join("; ", problems);
      transition(s, Phase.FAILED, s.failure, Map.of(), now, sends);
      return s;
    }
    s.results.put("manifest", Json.MAPPER.valueToTree(manifest));
    enter(
        s,
        Phase.ANALYZE,
        "submitted: " + (request.task() == null ? "" : request.task()),
        Map.of("dataset", manifest.dataset() + ":" + manifest.version()),
        now,
        sends);
    return s;
  }

  /** A message on {@code agent.messages} for the orchestrator (already deduplicated by id). */
  public WorkflowState onMessage(
      WorkflowState s, AgentMessage m, long now, List<KeyValue<String, Out>> sends) {
    if (s == null) {
      return null;
    }
    try {
      MDC.put("workflow", s.workflowId);
      if (Payloads.CANCEL.equals(m.payloadType()) && m.type() == AgentMessage.MessageType.REQUEST) {
        if (!s.terminal()) {
          cancel(s, m, now, sends);
          return s;
        }
        return null;
      }
      if (s.terminal()) {
        // a trial finishing after a cancel still belongs in the record
        if (Payloads.TRIAL.equals(m.payloadType())) {
          recordTrial(s, m);
          return s;
        }
        return null;
      }
      switch (m.payloadType()) {
        case Payloads.TRIAL -> {
          recordTrial(s, m);
          return s;
        }
        case Payloads.DEBUG_ACTION -> {
          ((com.fasterxml.jackson.databind.node.ArrayNode)
                  s.results.computeIfAbsent("debugActions", k -> Json.MAPPER.createArrayNode()))
              .add(Json.tree(m.payload()));
          return s;
        }
        case Payloads.JOB_STATUS -> {
          return onJobStatus(s, Json.read(m.payload(), Payloads.JobStatus.class), m, now, sends)
              ? s
              : null;
        }
        default -> {
          if (m.type() != AgentMessage.MessageType.RESPONSE
              || s.pending == null
              || !s.pending.equals(m.correlationId())) {
            return null; // a late answer to an earlier attempt, or not ours
          }
          if (Messages.ERROR.equals(m.payloadType())) {
            Messages.ErrorPayload e = Json.read(m.payload(), Messages.ErrorPayload.class);
            failOrRetry(s, m.source(), e.reason(), e.transientFailure(), now, sends);
          } else {
            s.overheadMs += Math.max(0, now - m.timestamp().toEpochMilli());
            complete(s, Json.tree(m.payload()), m.source(), now, sends);
          }
          return s;
        }
      }
    } finally {
      MDC.remove("workflow");
    }
  }

  /** Epoch metrics of the workflow's runs: the curves of its trials. */
  public WorkflowState onMetrics(WorkflowState s, List<MetricPoint> points, long now) {
    if (s == null || points == null) {
      return null;
    }
    String metric = metric(s);
    boolean changed = false;
    Map<String, Long> epochs = new HashMap<>();
    for (MetricPoint p : points) {
      if (p.name().equals("epoch")) {
        epochs.put(p.run() + "@" + p.step(), (long) p.value());
      }
    }
    for (MetricPoint p : points) {
      if (p.name().equals(metric)) {
        long epoch = epochs.getOrDefault(p.run() + "@" + p.step(), p.step());
        s.curves.computeIfAbsent(p.run(), k -> new java.util.TreeMap<>()).put(epoch, p.value());
        changed = true;
      }
    }
    return changed ? s : null;
  }

  /** Timeouts and due retries; true when the state changed. */
  public boolean onTick(WorkflowState s, long now, List<KeyValue<String, Out>> sends) {
    if (s.terminal() || s.phase == null) {
      return false;
    }
    if (s.retryAtMs != null && now >= s.retryAtMs) {
      s.retryAtMs = null;
      s.attempt++;
      send(s, now, sends);
      return true;
    }
    long limit = config.timeout(s.phase).toMillis();
    if (now - s.phaseStartedMs > limit) {
      fail(
          s,
          "phase "
              + s.phase
              + " timed out after "
              + limit / 1000
              + " s waiting for "
              + agentOf(s.phase),
          now,
          sends);
      return true;
    }
    return false;
  }

  // ---------------------------------------------------------------------------------------------
  // phases

  private void complete(
      WorkflowState s,
      JsonNode payload,
      String agent,
      long now,
      List<KeyValue<String, Out>> sends) {
    Phase done = s.phase;
    s.phaseMs.put(done.name(), now - s.phaseStartedMs);
    switch (done) {
      case ANALYZE -> {
        s.results.put("requirements", payload);
        Requirements req = requirements(s);
        enter(
            s,
            Phase.PREPROCESS,
            req.taskType() + " of '" + req.label() + "' by " + req.metric(),
            Map.of("metric", req.metric()),
            now,
            sends);
      }
      case PREPROCESS -> {
        s.results.put("preprocessing", payload);
        Payloads.Preprocessed p = Json.convert(payload, Payloads.Preprocessed.class);
        if (p.report() != null && p.report().blocking()) {
          fail(s, "data quality: " + errors(p), now, sends);
          return;
        }
        enter(
            s,
            Phase.DESIGN,
            p.rows()
                + " rows, "
                + p.spec().features().size()
                + " features"
                + (p.spec().dropped().isEmpty() ? "" : ", dropped " + p.spec().dropped().keySet()),
            Map.of("features", Integer.toString(p.spec().features().size())),
            now,
            sends);
      }
      case DESIGN -> {
        s.results.put("design", payload);
        Payloads.Designed d = Json.convert(payload, Payloads.Designed.class);
        enter(
            s,
            Phase.SEARCH,
            "search space of "
                + d.dimensions().size()
                + " dimensions, ≤ "
                + d.maxParameters()
                + " parameters",
            Map.of("max_parameters", Long.toString(d.maxParameters())),
            now,
            sends);
      }
      case SEARCH -> {
        s.results.put("search", payload);
        Payloads.Searched r = Json.convert(payload, Payloads.Searched.class);
        if (r.best() == null) {
          fail(
              s,
              "search: no trial succeeded ("
                  + r.trials()
                  + " trials, "
                  + r.failed()
                  + " failed; stopped by "
                  + r.stoppedBy()
                  + ")",
              now,
              sends);
          return;
        }
        enter(
            s,
            Phase.TRAIN,
            "best of "
                + r.trials()
                + " trials: "
                + r.best().trialId()
                + " "
                + metric(s)
                + "="
                + fmt(valueOf(r.best(), metric(s)))
                + " ("
                + r.best().description()
                + ")",
            Map.of("best_trial", r.best().trialId()),
            now,
            sends);
      }
      case ENSEMBLE -> {
        s.results.put("ensemble", payload);
        Payloads.Ensembled e = Json.convert(payload, Payloads.Ensembled.class);
        Map<String, String> artifacts = Map.of();
        if (e.kept()) {
          // the ensemble replaces the final model from here on
          s.modelVersion = e.version();
          s.results.put(
              "train",
              Json.MAPPER.valueToTree(
                  new Payloads.JobStatus(
                      null,
                      "SUCCEEDED",
                      null,
                      s.model,
                      e.version(),
                      null,
                      e.metrics(),
                      null,
                      null)));
          artifacts = Map.of("model", s.model + ":" + e.version() + ":fp32");
        }
        enter(
            s,
            Phase.CONVERT,
            (e.kept() ? "ensemble of " + e.members() + " kept: " : "") + e.reason(),
            artifacts,
            now,
            sends);
      }
      case CONVERT -> {
        s.results.put("conversion", payload);
        if (!payload.path("passed").asBoolean(false)) {
          fail(s, "conversion: " + payload.path("reason").asText(), now, sends);
          return;
        }
        String passed = payload.path("reason").asText("parity passed");
        boolean none = "none".equals(option(s.request, "quantize", null));
        Set<String> text = spec(s).categories().keySet();
        if (none || !text.isEmpty()) {
          // the user asked for no quantized variants, or the model has text inputs, which the
          // quantizer does not take: OPTIMIZE has nothing to do
          transition(s, Phase.OPTIMIZE, passed, Map.of(), now, sends);
          s.phaseMs.put(Phase.OPTIMIZE.name(), 0L);
          List<Payloads.Candidate> candidates = candidates(s, null);
          s.results.put("candidates", Json.MAPPER.valueToTree(candidates));
          enter(
              s,
              Phase.DEPLOY,
              none
                  ? "quantization skipped (options.quantize=none): fp32 only"
                  : "quantization skipped (text inputs " + text + " are not quantized): fp32 only",
              Map.of(),
              now,
              sends);
          return;
        }
        enter(s, Phase.OPTIMIZE, passed, Map.of(), now, sends);
      }
      case DEPLOY -> {
        s.results.put("deployment", payload);
        Payloads.Deployed d = Json.convert(payload, Payloads.Deployed.class);
        Map<String, String> artifacts =
            Map.of("model", d.model() + ":" + d.version() + ":" + d.variant());
        if ("PROMOTED".equals(d.outcome())) {
          transition(s, Phase.DONE, d.reason(), artifacts, now, sends);
          s.endedMs = now;
          long total = Math.max(1, now - s.createdMs);
          log.info(
              "workflow {}: DONE in {} ms; orchestration overhead {} ms ({}%), per phase {}",
              s.workflowId,
              total,
              s.overheadMs,
              String.format(java.util.Locale.ROOT, "%.2f", 100.0 * s.overheadMs / total),
              s.phaseMs);
        } else {
          fail(s, "deployment: " + d.reason(), now, sends);
        }
      }
      default ->
          log.warn("workflow {}: unexpected answer from {} in {}", s.workflowId, agent, done);
    }
  }

  /** Job statuses end TRAIN and OPTIMIZE (their work is a job for the training workers). */
  private boolean onJobStatus(
      WorkflowState s,
      Payloads.JobStatus st,
      AgentMessage m,
      long now,
      List<KeyValue<String, Out>> sends) {
    if (st == null || s.pending == null || !s.pending.equals(st.jobId())) {
      return false;
    }
    if ("RUNNING".equals(st.state())) {
      s.results.put(
          s.phase.name().toLowerCase(java.util.Locale.ROOT) + "Worker",
          com.fasterxml.jackson.databind.node.TextNode.valueOf(st.worker()));
      return true;
    }
    s.overheadMs += Math.max(0, now - m.timestamp().toEpochMilli());
    if (!"SUCCEEDED".equals(st.state())) {
      fail(s, "job " + st.jobId() + " failed on " + st.worker() + ": " + st.reason(), now, sends);
      return true;
    }
    s.phaseMs.put(s.phase.name(), now - s.phaseStartedMs);
    if (s.phase == Phase.TRAIN) {
      s.modelVersion = st.version();
      s.results.put("train", Json.MAPPER.valueToTree(st));
      // the ensembler combines graphs with one float input: a model with text inputs goes on alone
      Set<String> text = spec(s).categories().keySet();
      boolean skipEnsemble = s.request.ensemble() && !text.isEmpty();
      Phase next = s.request.ensemble() && !skipEnsemble ? Phase.ENSEMBLE : Phase.CONVERT;
      enter(
          s,
          next,
          "registered "
              + st.model()
              + " v"
              + st.version()
              + ", "
              + metric(s)
              + "="
              + fmt(st.metrics() == null ? null : st.metrics().get(metric(s)))
              + (skipEnsemble ? "; ensembling skipped (text inputs " + text + ")" : ""),
          Map.of("model", st.model() + ":" + st.version() + ":fp32"),
          now,
          sends);
    } else if (s.phase == Phase.OPTIMIZE) {
      s.results.put("optimize", Json.MAPPER.valueToTree(st));
      List<Payloads.Candidate> candidates = candidates(s, st);
      s.results.put("candidates", Json.MAPPER.valueToTree(candidates));
      enter(
          s,
          Phase.DEPLOY,
          candidates.size()
              + " candidate(s): "
              + String.join(", ", candidates.stream().map(Payloads.Candidate::variant).toList()),
          Map.of(),
          now,
          sends);
    } else {
      return false;
    }
    return true;
  }

  private void enter(
      WorkflowState s,
      Phase phase,
      String reason,
      Map<String, String> artifacts,
      long now,
      List<KeyValue<String, Out>> sends) {
    transition(s, phase, reason, artifacts, now, sends);
    s.phaseStartedMs = now;
    s.attempt = 1;
    s.retryAtMs = null;
    send(s, now, sends);
  }

  /** Sends the current phase's request (again, on a retry: same payload, a new attempt id). */
  private void send(WorkflowState s, long now, List<KeyValue<String, Out>> sends) {
    String id = s.workflowId + "/" + s.phase.name().toLowerCase() + "/" + s.attempt;
    Instant at = Instant.ofEpochMilli(now);
    String wf = s.workflowId;
    switch (s.phase) {
      case ANALYZE ->
          request(
              s,
              id,
              Messages.TASK_ANALYSIS,
              Payloads.ANALYZE,
              new Payloads.AnalyzeRequest(s.request, manifest(s)),
              at,
              sends);
      case PREPROCESS -> {
        DatasetManifest m = manifest(s);
        request(
            s,
            id,
            Messages.PREPROCESSING,
            Payloads.PREPROCESS,
            new Payloads.PreprocessRequest(
                m.dataset(),
                m.version(),
                m.producerId(),
                m.rowCount(),
                requirements(s),
                validationFraction(s.request)),
            at,
            sends);
      }
      case DESIGN ->
          request(s, id, Messages.ARCHITECT, Payloads.DESIGN, designRequest(s), at, sends);
      case SEARCH ->
          request(s, id, Messages.OPTIMIZER, Payloads.SEARCH, searchRequest(s, now), at, sends);
      case TRAIN -> {
        TrainingJob job = finalJob(s, at);
        s.pending = job.jobId();
        s.finalJobId = job.jobId();
        sends.add(KeyValue.pair(job.jobId(), Out.job(job)));
      }
      case ENSEMBLE -> {
        Payloads.JobStatus train = Json.convert(s.results.get("train"), Payloads.JobStatus.class);
        request(
            s,
            id,
            Messages.ENSEMBLER,
            Payloads.ENSEMBLE,
            new Payloads.EnsembleRequest(
                s.model,
                s.modelVersion,
                train.metrics(),
                // trials of k-fold validation were trained on other folds than the final model's
                // holdout: scoring them on it would flatter them, so they are not combined
                s.request.folds() > 1 ? List.of() : List.copyOf(s.trials.values()),
                metric(s),
                requirements(s).higherIsBetter(),
                intOption(s.request, "ensemble_members", 3),
                template(s, at)),
            at,
            sends);
      }
      case CONVERT -> {
        Payloads.JobStatus train = Json.convert(s.results.get("train"), Payloads.JobStatus.class);
        request(
            s,
            id,
            Messages.CONVERSION,
            Payloads.CONVERT,
            new Payloads.ConvertRequest(s.model, s.modelVersion, train.metrics()),
            at,
            sends);
      }
      case OPTIMIZE -> {
        TrainingJob job = quantizeJob(s, at);
        s.pending = job.jobId();
        sends.add(KeyValue.pair(job.jobId(), Out.job(job)));
      }
      case DEPLOY -> {
        @SuppressWarnings("unchecked")
        List<Payloads.Candidate> candidates =
            Json.MAPPER.convertValue(
                s.results.get("candidates"),
                Json.MAPPER
                    .getTypeFactory()
                    .constructCollectionType(List.class, Payloads.Candidate.class));
        request(
            s,
            id,
            Messages.DEPLOYER,
            Payloads.DEPLOY,
            new Payloads.DeployRequest(
                s.model,
                s.modelVersion,
                candidates,
                s.request.objectives(),
                s.request.constraints(),
                s.request.deployment(),
                requirements(s).higherIsBetter()),
            at,
            sends);
      }
      default -> throw new IllegalStateException("no request for phase " + s.phase);
    }
    log.info("workflow {}: {} attempt {} → {}", wf, s.phase, s.attempt, s.pending);
  }

  private void request(
      WorkflowState s,
      String id,
      String target,
      String payloadType,
      Object payload,
      Instant at,
      List<KeyValue<String, Out>> sends) {
    s.pending = id;
    sends.add(
        KeyValue.pair(
            s.workflowId,
            Out.message(
                Messages.request(
                    id,
                    s.workflowId,
                    Messages.ORCHESTRATOR,
                    target,
                    payloadType,
                    payload,
                    1,
                    at))));
  }

  private void failOrRetry(
      WorkflowState s,
      String agent,
      String reason,
      boolean transientFailure,
      long now,
      List<KeyValue<String, Out>> sends) {
    if (transientFailure && s.attempt < config.maxAttempts()) {
      long wait = config.backoff().toMillis() << (s.attempt - 1);
      s.retryAtMs = now + wait;
      log.warn(
          "workflow {}: {} failed transiently in {} (attempt {}): {}; retrying in {} ms",
          s.workflowId,
          agent,
          s.phase,
          s.attempt,
          reason,
          wait);
      return;
    }
    fail(
        s,
        s.phase
            + " failed in agent "
            + agent
            + (transientFailure ? " after " + s.attempt + " attempts" : "")
            + ": "
            + reason,
        now,
        sends);
  }

  private void fail(WorkflowState s, String reason, long now, List<KeyValue<String, Out>> sends) {
    s.failure = reason;
    stopWork(s, "workflow failed", now, sends);
    transition(s, Phase.FAILED, reason, Map.of(), now, sends);
    s.endedMs = now;
  }

  private void cancel(
      WorkflowState s, AgentMessage m, long now, List<KeyValue<String, Out>> sends) {
    s.cancelRequested = true;
    String why = m.payload() == null || m.payload().isBlank() ? "cancelled" : cancelReason(m);
    stopWork(s, why, now, sends);
    transition(s, Phase.CANCELLED, why, Map.of(), now, sends);
    s.endedMs = now;
  }

  private static String cancelReason(AgentMessage m) {
    JsonNode n = Json.tree(m.payload());
    return "cancelled by " + m.source() + ": " + n.path("reason").asText("no reason given");
  }

  /** A cancel request to the agent working on the phase. */
  private static KeyValue<String, Out> cancelRequest(
      WorkflowState s, String phase, String agent, String reason, Instant at) {
    return KeyValue.pair(
        s.workflowId,
        Out.message(
            Messages.request(
                s.workflowId + "/" + phase + "/cancel",
                s.workflowId,
                Messages.ORCHESTRATOR,
                agent,
                Payloads.CANCEL,
                Map.of("reason", reason),
                9,
                at)));
  }

  /** Stops what the workflow has running: the search's trials, the final job, a rollout. */
  private void stopWork(
      WorkflowState s, String reason, long now, List<KeyValue<String, Out>> sends) {
    Instant at = Instant.ofEpochMilli(now);
    if (s.phase == Phase.SEARCH) {
      sends.add(cancelRequest(s, "search", Messages.OPTIMIZER, reason, at));
    }
    if ((s.phase == Phase.TRAIN || s.phase == Phase.OPTIMIZE) && s.pending != null) {
      sends.add(
          KeyValue.pair(
              s.pending,
              Out.control(
                  new ControlCommand(
                      s.pending,
                      ControlCommand.Action.STOP,
                      null,
                      reason,
                      Messages.ORCHESTRATOR,
                      at))));
    }
    if (s.phase == Phase.DEPLOY) {
      sends.add(cancelRequest(s, "deploy", Messages.DEPLOYER, reason, at));
    }
    s.pending = null;
  }

  private void transition(
      WorkflowState s,
      Phase to,
      String reason,
      Map<String, String> artifacts,
      long now,
      List<KeyValue<String, Out>> sends) {
    Phase from = s.phase;
    s.phase = to;
    s.transitions.add(new WorkflowState.Transition(from, to, reason, now, artifacts));
    sends.add(
        KeyValue.pair(
            s.workflowId,
            Out.phase(
                new PhaseTransition(
                    s.workflowId, from, to, reason, Instant.ofEpochMilli(now), artifacts))));
    log.info("workflow {}: {} → {}: {}", s.workflowId, from, to, reason);
  }

  // ---------------------------------------------------------------------------------------------
  // helpers

  private static void recordTrial(WorkflowState s, AgentMessage m) {
    Payloads.Trial t = Json.read(m.payload(), Payloads.Trial.class);
    s.trials.put(t.trialId(), t);
  }

  private DatasetManifest manifest(WorkflowState s) {
    return Json.convert(s.results.get("manifest"), DatasetManifest.class);
  }

  static Requirements requirements(WorkflowState s) {
    return Json.convert(s.results.get("requirements"), Requirements.class);
  }

  private static PreprocessingSpec spec(WorkflowState s) {
    return Json.convert(s.results.get("preprocessing"), Payloads.Preprocessed.class).spec();
  }

  static String metric(WorkflowState s) {
    JsonNode r = s.results.get("requirements");
    return r == null ? "val_accuracy" : r.path("metric").asText("val_accuracy");
  }

  private Payloads.DesignRequest designRequest(WorkflowState s) {
    PreprocessingSpec spec = spec(s);
    Requirements req = requirements(s);
    int outputs =
        req.taskType() == TrainingJob.TaskType.CLASSIFICATION
            ? Math.max(2, spec.classes() == null ? 2 : spec.classes().size())
            : 1;
    return new Payloads.DesignRequest(
        spec.features().size(), outputs, manifest(s).rowCount(), s.request.constraints());
  }

  private Payloads.SearchRequest searchRequest(WorkflowState s, long now) {
    WorkflowRequest r = s.request;
    Requirements req = requirements(s);
    long deadline = Long.MAX_VALUE;
    if (r.timeBudgetSeconds() != null) {
      // the search gets 60% of what is left of the budget; training, export and rollout the rest
      long left = s.createdMs + r.timeBudgetSeconds() * 1000 - now;
      deadline = now + Math.max(0, (long) (left * 0.6));
    }
    return new Payloads.SearchRequest(
        r.search().strategy(),
        r.search().maxTrials(),
        r.search().parallelTrials(),
        seed(r),
        intOption(r, "trial_epochs", config.trialEpochs()),
        deadline,
        req.metric(),
        req.higherIsBetter(),
        template(s, Instant.ofEpochMilli(now)),
        designRequest(s),
        r.folds() > 1 ? r.folds() : 0);
  }

  private TrainingJob template(WorkflowState s, Instant at) {
    WorkflowRequest r = s.request;
    Requirements req = requirements(s);
    PreprocessingSpec spec = spec(s);
    DatasetManifest m = manifest(s);
    return new TrainingJob(
        null,
        s.workflowId,
        null,
        s.model + "-trials",
        m.dataset(),
        m.version(),
        req.label(),
        spec.features(),
        req.taskType(),
        spec.toJson(),
        null,
        null,
        0,
        intOption(r, "trial_epochs", config.trialEpochs()),
        seed(r),
        validationFraction(r),
        r.search().patience(),
        option(r, "device", "auto"),
        Map.of(),
        at);
  }

  private TrainingJob finalJob(WorkflowState s, Instant at) {
    Payloads.Searched searched = Json.convert(s.results.get("search"), Payloads.Searched.class);
    Payloads.Trial best = searched.best();
    TrainingJob t = template(s, at);
    return new TrainingJob(
        s.workflowId + FINAL_SUFFIX,
        s.workflowId,
        best.trialId(),
        s.model,
        t.dataset(),
        t.datasetVersion(),
        t.label(),
        t.features(),
        t.task(),
        t.preprocessing(),
        best.architecture(),
        best.optimizer(),
        best.batchSize(),
        intOption(s.request, "final_epochs", config.finalEpochs()),
        t.seed(),
        t.validationFraction(),
        t.patience(),
        t.device(),
        Map.of("workflow_phase", "TRAIN"),
        at);
  }

  private TrainingJob quantizeJob(WorkflowState s, Instant at) {
    TrainingJob t = template(s, at);
    Map<String, String> params = new LinkedHashMap<>();
    params.put("kind", "quantize");
    params.put("version", Integer.toString(s.modelVersion));
    params.put("max_accuracy_drop", option(s.request, "max_accuracy_drop", "1.0"));
    WorkflowRequest.Constraints c = s.request.constraints();
    if (c != null && c.maxModelBytes() != null) {
      params.put("max_model_bytes", Long.toString(c.maxModelBytes()));
    }
    if (c != null && c.maxLatencyMs() != null) {
      params.put("max_latency_ms", Double.toString(c.maxLatencyMs()));
    }
    String methods = option(s.request, "quantize", null);
    if (methods != null) {
      params.put("methods", methods);
    }
    return Payloads.auxiliaryJob(
        t, s.workflowId + QUANTIZE_SUFFIX, s.workflowId, s.model, params, at);
  }

  /** fp32 with the final training's metrics, plus every variant the quantization accepted. */
  private static List<Payloads.Candidate> candidates(WorkflowState s, Payloads.JobStatus quant) {
    List<Payloads.Candidate> out = new ArrayList<>();
    Payloads.JobStatus train = Json.convert(s.results.get("train"), Payloads.JobStatus.class);
    Map<String, Double> fp32 = new HashMap<>(train.metrics() == null ? Map.of() : train.metrics());
    long fp32Bytes = 0;
    if (quant != null && quant.report() != null) {
      JsonNode report = Json.tree(quant.report());
      JsonNode rows = report.isArray() ? report : report.path("variants");
      for (JsonNode row : rows) {
        String variant = row.path("variant").asText();
        if ("fp32".equals(variant)) {
          fp32Bytes = row.path("bytes").asLong();
          copyNumbers(row, fp32);
          continue;
        }
        if (!row.path("accepted").asBoolean(false)) {
          continue;
        }
        Map<String, Double> m = new HashMap<>();
        copyNumbers(row, m);
        out.add(new Payloads.Candidate(variant, m, row.path("bytes").asLong()));
      }
    }
    out.add(0, new Payloads.Candidate("fp32", fp32, fp32Bytes));
    return out;
  }

  private static void copyNumbers(JsonNode row, Map<String, Double> into) {
    row.fields()
        .forEachRemaining(
            f -> {
              if (f.getValue().isNumber()) {
                into.put(f.getKey(), f.getValue().asDouble());
              }
            });
  }

  private static String errors(Payloads.Preprocessed p) {
    return String.join(
        "; ",
        p.report().findings().stream()
            .filter(f -> f.severity() == io.streamforge.agents.data.Finding.Severity.ERROR)
            .map(f -> (f.column() == null ? "" : f.column() + ": ") + f.message())
            .toList());
  }

  private static Double valueOf(Payloads.Trial t, String metric) {
    return t.metrics() == null ? null : t.metrics().get(metric);
  }

  private static String fmt(Double v) {
    return v == null ? "?" : String.format(java.util.Locale.ROOT, "%.4f", v);
  }

  private static String agentOf(Phase p) {
    return switch (p) {
      case ANALYZE -> Messages.TASK_ANALYSIS;
      case PREPROCESS -> Messages.PREPROCESSING;
      case DESIGN -> Messages.ARCHITECT;
      case SEARCH -> Messages.OPTIMIZER;
      case TRAIN, OPTIMIZE -> "training workers";
      case ENSEMBLE -> Messages.ENSEMBLER;
      case CONVERT -> Messages.CONVERSION;
      case DEPLOY -> Messages.DEPLOYER;
      default -> "nobody";
    };
  }

  /**
   * The share of rows a model validates on: the holdout, or with k folds 1/k (each fold validates
   * on its k-th; the final model holds out fold 0).
   */
  static double validationFraction(WorkflowRequest r) {
    return r.folds() > 1 ? 1.0 / r.folds() : r.holdoutFraction();
  }

  static long seed(WorkflowRequest r) {
    return Long.parseLong(option(r, "seed", "42"));
  }

  static String option(WorkflowRequest r, String key, String fallback) {
    return r.options() == null ? fallback : r.options().getOrDefault(key, fallback);
  }

  static int intOption(WorkflowRequest r, String key, int fallback) {
    return Integer.parseInt(option(r, key, Integer.toString(fallback)));
  }
}
