package io.streamforge.streams.orchestrator;

import io.streamforge.schemas.Topics;
import io.streamforge.schemas.records.AgentMessage;
import io.streamforge.schemas.records.DatasetManifest;
import io.streamforge.schemas.records.MetricPoint;
import io.streamforge.schemas.records.WorkflowRequest;
import io.streamforge.streams.support.GlobalStoreLoader;
import io.streamforge.streams.support.Json;
import io.streamforge.streams.support.LiveKeys;
import io.streamforge.streams.support.Out;
import io.streamforge.streams.support.SeenIds;
import java.util.ArrayList;
import java.util.List;
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
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.slf4j.LoggerFactory;

/**
 * The AutoML orchestrator as a Kafka Streams topology: requests from {@code workflows}, agents'
 * answers and workers' job statuses from {@code agent.messages}, and trial curves from {@code
 * metrics} (re-keyed by workflow id so that they meet the workflow's state) drive one {@link
 * WorkflowMachine} per workflow, whose state lives in {@link #STATE_STORE} (changelogged). Dataset
 * manifests are a global store for validation. Transitions go to {@code phases}; requests to agents
 * to {@code agent.messages}; the final training and the quantization jobs to {@code training.jobs}.
 */
public final class OrchestratorTopology {
  private OrchestratorTopology() {}

  public static final String APP = "orchestrator";
  public static final String STATE_STORE = "workflow-state";
  public static final String SEEN_STORE = "orchestrator-seen";
  public static final String MANIFEST_STORE = "orchestrator-manifests";

  /** What reaches the machine: one of a request, a message or a batch of a workflow's metrics. */
  public record Input(WorkflowRequest request, AgentMessage message, List<MetricPoint> metrics) {}

