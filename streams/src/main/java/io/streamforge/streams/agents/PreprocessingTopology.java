package io.streamforge.streams.agents;

import io.streamforge.agents.data.DataQuality;
import io.streamforge.agents.data.DatasetStats;
import io.streamforge.agents.data.PreprocessingSpec;
import io.streamforge.agents.data.QualityReport;
import io.streamforge.schemas.Topics;
import io.streamforge.schemas.arrow.BatchMetadata;
import io.streamforge.schemas.arrow.DatasetBatch;
import io.streamforge.schemas.records.AgentMessage;
import io.streamforge.streams.support.Json;
import io.streamforge.streams.support.Messages;
import io.streamforge.streams.support.Out;
import io.streamforge.streams.support.Payloads;
import io.streamforge.streams.support.SeenIds;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The data-preprocessing agent. Column statistics are computed in the stream: every Arrow batch of
 * every {@code datasets.<name>} topic is folded into a small, mergeable {@link DatasetStats}
 * (count, nulls, mean and variance, min and max, distinct estimate, value counts), re-keyed by
 * {@code dataset:version:producer} and merged in {@link #STATS_STORE}. A {@code preprocess} request
 * is answered — quality report and preprocessing spec — as soon as the statistics have counted
 * every row of the sealed version; until then it waits in {@link #PENDING_STORE}.
 *
 * <p>Only the batches' summaries cross the repartition topic, never the batches.
 */
public final class PreprocessingTopology {
  private static final Logger log = LoggerFactory.getLogger(PreprocessingTopology.class);

  private PreprocessingTopology() {}

  public static final String APP = "preprocessing";
  public static final String STATS_STORE = "dataset-stats";
  public static final String PENDING_STORE = "preprocess-pending";
  public static final String SEEN = "preprocessing-seen";

  /** Dataset topics: {@code datasets.<name>}, not their dead-letter topics. */
  public static final Pattern DATASET_TOPICS =
      Pattern.compile(Pattern.quote(Topics.DATASET_PREFIX) + "[A-Za-z0-9][A-Za-z0-9_-]*");

  /** Either the summary of one batch or a request, keyed {@code dataset:version:producer}. */
  public record Input(DatasetStats stats, AgentMessage request) {}

  /** Requests waiting for a version's statistics to be complete. */
  public static final class Pending {
    public List<AgentMessage> requests = new ArrayList<>();
  }

  public static String key(String dataset, int version, String producerId) {
    return dataset + ":" + version + ":" + producerId;
  }

  public static Topology build() {
    StreamsBuilder builder = new StreamsBuilder();
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(STATS_STORE),
            Serdes.String(),
            Json.serde(DatasetStats.class)));
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(PENDING_STORE),
            Serdes.String(),
            Json.serde(Pending.class)));
    builder.addStateStore(SeenIds.store(SEEN));

    int partitions = Topics.AGENT_MESSAGES.partitions();
    KStream<String, Input> summaries =
        builder.stream(
                DATASET_TOPICS, Consumed.with(Serdes.String(), Topics.dataset("x", 1).valueSerde()))
            .filter((k, b) -> b != null)
            .map(
                (k, batch) -> {
                  try (DatasetBatch b = batch) {
                    BatchMetadata md = b.metadata();
                    DatasetStats partial =
                        DatasetStats.empty(md.dataset(), md.version())
                            .add(b.root(), b.dictionaries());
                    return KeyValue.pair(key(md.dataset(), md.version(), md.producerId()), partial);
                  }
                })
            .repartition(
                Repartitioned.<String, DatasetStats>with(
                        Serdes.String(), Json.serde(DatasetStats.class))
                    .withName("preprocessing-batch-stats")
                    .withNumberOfPartitions(partitions))
            .mapValues(s -> new Input(s, null));
    KStream<String, Input> requests =
        builder.stream(
                Topics.AGENT_MESSAGES.name(),
                Consumed.with(Topics.AGENT_MESSAGES.keySerde(), Topics.AGENT_MESSAGES.valueSerde()))
            .filter(
                (k, m) ->
                    m != null
                        && Messages.PREPROCESSING.equals(m.target())
                        && m.type() == AgentMessage.MessageType.REQUEST)
            .selectKey((k, m) -> requestKey(m))
            .repartition(
                Repartitioned.<String, AgentMessage>with(
                        Serdes.String(), Topics.AGENT_MESSAGES.valueSerde())
                    .withName("preprocessing-requests")
                    .withNumberOfPartitions(partitions))
            .mapValues(m -> new Input(null, m));
    KStream<String, Out> out =
        summaries.merge(requests).process(Preprocess::new, STATS_STORE, PENDING_STORE, SEEN);
    Out.route(out);
    return builder.build();
  }

  static String requestKey(AgentMessage m) {
    try {
      Payloads.PreprocessRequest r = Json.read(m.payload(), Payloads.PreprocessRequest.class);
      return key(r.dataset(), r.version(), r.producerId());
    } catch (IllegalArgumentException e) {
      return "invalid:" + m.id();
    }
  }

  static final class Preprocess implements Processor<String, Input, String, Out> {
    private ProcessorContext<String, Out> context;
    private KeyValueStore<String, DatasetStats> stats;
    private KeyValueStore<String, Pending> pending;
    private SeenIds seen;

    @Override
    public void init(ProcessorContext<String, Out> context) {
      this.context = context;
      this.stats = context.getStateStore(STATS_STORE);
      this.pending = context.getStateStore(PENDING_STORE);
      this.seen = new SeenIds(context.getStateStore(SEEN));
      seen.schedulePurge(context);
    }

    @Override
    public void process(Record<String, Input> r) {
      long now = context.currentSystemTimeMs();
      String key = r.key();
      DatasetStats current = stats.get(key);
      if (r.value().stats() != null) {
        DatasetStats merged =
            current == null ? r.value().stats() : current.merge(r.value().stats());
        stats.put(key, merged);
        Pending waiting = pending.get(key);
        if (waiting != null) {
          List<AgentMessage> still = new ArrayList<>();
          for (AgentMessage m : waiting.requests) {
            if (!answer(m, merged, now)) {
              still.add(m);
            }
          }
          waiting.requests = still;
          if (still.isEmpty()) {
            pending.delete(key);
          } else {
            pending.put(key, waiting);
          }
        }
        return;
      }
      AgentMessage m = r.value().request();
      if (!seen.firstTime(m.id(), now)) {
        return;
      }
      if (key.startsWith("invalid:")) {
        context.forward(
            new Record<>(
                key,
                Out.message(
                    Messages.error(
                        m,
                        Messages.PREPROCESSING,
                        "not a preprocess request: " + m.payload(),
                        false,
                        Instant.ofEpochMilli(now))),
                now));
        return;
      }
      if (!answer(m, current, now)) {
        Pending waiting = pending.get(key);
        if (waiting == null) {
          waiting = new Pending();
        }
        waiting.requests.add(m);
        pending.put(key, waiting);
        log.info(
            "workflow {}: statistics of {} not complete yet ({} rows so far); waiting",
            m.workflowId(),
            key,
            current == null ? 0 : current.rows());
      }
    }

    /** Answers when the statistics are complete; false when they are not yet. */
    private boolean answer(AgentMessage m, DatasetStats s, long now) {
      Payloads.PreprocessRequest q = Json.read(m.payload(), Payloads.PreprocessRequest.class);
      if (s == null || s.rows() < q.rows()) {
        return false;
      }
      Instant at = Instant.ofEpochMilli(now);
      AgentMessage answer;
      try {
        QualityReport report = DataQuality.report(s, q.requirements());
        PreprocessingSpec spec =
            PreprocessingSpec.from(s, q.requirements(), report, q.validationFraction());
        Map<String, Map<String, Double>> columns = new LinkedHashMap<>();
        s.columns()
            .forEach(
                (name, c) -> {
                  Map<String, Double> summary = new LinkedHashMap<>();
                  summary.put("count", (double) c.count());
                  summary.put("nulls", (double) c.nulls());
                  summary.put("mean", c.mean());
                  summary.put("std", c.std());
                  summary.put("min", c.min());
                  summary.put("max", c.max());
                  summary.put("distinct", (double) c.distinctEstimate());
                  columns.put(name, summary);
                });
        answer =
            Messages.response(
                m,
                Messages.PREPROCESSING,
                Payloads.PREPROCESSED,
                new Payloads.Preprocessed(
                    spec, report, s.rows(), s.labelDistribution(q.requirements().label()), columns),
                at);
        log.info(
            "workflow {}: {} rows of {}:{} profiled, {} finding(s)",
            m.workflowId(),
            s.rows(),
            q.dataset(),
            q.version(),
            report.findings().size());
      } catch (RuntimeException e) {
        answer = Messages.error(m, Messages.PREPROCESSING, e.getMessage(), false, at);
      }
      context.forward(new Record<>(m.workflowId(), Out.message(answer), now));
      return true;
    }
  }
}
