package io.streamforge.streams.agents;

import io.streamforge.agents.architect.Design;
import io.streamforge.agents.search.Observation;
import io.streamforge.agents.search.Sampler;
import io.streamforge.schemas.Topics;
import io.streamforge.schemas.records.AgentMessage;
import io.streamforge.schemas.records.ControlCommand;
import io.streamforge.schemas.records.TrainingJob;
import io.streamforge.streams.support.Json;
import io.streamforge.streams.support.LiveKeys;
import io.streamforge.streams.support.Messages;
import io.streamforge.streams.support.Out;
import io.streamforge.streams.support.Payloads;
import io.streamforge.streams.support.SeenIds;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training-optimization agent: runs a workflow's hyperparameter search. On a {@code search}
 * request it proposes trials with the chosen sampler (TPE, random or GP) over the architect's space
 * and puts them on {@code training.jobs}, at most {@code parallelTrials} at once and {@code
 * maxTrials} in all, none after the deadline; the workers' job statuses end trials (the value is
 * the validation metric, negated when higher is better, since samplers minimize). Every change of a
 * trial goes out as a {@code trial} event; when the last trial ends it answers with the best.
 * {@code cancel} stops the running trials.
 *
 * <p>Proposals are reproducible: the sampler sees only the finished trials and the trial index, and
 * the state (in a changelogged store) is all there is, so a restart goes on where it was.
 */
public final class OptimizerTopology {
  private static final Logger log = LoggerFactory.getLogger(OptimizerTopology.class);

  private OptimizerTopology() {}

  public static final String APP = "optimizer";
  public static final String STORE = "search-state";
  public static final String SEEN = "optimizer-seen";

  /** Job-id infix of a trial's fold: {@code <workflow>.trial-<n>-f<i>} (fold 0 has none). */
  public static final String FOLD_INFIX = "-f";

  /** The job ids of a trial's k folds (k = 1: just the trial's). */
  static List<String> foldJobs(String jobId, int folds) {
    List<String> out = new ArrayList<>();
    out.add(jobId);
    for (int i = 1; i < folds; i++) {
      out.add(jobId + FOLD_INFIX + i);
    }
    return out;
  }

  /** A workflow's search. */
  public static final class SearchState {
    public String workflowId;
    public String requestId;
    public AgentMessage request;
    public Payloads.SearchRequest search;
    public Map<String, Payloads.Trial> trials = new TreeMap<>();

    /** k-fold validation: per trial, the statuses of its fold jobs that have ended. */
    public Map<String, Map<String, Payloads.JobStatus>> folds = new TreeMap<>();

    public boolean cancelled;
    public boolean answered;
    public String stoppedBy;
  }