  public static Topology build(OrchestratorConfig config) {
    StreamsBuilder builder = new StreamsBuilder();
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(STATE_STORE),
            Serdes.String(),
            Json.serde(WorkflowState.class)));
    builder.addStateStore(SeenIds.store(SEEN_STORE));
    builder.addGlobalStore(
        Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore(MANIFEST_STORE),
                Serdes.String(),
                Json.serde(DatasetManifest.class))
            .withLoggingDisabled(),
        Topics.DATASET_MANIFESTS.name(),
        Consumed.with(Topics.DATASET_MANIFESTS.keySerde(), Topics.DATASET_MANIFESTS.valueSerde()),
        () -> new GlobalStoreLoader<>(MANIFEST_STORE));

    KStream<String, Input> requests =
        builder.stream(
                Topics.WORKFLOWS.name(),
                Consumed.with(Topics.WORKFLOWS.keySerde(), Topics.WORKFLOWS.valueSerde()))
            .filter((k, v) -> k != null && v != null)
            .mapValues(v -> new Input(v, null, null));
    KStream<String, Input> messages =
        builder.stream(
                Topics.AGENT_MESSAGES.name(),
                Consumed.with(Topics.AGENT_MESSAGES.keySerde(), Topics.AGENT_MESSAGES.valueSerde()))
            .filter((k, m) -> k != null && m != null && WorkflowMachine.concernsOrchestrator(m))
            .mapValues(m -> new Input(null, m, null));
    KStream<String, Input> curves =
        builder.stream(
                Topics.METRICS.name(),
                Consumed.with(Topics.METRICS.keySerde(), Topics.METRICS.valueSerde()))
            .filter((k, v) -> v != null)
            .flatMap(
                (k, points) -> {
                  List<KeyValue<String, List<MetricPoint>>> out = new ArrayList<>();
                  List<MetricPoint> epochs =
                      points.stream().filter(WorkflowMachine::isWorkflowEpochMetric).toList();
                  if (!epochs.isEmpty()) {
                    out.add(
                        KeyValue.pair(WorkflowMachine.workflowOfRun(epochs.get(0).run()), epochs));
                  }
                  return out;
                })
            .repartition(
                Repartitioned.<String, List<MetricPoint>>with(
                        Serdes.String(), Topics.METRICS.valueSerde())
                    .withName("orchestrator-curves")
                    .withNumberOfPartitions(Topics.WORKFLOWS.partitions()))
            .mapValues(v -> new Input(null, null, v));

    KStream<String, Out> out =
        requests
            .merge(messages)
            .merge(curves)
            .process(() -> new OrchestratorProcessor(config), STATE_STORE, SEEN_STORE);
    Out.route(out);
    return builder.build();
  }

  /** Runs the machine for each input against the stores and forwards what it sends. */
  static final class OrchestratorProcessor implements Processor<String, Input, String, Out> {
    private final OrchestratorConfig config;
    private ProcessorContext<String, Out> context;
    private KeyValueStore<String, WorkflowState> states;
    private LiveKeys<WorkflowState> live;
    private SeenIds seen;
    private WorkflowMachine machine;

    OrchestratorProcessor(OrchestratorConfig config) {
      this.config = config;
    }

    @Override
    public void init(ProcessorContext<String, Out> context) {
      this.context = context;
      this.states = context.getStateStore(STATE_STORE);
      this.live = new LiveKeys<>(states, st -> !st.terminal());
      this.seen = new SeenIds(context.getStateStore(SEEN_STORE));
      KeyValueStore<String, DatasetManifest> manifests = context.getStateStore(MANIFEST_STORE);
      this.machine = new WorkflowMachine(config, new StoreManifests(manifests));
      seen.schedulePurge(context);
      context.schedule(
          config.tick(),
          org.apache.kafka.streams.processor.PunctuationType.WALL_CLOCK_TIME,
          this::tick);
    }

    @Override
    public void process(Record<String, Input> r) {
      long now = context.currentSystemTimeMs();
      String id = r.key();
      Input in = r.value();
      WorkflowState state = states.get(id);
      List<KeyValue<String, Out>> sends = new ArrayList<>();
      WorkflowState next;
      if (in.request() != null) {
        if (!id.equals(in.request().workflowId())) {
          // answers and transitions are keyed by the record's id: a mismatch would split them
          LoggerFactory.getLogger(OrchestratorTopology.class)
              .warn(
                  "workflow request under key {} names workflow {}; ignored",
                  id,
                  in.request().workflowId());
          return;
        }
        next = machine.onRequest(state, in.request(), now, sends);
      } else if (in.message() != null) {
        if (!seen.firstTime(in.message().id(), now)) {
          return;
        }
        next = machine.onMessage(state, in.message(), now, sends);
      } else {
        next = machine.onMetrics(state, in.metrics(), now);
      }
      if (next != null) {
        live.put(id, next);
      }
      forward(sends, now);
    }

    private void tick(long now) {
      List<KeyValue<String, Out>> sends = new ArrayList<>();
      for (KeyValue<String, WorkflowState> e : live.entries()) {
        if (machine.onTick(e.value, now, sends)) {
          live.put(e.key, e.value);
        }
      }
      forward(sends, now);
    }

    private void forward(List<KeyValue<String, Out>> sends, long now) {
      for (KeyValue<String, Out> kv : sends) {
        context.forward(new Record<>(kv.key, kv.value, now));
      }
    }
  }

  /** Manifest lookups over the global store (keys {@code name:version}). */
  record StoreManifests(KeyValueStore<String, DatasetManifest> store)
      implements WorkflowMachine.Manifests {
    @Override
    public DatasetManifest find(String dataset, Integer version) {
      return findManifest(store, dataset, version);
    }
  }

  /**
   * The manifest of a dataset version in a manifest store, or of its latest sealed version when
   * {@code version} is null; null when there is none.
   */
  public static DatasetManifest findManifest(
      ReadOnlyKeyValueStore<String, DatasetManifest> store, String dataset, Integer version) {
    if (version != null) {
      return store.get(dataset + ":" + version);
    }
    DatasetManifest best = null;
    try (var it = store.prefixScan(dataset + ":", Serdes.String().serializer())) {
      while (it.hasNext()) {
        DatasetManifest m = it.next().value;
        if (m.dataset().equals(dataset)
            && m.status() == DatasetManifest.Status.SEALED
            && (best == null || m.version() > best.version())) {
          best = m;
        }
      }
    }
    return best;
  }
}
