package io.streamforge.streams.agents;

import io.streamforge.agents.deploy.CanaryAnalyzer;
import io.streamforge.agents.deploy.CanaryPolicy;
import io.streamforge.agents.deploy.CanaryVerdict;
import io.streamforge.agents.deploy.VariantCandidate;
import io.streamforge.agents.deploy.VariantChoice;
import io.streamforge.agents.deploy.VariantChooser;
import io.streamforge.agents.deploy.WindowStats;
import io.streamforge.schemas.Topics;
import io.streamforge.schemas.records.AgentMessage;
import io.streamforge.schemas.records.Deployment;
import io.streamforge.schemas.records.MetricPoint;
import io.streamforge.schemas.records.ModelEvent;
import io.streamforge.streams.support.GlobalStoreLoader;
import io.streamforge.streams.support.Json;
import io.streamforge.streams.support.Messages;
import io.streamforge.streams.support.Out;
import io.streamforge.streams.support.Payloads;
import io.streamforge.streams.support.SeenIds;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The deployment-optimization agent. On a {@code deploy} request it picks among the new version's
 * variants (fp32 and the accepted quantized ones) by the workflow's objectives and constraints,
 * registers the choice as canary at the first weight on {@code deployments}, then judges the canary
 * against the stable version from the edges' per-second {@code metrics} every analysis interval: it
 * walks the weights up, promotes at the end, or rolls back at the first breach. Every decision goes
 * to {@code deployments} with its reason, model statuses (CANARY, STABLE, ARCHIVED, ROLLED_BACK) to
 * {@code models}, and the outcome answers the request.
 *
 * <p>Requests (keyed by workflow) are re-keyed by model so that they meet the edge metrics (keyed
 * by model) in one task; a model has at most one rollout at a time. The current deployments and
 * registry events are global stores.
 */
public final class DeployerTopology {
  private static final Logger log = LoggerFactory.getLogger(DeployerTopology.class);

  private DeployerTopology() {}

  public static final String APP = "deployer";
  public static final String ROLLOUTS = "rollouts";
  public static final String SEEN = "deployer-seen";
  public static final String DEPLOYMENTS = "deployer-deployments";
  public static final String MODELS = "deployer-models";

  /** One model's rollout in progress (or finished, kept for inspection). */
  public static final class Rollout {
    public String model;
    public String workflowId;
    public AgentMessage request;
    public int version;
    public String variant;
    public Integer stableVersion;

    /** The stable version's variant (null: the base variant, fp32). */
    public String stableVariant;

    public double weight;
    public CanaryPolicy policy;
    public long intervalMs;
    public long windowStartMs;
    public Window canary = new Window();
    public Window stable = new Window();
    public List<String> decisions = new ArrayList<>();
    public boolean done;
  }

  /** Sums of one version's per-second edge aggregates since the window started. */
  public static final class Window {
    public long requests;
    public long errors;
    public double p99WeightedSum;

    void add(double requests, double errors, double p99) {
      this.requests += (long) requests;
      this.errors += (long) errors;
      this.p99WeightedSum += p99 * requests;
    }

    WindowStats stats() {
      return new WindowStats(requests, errors, requests == 0 ? 0 : p99WeightedSum / requests);
    }
  }

  /** Either a request (re-keyed by model) or an edge metrics batch (keyed by model). */
  public record Input(AgentMessage message, List<MetricPoint> metrics) {}

