package io.streamforge.streams.agents;

import com.fasterxml.jackson.databind.JsonNode;
import io.streamforge.agents.ensemble.Ensembler;
import io.streamforge.schemas.Topics;
import io.streamforge.schemas.records.AgentMessage;
import io.streamforge.schemas.records.TrainingJob;
import io.streamforge.streams.support.Json;
import io.streamforge.streams.support.Messages;
import io.streamforge.streams.support.Out;
import io.streamforge.streams.support.Payloads;
import io.streamforge.streams.support.SeenIds;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The model-ensembling agent. On an {@code ensemble} request it picks the members — the final model
 * and the best search trials by validation score ({@link Ensembler#pickTop}) — and asks the
 * training workers for an ensembling job ({@code params.kind=ensemble}): they compute the members'
 * validation predictions, average them, and register the ensemble only when it beats the best
 * single model. The job's status answers the request: kept (with the new version) or not (with the
 * reason). A failed ensembling job does not fail the workflow: it goes on with the final model.
 */
public final class EnsemblerTopology {
  private static final Logger log = LoggerFactory.getLogger(EnsemblerTopology.class);

  private EnsemblerTopology() {}

  public static final String APP = "ensembler";
  public static final String STORE = "ensembles";
  public static final String SEEN = "ensembler-seen";
  public static final String JOB_SUFFIX = ".ensemble";

  /** A workflow's ensembling, waiting for its job. */
  public static final class Pending {
    public AgentMessage request;
    public String jobId;
    public List<String> members;
    public boolean answered;
  }

  public static Topology build() {
    StreamsBuilder builder = new StreamsBuilder();
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(STORE), Serdes.String(), Json.serde(Pending.class)));
    builder.addStateStore(SeenIds.store(SEEN));
    KStream<String, Out> out =
        builder.stream(
                Topics.AGENT_MESSAGES.name(),
                Consumed.with(Topics.AGENT_MESSAGES.keySerde(), Topics.AGENT_MESSAGES.valueSerde()))
            .filter(
                (k, m) ->
                    k != null
                        && m != null
                        && ((Messages.ENSEMBLER.equals(m.target())
                                && m.type() == AgentMessage.MessageType.REQUEST)
                            || (Payloads.JOB_STATUS.equals(m.payloadType())
                                && m.correlationId() != null
                                && m.correlationId().endsWith(JOB_SUFFIX))))
            .process(Ensemble::new, STORE, SEEN);
    Out.route(out);
    return builder.build();
  }

  static final class Ensemble implements Processor<String, AgentMessage, String, Out> {
    private ProcessorContext<String, Out> context;
    private KeyValueStore<String, Pending> store;
    private SeenIds seen;

    @Override
    public void init(ProcessorContext<String, Out> context) {
      this.context = context;
      this.store = context.getStateStore(STORE);
      this.seen = new SeenIds(context.getStateStore(SEEN));
      seen.schedulePurge(context);
    }

    @Override
    public void process(Record<String, AgentMessage> r) {
      AgentMessage m = r.value();
      long now = context.currentSystemTimeMs();
      if (!seen.firstTime(m.id(), now)) {
        return;
      }
      Instant at = Instant.ofEpochMilli(now);
      if (Payloads.ENSEMBLE.equals(m.payloadType())) {
        if (store.get(r.key()) != null) {
          return; // a retry of a request under way: the job's status answers it
        }
        start(r.key(), m, at);
      } else if (Payloads.JOB_STATUS.equals(m.payloadType())) {
        Pending p = store.get(r.key());
        Payloads.JobStatus st = Json.read(m.payload(), Payloads.JobStatus.class);
        if (p == null
            || p.answered
            || !st.jobId().equals(p.jobId)
            || "RUNNING".equals(st.state())) {
          return;
        }
        p.answered = true;
        store.put(r.key(), p);
        answer(r.key(), p.request, outcome(p, st), at);
      }
    }

    private void start(String key, AgentMessage m, Instant at) {
      Payloads.EnsembleRequest q = Json.read(m.payload(), Payloads.EnsembleRequest.class);
      Map<String, Double> scores = new LinkedHashMap<>();
      Double own = q.metrics() == null ? null : q.metrics().get(q.metric());
      scores.put(q.model() + ":" + q.version(), own == null ? Double.NaN : own);
      for (Payloads.Trial t : q.trials()) {
        if ("SUCCEEDED".equals(t.status()) && t.modelVersion() != null && t.metrics() != null) {
          Double v = t.metrics().get(q.metric());
          if (v != null) {
            scores.put(t.model() + ":" + t.modelVersion(), v);
          }
        }
      }
      List<String> members =
          Ensembler.pickTop(scores, Math.max(2, q.members()), q.higherIsBetter());
      if (members.size() < 2) {
        answer(
            key,
            m,
            new Payloads.Ensembled(
                false,
                null,
                null,
                members,
                "fewer than two models to combine ("
                    + members.size()
                    + "): going on with v"
                    + q.version()),
            at);
        return;
      }
      TrainingJob t = q.template();
      String jobId = m.workflowId() + JOB_SUFFIX;
      Map<String, String> params = new LinkedHashMap<>();
      params.put("kind", "ensemble");
      params.put("members", String.join(",", members));
      params.put("method", "output-average");
      TrainingJob job = Payloads.auxiliaryJob(t, jobId, m.workflowId(), q.model(), params, at);
      Pending p = new Pending();
      p.request = m;
      p.jobId = jobId;
      p.members = members;
      store.put(key, p);
      context.forward(new Record<>(jobId, Out.job(job), at.toEpochMilli()));
      log.info("workflow {}: ensembling {} ({})", m.workflowId(), members, jobId);
    }

    private static Payloads.Ensembled outcome(Pending p, Payloads.JobStatus st) {
      if (!"SUCCEEDED".equals(st.state())) {
        return new Payloads.Ensembled(
            false, null, null, p.members, "ensembling job failed: " + st.reason() + "; going on");
      }
      JsonNode report = st.report() == null ? Json.object() : Json.tree(st.report());
      boolean kept = report.path("kept").asBoolean(false) && st.version() != null;
      String reason = report.path("reason").asText(kept ? "ensemble kept" : "ensemble not kept");
      return new Payloads.Ensembled(
          kept, kept ? st.version() : null, kept ? st.metrics() : null, p.members, reason);
    }

    private void answer(String key, AgentMessage request, Payloads.Ensembled e, Instant at) {
      log.info(
          "workflow {}: ensemble {}: {}",
          request.workflowId(),
          e.kept() ? "kept" : "not kept",
          e.reason());
      context.forward(
          new Record<>(
              key,
              Out.message(
                  Messages.response(request, Messages.ENSEMBLER, Payloads.ENSEMBLED, e, at)),
              at.toEpochMilli()));
    }
  }
}