  public static Topology build(Duration tick) {
    StreamsBuilder builder = new StreamsBuilder();
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(STORE), Serdes.String(), Json.serde(SearchState.class)));
    builder.addStateStore(SeenIds.store(SEEN));
    KStream<String, Out> out =
        builder.stream(
                Topics.AGENT_MESSAGES.name(),
                Consumed.with(Topics.AGENT_MESSAGES.keySerde(), Topics.AGENT_MESSAGES.valueSerde()))
            .filter((k, m) -> m != null && k != null && concerns(m))
            .process(() -> new Search(tick), STORE, SEEN);
    Out.route(out);
    return builder.build();
  }

  static boolean concerns(AgentMessage m) {
    return Messages.OPTIMIZER.equals(m.target())
        || (Payloads.JOB_STATUS.equals(m.payloadType())
            && m.correlationId() != null
            && m.correlationId()
                .contains(io.streamforge.streams.orchestrator.WorkflowMachine.TRIAL_INFIX))
        || Payloads.DEBUG_ACTION.equals(m.payloadType());
  }

  static final class Search implements Processor<String, AgentMessage, String, Out> {
    private final Duration tick;
    private ProcessorContext<String, Out> context;
    private KeyValueStore<String, SearchState> store;
    private LiveKeys<SearchState> live;
    private SeenIds seen;

    Search(Duration tick) {
      this.tick = tick;
    }

    @Override
    public void init(ProcessorContext<String, Out> context) {
      this.context = context;
      this.store = context.getStateStore(STORE);
      this.live = new LiveKeys<>(store, st -> !st.answered && !st.cancelled);
      this.seen = new SeenIds(context.getStateStore(SEEN));
      seen.schedulePurge(context);
      context.schedule(tick, PunctuationType.WALL_CLOCK_TIME, this::onTick);
    }

    @Override
    public void process(Record<String, AgentMessage> r) {
      AgentMessage m = r.value();
      long now = context.currentSystemTimeMs();
      if (!seen.firstTime(m.id(), now)) {
        return;
      }
      SearchState s = store.get(r.key());
      List<KeyValue<String, Out>> sends = new ArrayList<>();
      if (Payloads.SEARCH.equals(m.payloadType())) {
        if (s != null) {
          return; // a retried request for a search already under way: it answers when done
        }
        s = new SearchState();
        s.workflowId = m.workflowId();
        s.requestId = m.id();
        s.request = m;
        try {
          s.search = Json.read(m.payload(), Payloads.SearchRequest.class);
          Sampler.create(s.search.strategy(), design(s).space(), s.search.seed());
        } catch (IllegalArgumentException e) {
          sends.add(
              KeyValue.pair(
                  r.key(),
                  Out.message(
                      Messages.error(
                          m,
                          Messages.OPTIMIZER,
                          e.getMessage(),
                          false,
                          Instant.ofEpochMilli(now)))));
          forward(sends, now);
          return;
        }
        log.info(
            "workflow {}: search with {} for up to {} trials ({} at once)",
            s.workflowId,
            s.search.strategy(),
            s.search.maxTrials(),
            s.search.parallelTrials());
        advance(s, now, sends);
      } else if (s == null) {
        return;
      } else if (Payloads.CANCEL.equals(m.payloadType())) {
        s.cancelled = true;
        s.stoppedBy = "cancelled";
        for (Payloads.Trial t : s.trials.values()) {
          if (!t.finished()) {
            for (String job : foldJobs(t.jobId(), s.search.folds())) {
              sends.add(stop(job, "workflow cancelled", now));
            }
          }
        }
      } else if (Payloads.JOB_STATUS.equals(m.payloadType())) {
        Payloads.JobStatus st = Json.read(m.payload(), Payloads.JobStatus.class);
        Payloads.Trial t = byJob(s, st.jobId());
        if (t == null || t.finished() || "RUNNING".equals(st.state())) {
          return;
        }
        if (s.search.folds() > 1) {
          Map<String, Payloads.JobStatus> done =
              s.folds.computeIfAbsent(t.trialId(), k -> new TreeMap<>());
          done.put(st.jobId(), st);
          if (done.size() < s.search.folds()) {
            live.put(r.key(), s);
            return; // the trial ends with its last fold
          }
          st = foldsTogether(s, t, done);
        }
        Payloads.Trial ended = end(s, t, st, now);
        s.trials.put(ended.trialId(), ended);
        sends.add(trialEvent(s, ended, now));
        advance(s, now, sends);
      } else if (Payloads.DEBUG_ACTION.equals(m.payloadType())) {
        Payloads.DebugAction a = Json.read(m.payload(), Payloads.DebugAction.class);
        Payloads.Trial t = byJob(s, a.jobId());
        if (t == null || t.finished() || !a.pruned()) {
          return;
        }
        Payloads.Trial p =
            with(t, "PRUNING", t.value(), t.metrics(), t.modelVersion(), a.reason(), null);
        s.trials.put(p.trialId(), p);
        sends.add(trialEvent(s, p, now));
      } else {
        return;
      }
      live.put(r.key(), s);
      forward(sends, now);
    }

    private void onTick(long now) {
      List<KeyValue<String, Out>> sends = new ArrayList<>();
      // a cancelled search launches nothing more and is not answered: nothing to check
      for (KeyValue<String, SearchState> e : live.entries()) {
        int before = sends.size();
        advance(e.value, now, sends);
        if (sends.size() != before) {
          live.put(e.key, e.value);
        }
      }
      forward(sends, now);
    }

    /** Launches what may be launched; answers once nothing runs and nothing more will start. */
    private void advance(SearchState s, long now, List<KeyValue<String, Out>> sends) {
      if (s.answered) {
        return;
      }
      Payloads.SearchRequest q = s.search;
      if (s.stoppedBy == null && now >= q.deadlineEpochMs()) {
        s.stoppedBy = "time budget";
      }
      long running = s.trials.values().stream().filter(t -> !t.finished()).count();
      while (s.stoppedBy == null
          && !s.cancelled
          && running < q.parallelTrials()
          && s.trials.size() < q.maxTrials()) {
        sends.addAll(launch(s, now));
        running++;
      }
      if (s.stoppedBy == null && s.trials.size() >= q.maxTrials()) {
        s.stoppedBy = "max trials";
      }
      if (running == 0 && s.stoppedBy != null && !s.cancelled) {
        s.answered = true;
        Payloads.Trial best = best(s);
        int failed =
            (int) s.trials.values().stream().filter(t -> "FAILED".equals(t.status())).count();
        int pruned =
            (int) s.trials.values().stream().filter(t -> "PRUNED".equals(t.status())).count();
        Payloads.Searched result =
            new Payloads.Searched(best, s.trials.size(), failed, pruned, s.stoppedBy);
        sends.add(
            KeyValue.pair(
                s.workflowId,
                Out.message(
                    Messages.response(
                        s.request,
                        Messages.OPTIMIZER,
                        Payloads.SEARCHED,
                        result,
                        Instant.ofEpochMilli(now)))));
        log.info(
            "workflow {}: search done after {} trials ({}), best {}",
            s.workflowId,
            s.trials.size(),
            s.stoppedBy,
            best == null ? "none" : best.trialId() + " " + best.value());
      }
    }

    private List<KeyValue<String, Out>> launch(SearchState s, long now) {
      Payloads.SearchRequest q = s.search;
      Design design = design(s);
      Sampler sampler = Sampler.create(q.strategy(), design.space(), q.seed());
      List<Observation> history = new ArrayList<>();
      for (Payloads.Trial t : s.trials.values()) {
        if (t.finished()) {
          history.add(new Observation(t.params(), t.value() == null ? Double.NaN : t.value()));
        }
      }
      int index = s.trials.size();
      Map<String, Double> params = sampler.propose(history, index);
      String trialId = String.format("trial-%03d", index);
      String jobId = s.workflowId + ".trial-" + index;
      TrainingJob tpl = q.template();
      TrainingJob.Architecture arch = design.architecture(params);
      TrainingJob.OptimizerSpec opt = design.optimizer(params);
      int batch = design.batchSize(params);
      TrainingJob job =
          new TrainingJob(
              jobId,
              s.workflowId,
              trialId,
              tpl.model(),
              tpl.dataset(),
              tpl.datasetVersion(),
              tpl.label(),
              tpl.features(),
              tpl.task(),
              tpl.preprocessing(),
              arch,
              opt,
              batch,
              q.trialEpochs(),
              q.seed() + index,
              tpl.validationFraction(),
              tpl.patience(),
              tpl.device(),
              Map.of("workflow_phase", "SEARCH", "sampler", sampler.name()),
              Instant.ofEpochMilli(now));
      Payloads.Trial t =
          new Payloads.Trial(
              trialId,
              index,
              jobId,
              params,
              design.space().describe(params),
              "RUNNING",
              null,
              null,
              tpl.model(),
              null,
              null,
              now,
              null,
              arch,
              opt,
              batch);
      s.trials.put(trialId, t);
      log.info("workflow {}: {} → {} ({})", s.workflowId, trialId, jobId, t.description());
      List<KeyValue<String, Out>> out = new ArrayList<>();
      int k = q.folds() > 1 ? q.folds() : 1;
      List<String> jobs = foldJobs(jobId, k);
      for (int i = 0; i < k; i++) {
        TrainingJob fold = job;
        if (k > 1) {
          Map<String, String> foldParams = new java.util.LinkedHashMap<>(job.params());
          foldParams.put("validation_offset", Double.toString((double) i / k));
          foldParams.put("fold", i + "/" + k);
          fold =
              new TrainingJob(
                  jobs.get(i),
                  job.workflowId(),
                  job.trialId(),
                  job.model(),
                  job.dataset(),
                  job.datasetVersion(),
                  job.label(),
                  job.features(),
                  job.task(),
                  job.preprocessing(),
                  job.architecture(),
                  job.optimizer(),
                  job.batchSize(),
                  job.epochs(),
                  job.seed(),
                  1.0 / k,
                  job.patience(),
                  job.device(),
                  Map.copyOf(foldParams),
                  job.submittedAt());
        }
        out.add(KeyValue.pair(fold.jobId(), Out.job(fold)));
      }
      out.add(trialEvent(s, t, now));
      return out;
    }

    private static Payloads.Trial end(
        SearchState s, Payloads.Trial t, Payloads.JobStatus st, long now) {
      if (!"SUCCEEDED".equals(st.state())) {
        return with(t, "FAILED", null, st.metrics(), null, st.reason(), now);
      }
      Map<String, Double> metrics = st.metrics() == null ? Map.of() : st.metrics();
      Double v = metrics.get(s.search.metric());
      Double value = v == null ? null : (s.search.higherIsBetter() ? -v : v);
      String status = "PRUNING".equals(t.status()) ? "PRUNED" : "SUCCEEDED";
      return with(t, status, value, metrics, st.version(), t.reason(), now);
    }

    private static Payloads.Trial with(
        Payloads.Trial t,
        String status,
        Double value,
        Map<String, Double> metrics,
        Integer version,
        String reason,
        Long endedAtMs) {
      return new Payloads.Trial(
          t.trialId(),
          t.index(),
          t.jobId(),
          t.params(),
          t.description(),
          status,
          value,
          metrics,
          t.model(),
          version,
          reason,
          t.startedAtMs(),
          endedAtMs,
          t.architecture(),
          t.optimizer(),
          t.batchSize());
    }

    /** The best trial that produced a model (pruned ones count: they ran and were measured). */
    private static Payloads.Trial best(SearchState s) {
      Payloads.Trial best = null;
      for (Payloads.Trial t : s.trials.values()) {
        if (t.value() == null || t.value().isNaN() || t.modelVersion() == null) {
          continue;
        }
        if (best == null || t.value() < best.value()) {
          best = t;
        }
      }
      return best;
    }

    private static Payloads.Trial byJob(SearchState s, String jobId) {
      return s.trials.values().stream()
          .filter(t -> t.jobId().equals(jobId) || jobId.startsWith(t.jobId() + FOLD_INFIX))
          .findFirst()
          .orElse(null);
    }

    /**
     * One status for a trial of k folds: failed if a fold failed; else the folds' mean of the
     * validation metric (each fold's value kept as {@code <metric>_fold<i>}), fold 0's model.
     */
    private static Payloads.JobStatus foldsTogether(
        SearchState s, Payloads.Trial t, Map<String, Payloads.JobStatus> done) {
      String metric = s.search.metric();
      Map<String, Double> metrics = new TreeMap<>();
      double sum = 0;
      int n = 0;
      List<String> failures = new ArrayList<>();
      List<String> jobs = foldJobs(t.jobId(), s.search.folds());
      for (int i = 0; i < jobs.size(); i++) {
        Payloads.JobStatus f = done.get(jobs.get(i));
        if (f == null || !"SUCCEEDED".equals(f.state())) {
          failures.add("fold " + i + ": " + (f == null ? "no status" : f.reason()));
          continue;
        }
        Double v = f.metrics() == null ? null : f.metrics().get(metric);
        if (v != null) {
          metrics.put(metric + "_fold" + i, v);
          sum += v;
          n++;
        }
      }
      Payloads.JobStatus first = done.get(jobs.get(0));
      if (!failures.isEmpty() || n == 0) {
        return new Payloads.JobStatus(
            t.jobId(), "FAILED", String.join("; ", failures), null, null, null, null, null, null);
      }
      if (first.metrics() != null) {
        first.metrics().forEach(metrics::putIfAbsent);
      }
      metrics.put(metric, sum / n);
      metrics.put("folds", (double) n);
      return new Payloads.JobStatus(
          t.jobId(),
          "SUCCEEDED",
          null,
          first.model(),
          first.version(),
          first.sha256(),
          metrics,
          first.worker(),
          null);
    }

    private static Design design(SearchState s) {
      return SimpleAgents.design(s.search.design());
    }

    private static KeyValue<String, Out> trialEvent(SearchState s, Payloads.Trial t, long now) {
      return KeyValue.pair(
          s.workflowId,
          Out.message(
              Messages.event(
                  s.workflowId + "/" + t.trialId() + "/" + t.status(),
                  s.workflowId,
                  Messages.OPTIMIZER,
                  Payloads.TRIAL,
                  t,
                  Instant.ofEpochMilli(now))));
    }

    private static KeyValue<String, Out> stop(String jobId, String reason, long now) {
      return KeyValue.pair(
          jobId,
          Out.control(
              new ControlCommand(
                  jobId,
                  ControlCommand.Action.STOP,
                  null,
                  reason,
                  Messages.OPTIMIZER,
                  Instant.ofEpochMilli(now))));
    }

    private void forward(List<KeyValue<String, Out>> sends, long now) {
      for (KeyValue<String, Out> kv : sends) {
        context.forward(new Record<>(kv.key, kv.value, now));
      }
    }
  }
}