  public static Topology build(Duration tick) {
    StreamsBuilder builder = new StreamsBuilder();
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(ROLLOUTS), Serdes.String(), Json.serde(Rollout.class)));
    builder.addStateStore(SeenIds.store(SEEN));
    builder.addGlobalStore(
        Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore(DEPLOYMENTS),
                Serdes.String(),
                Json.serde(Deployment.class))
            .withLoggingDisabled(),
        Topics.DEPLOYMENTS.name(),
        Consumed.with(Topics.DEPLOYMENTS.keySerde(), Topics.DEPLOYMENTS.valueSerde()),
        () -> new GlobalStoreLoader<>(DEPLOYMENTS));
    builder.addGlobalStore(
        Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore(MODELS), Serdes.String(), Json.serde(ModelEvent.class))
            .withLoggingDisabled(),
        Topics.MODELS.name(),
        Consumed.with(Topics.MODELS.keySerde(), Topics.MODELS.valueSerde()),
        () -> new GlobalStoreLoader<>(MODELS));

    KStream<String, Input> requests =
        builder.stream(
                Topics.AGENT_MESSAGES.name(),
                Consumed.with(Topics.AGENT_MESSAGES.keySerde(), Topics.AGENT_MESSAGES.valueSerde()))
            .filter(
                (k, m) ->
                    m != null
                        && Messages.DEPLOYER.equals(m.target())
                        && m.type() == AgentMessage.MessageType.REQUEST)
            .selectKey((k, m) -> modelOf(m))
            .repartition(
                Repartitioned.<String, AgentMessage>with(
                        Serdes.String(), Topics.AGENT_MESSAGES.valueSerde())
                    .withName("deployer-by-model")
                    .withNumberOfPartitions(Topics.METRICS.partitions()))
            .mapValues(m -> new Input(m, null));
    KStream<String, Input> metrics =
        builder.stream(
                Topics.METRICS.name(),
                Consumed.with(Topics.METRICS.keySerde(), Topics.METRICS.valueSerde()))
            .filter(
                (k, v) ->
                    k != null && v != null && !v.isEmpty() && "edge".equals(v.get(0).source()))
            .mapValues(v -> new Input(null, v));
    KStream<String, Out> out =
        requests.merge(metrics).process(() -> new Deployer(tick), ROLLOUTS, SEEN);
    Out.route(out);
    return builder.build();
  }

  /** The model a deploy or cancel request is about; cancels name the workflow only. */
  static String modelOf(AgentMessage m) {
    String model = Json.tree(m.payload()).path("model").asText(null);
    return model != null ? model : "workflow:" + m.workflowId();
  }

  static final class Deployer implements Processor<String, Input, String, Out> {
    private final Duration tick;
    private ProcessorContext<String, Out> context;
    private KeyValueStore<String, Rollout> rollouts;
    private KeyValueStore<String, Deployment> deployments;
    private KeyValueStore<String, ModelEvent> models;
    private SeenIds seen;

    Deployer(Duration tick) {
      this.tick = tick;
    }

    @Override
    public void init(ProcessorContext<String, Out> context) {
      this.context = context;
      this.rollouts = context.getStateStore(ROLLOUTS);
      this.deployments = context.getStateStore(DEPLOYMENTS);
      this.models = context.getStateStore(MODELS);
      this.seen = new SeenIds(context.getStateStore(SEEN));
      seen.schedulePurge(context);
      context.schedule(tick, PunctuationType.WALL_CLOCK_TIME, this::onTick);
    }

    @Override
    public void process(Record<String, Input> r) {
      long now = context.currentSystemTimeMs();
      List<KeyValue<String, Out>> sends = new ArrayList<>();
      if (r.value().message() != null) {
        AgentMessage m = r.value().message();
        if (!seen.firstTime(m.id(), now)) {
          return;
        }
        if (Payloads.DEPLOY.equals(m.payloadType())) {
          start(r.key(), m, now, sends);
        } else if (Payloads.CANCEL.equals(m.payloadType())) {
          cancel(m, now, sends);
        } else {
          sends.add(
              KeyValue.pair(
                  m.workflowId(),
                  Out.message(
                      Messages.error(
                          m,
                          Messages.DEPLOYER,
                          "deployer does not handle '" + m.payloadType() + "'",
                          false,
                          Instant.ofEpochMilli(now)))));
        }
      } else {
        Rollout ro = rollouts.get(r.key());
        if (ro == null || ro.done) {
          return;
        }
        accumulate(ro, r.value().metrics());
        rollouts.put(r.key(), ro);
      }
      forward(sends, now);
    }

    private void start(String model, AgentMessage m, long now, List<KeyValue<String, Out>> sends) {
      Instant at = Instant.ofEpochMilli(now);
      Rollout existing = rollouts.get(model);
      if (existing != null && !existing.done) {
        if (existing.request.workflowId().equals(m.workflowId())) {
          return; // a retry of the request under way
        }
        sends.add(
            KeyValue.pair(
                m.workflowId(),
                Out.message(
                    Messages.error(
                        m,
                        Messages.DEPLOYER,
                        "model "
                            + model
                            + " is being rolled out by workflow "
                            + existing.workflowId
                            + " (version "
                            + existing.version
                            + ")",
                        true,
                        at))));
        return;
      }
      Payloads.DeployRequest q = Json.read(m.payload(), Payloads.DeployRequest.class);
      List<VariantCandidate> candidates = new ArrayList<>();
      for (Payloads.Candidate c : q.candidates()) {
        Double quality = c.metrics().get(q.higherIsBetter() ? "val_accuracy" : "val_rmse");
        candidates.add(
            new VariantCandidate(
                q.version(),
                c.variant(),
                quality == null ? Double.NaN : (q.higherIsBetter() ? quality : -quality),
                c.bytes(),
                c.metrics().getOrDefault("latency_b1_ms", Double.NaN)));
      }
      VariantChoice choice;
      try {
        choice = VariantChooser.choose(candidates, q.objectives(), q.constraints());
      } catch (IllegalStateException | IllegalArgumentException e) {
        sends.add(
            KeyValue.pair(
                m.workflowId(),
                Out.message(Messages.error(m, Messages.DEPLOYER, e.getMessage(), false, at))));
        return;
      }
      Deployment current = deployments.get(model);
      Rollout ro = new Rollout();
      ro.model = model;
      ro.workflowId = m.workflowId();
      ro.request = m;
      ro.version = q.version();
      ro.variant = choice.chosen().variant();
      ro.stableVersion = current == null ? null : current.stableVersion();
      ro.stableVariant = current == null ? null : current.stableVariant();
      ro.policy = CanaryPolicy.from(q.rollout());
      ro.intervalMs = Math.max(1, q.rollout().analysisIntervalSeconds()) * 1000L;
      ro.weight = ro.policy.steps().get(0);
      ro.windowStartMs = now;
      String reason =
          "canary "
              + model
              + " v"
              + ro.version
              + " ("
              + ro.variant
              + ") at "
              + fmt(ro.weight)
              + "% against "
              + (ro.stableVersion == null ? "no stable version" : "stable v" + ro.stableVersion)
              + ": "
              + choice.reason();
      ro.decisions.add(reason);
      sends.add(deployment(ro, ro.stableVersion, ro.version, ro.weight, "canary", reason, at));
      status(ro.model, ro.version, ro.variant, ModelEvent.ModelStatus.CANARY, reason, at, sends);
      rollouts.put(model, ro);
      log.info("workflow {}: {}", ro.workflowId, reason);
    }

    private void cancel(AgentMessage m, long now, List<KeyValue<String, Out>> sends) {
      List<Rollout> mine = new ArrayList<>();
      try (var it = rollouts.all()) {
        while (it.hasNext()) {
          Rollout ro = it.next().value;
          if (!ro.done && ro.workflowId.equals(m.workflowId())) {
            mine.add(ro);
          }
        }
      }
      for (Rollout ro : mine) {
        finish(
            ro,
            false,
            "workflow cancelled: canary dropped",
            Instant.ofEpochMilli(now),
            sends,
            false);
      }
    }

    /** Adds one batch of edge aggregates: per version and edge, one second's count, errors, p99. */
    private static void accumulate(Rollout ro, List<MetricPoint> batch) {
      java.util.Map<String, double[]> seconds = new java.util.HashMap<>();
      for (MetricPoint p : batch) {
        if (p.labels() == null || p.labels().get("version") == null) {
          continue;
        }
        String key =
            p.labels().get("version")
                + "/"
                + p.labels().get("variant")
                + "/"
                + p.labels().get("edge")
                + "/"
                + p.step();
        double[] a = seconds.computeIfAbsent(key, k -> new double[4]);
        a[0] = Integer.parseInt(p.labels().get("version"));
        switch (p.name()) {
          case "request_count" -> a[1] = p.value();
          case "error_count" -> a[2] = p.value();
          case "latency_p99_ms" -> a[3] = p.value();
          default -> {}
        }
      }
      for (double[] a : seconds.values()) {
        int version = (int) a[0];
        if (version == ro.version) {
          ro.canary.add(a[1], a[2], a[3]);
        } else if (ro.stableVersion != null && version == ro.stableVersion) {
          ro.stable.add(a[1], a[2], a[3]);
        }
      }
    }

    private void onTick(long now) {
      List<KeyValue<String, Out>> sends = new ArrayList<>();
      List<Rollout> changed = new ArrayList<>();
      try (var it = rollouts.all()) {
        while (it.hasNext()) {
          Rollout ro = it.next().value;
          if (ro.done || now - ro.windowStartMs < ro.intervalMs) {
            continue;
          }
          judge(ro, now, sends);
          changed.add(ro);
        }
      }
      changed.forEach(ro -> rollouts.put(ro.model, ro));
      forward(sends, now);
    }

    private void judge(Rollout ro, long now, List<KeyValue<String, Out>> sends) {
      Instant at = Instant.ofEpochMilli(now);
      WindowStats canary = ro.canary.stats();
      WindowStats stable = ro.stableVersion == null ? null : ro.stable.stats();
      CanaryVerdict v = CanaryAnalyzer.judge(canary, stable, ro.weight, ro.policy);
      switch (v.kind()) {
        case WAIT -> {
          // keep the window open until it has enough samples
        }
        case STEP -> {
          ro.weight = v.weight();
          ro.decisions.add(v.reason());
          sends.add(
              deployment(
                  ro, ro.stableVersion, ro.version, ro.weight, "set-weight", v.reason(), at));
          ro.canary = new Window();
          ro.stable = new Window();
          ro.windowStartMs = now;
          log.info(
              "workflow {}: {} v{} canary → {}%: {}",
              ro.workflowId, ro.model, ro.version, fmt(ro.weight), v.reason());
        }
        case PROMOTE -> finish(ro, true, v.reason(), at, sends, true);
        case ROLLBACK -> finish(ro, false, v.reason(), at, sends, true);
      }
    }

    private void finish(
        Rollout ro,
        boolean promote,
        String reason,
        Instant at,
        List<KeyValue<String, Out>> sends,
        boolean answer) {
      ro.done = true;
      ro.decisions.add(reason);
      if (promote) {
        sends.add(deployment(ro, ro.version, null, 0, "promote", reason, at));
        status(ro.model, ro.version, ro.variant, ModelEvent.ModelStatus.STABLE, reason, at, sends);
        if (ro.stableVersion != null && ro.stableVersion != ro.version) {
          status(
              ro.model,
              ro.stableVersion,
              null,
              ModelEvent.ModelStatus.ARCHIVED,
              "replaced by v" + ro.version,
              at,
              sends);
        }
      } else {
        sends.add(deployment(ro, ro.stableVersion, null, 0, "rollback", reason, at));
        status(
            ro.model,
            ro.version,
            ro.variant,
            ModelEvent.ModelStatus.ROLLED_BACK,
            reason,
            at,
            sends);
      }
      log.info(
          "workflow {}: {} v{} {}: {}",
          ro.workflowId,
          ro.model,
          ro.version,
          promote ? "promoted" : "rolled back",
          reason);
      if (answer) {
        sends.add(
            KeyValue.pair(
                ro.workflowId,
                Out.message(
                    Messages.response(
                        ro.request,
                        Messages.DEPLOYER,
                        Payloads.DEPLOYED,
                        new Payloads.Deployed(
                            ro.model,
                            ro.version,
                            ro.variant,
                            promote ? "PROMOTED" : "ROLLED_BACK",
                            reason),
                        at))));
      }
    }

    private KeyValue<String, Out> deployment(
        Rollout ro,
        Integer stable,
        Integer canary,
        double weight,
        String decision,
        String reason,
        Instant at) {
      // the variant travels with its version: the new version is served as the chosen variant
      String stableVariant =
          stable == null ? null : stable == ro.version ? ro.variant : ro.stableVariant;
      return KeyValue.pair(
          ro.model,
          Out.deployment(
              new Deployment(
                  ro.model,
                  stable,
                  canary,
                  weight,
                  Deployment.Mode.SPLIT,
                  null,
                  decision,
                  reason,
                  at,
                  stableVariant,
                  canary == null ? null : ro.variant)));
    }

    /** Writes the registry status of a version's variant (every variant of it when null). */
    private void status(
        String model,
        int version,
        String variant,
        ModelEvent.ModelStatus status,
        String reason,
        Instant at,
        List<KeyValue<String, Out>> sends) {
      String prefix = model + ":" + version + ":";
      try (var it = models.prefixScan(prefix, Serdes.String().serializer())) {
        while (it.hasNext()) {
          ModelEvent e = it.next().value;
          if (variant != null && !variant.equals(e.variant())) {
            continue;
          }
          ModelEvent next =
              new ModelEvent(
                  e.model(),
                  e.version(),
                  e.variant(),
                  e.format(),
                  status,
                  e.sha256(),
                  e.sizeBytes(),
                  e.metrics(),
                  e.parentVersion(),
                  e.jobId(),
                  reason,
                  at);
          sends.add(KeyValue.pair(next.key(), Out.model(next)));
        }
      }
    }

    private void forward(List<KeyValue<String, Out>> sends, long now) {
      for (KeyValue<String, Out> kv : sends) {
        context.forward(new Record<>(kv.key, kv.value, now));
      }
    }
  }

  private static String fmt(double w) {
    return String.format(Locale.ROOT, w == Math.rint(w) ? "%.0f" : "%.1f", w);
  }
}
