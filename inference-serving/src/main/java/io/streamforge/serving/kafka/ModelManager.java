package io.streamforge.serving.kafka;

import io.streamforge.arrowio.dataset.KafkaClients;
import io.streamforge.arrowio.models.ArtifactException;
import io.streamforge.arrowio.models.ModelArtifacts;
import io.streamforge.arrowio.models.TernaryPacking;
import io.streamforge.schemas.KafkaUnavailableException;
import io.streamforge.schemas.TopicAdmin;
import io.streamforge.schemas.Topics;
import io.streamforge.schemas.records.Deployment;
import io.streamforge.schemas.records.ModelEvent;
import io.streamforge.schemas.records.ModelEvent.ModelStatus;
import io.streamforge.serving.EdgeConfig;
import io.streamforge.serving.metrics.EdgeMetrics;
import io.streamforge.serving.model.IdlePriority;
import io.streamforge.serving.model.ModelId;
import io.streamforge.serving.model.ModelLoadException;
import io.streamforge.serving.model.ModelRepository;
import io.streamforge.serving.model.ModelSession;
import io.streamforge.serving.model.RoutePlan;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows {@code models} and {@code deployments} on its own thread and keeps the repository serving
 * what they say: for a model with a deployment record, its stable and canary versions in the
 * variants the record names (null: the edge's base variant, {@code --variant}); for one without,
 * its latest servable version of the base variant.
 *
 * <p>A variant published packed ({@link TernaryPacking#FORMAT}) is unpacked to ONNX after the
 * fetch.
 *
 * <p>A version is fetched from {@code model.artifacts} (sha256 checked against its registry event),
 * loaded, checked against the served version's signature and warmed up before any route names it. A
 * version that fails never takes traffic: the failure is logged, counted, shown in the repository
 * index and reported as a {@code FAILED} registry event, and the model keeps its current route. At
 * start both topics are read to their end offsets and loaded before the edge reports ready.
 */
public final class ModelManager implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ModelManager.class);

  private final KafkaClients clients;
  private final EdgeConfig config;
  private final ModelRepository repository;
  private final Producer<String, byte[]> producer;
  private final Map<String, ModelEvent> events =
      new ConcurrentHashMap<>(); // by model:version:variant
  private final Map<String, Deployment> deployments = new ConcurrentHashMap<>();
  private final Set<String> failed = new HashSet<>(); // model:version:variant:sha256
  private final CountDownLatch ready = new CountDownLatch(1);
  private static final Duration RETRY = Duration.ofSeconds(5);
  private final Map<String, Long> retryAt = new HashMap<>(); // model -> nanoTime; manager thread
  private volatile Throwable stoppedBy;
  private final Thread thread;
  private volatile boolean running = true;
  private volatile KafkaConsumer<String, byte[]> consumer;
  private volatile EdgeMetrics metrics = new EdgeMetrics(() -> 0);

  public ModelManager(
      KafkaClients clients,
      EdgeConfig config,
      ModelRepository repository,
      Producer<String, byte[]> producer) {
    this.clients = clients;
    this.config = config;
    this.repository = repository;
    this.producer = producer;
    this.thread = new Thread(this::run, "edge-model-manager");
    thread.setDaemon(true);
  }

  /** Where load times and failures are counted. */
  public void metrics(EdgeMetrics m) {
    this.metrics = m;
  }

  /** Creates the topics it needs and starts following them. */
  public void start() {
    TopicAdmin.ensure(
        clients.admin(),
        List.of(Topics.MODELS, Topics.DEPLOYMENTS, Topics.MODEL_ARTIFACTS, Topics.METRICS));
    thread.start();
  }

  public boolean isReady() {
    return ready.getCount() == 0;
  }

  /**
   * Waits until the initial models are loaded; false when the time ran out.
   *
   * @throws IllegalStateException when the manager stopped before it got ready (say, Kafka could
   *     not be read), so that callers fail instead of waiting forever
   */
  public boolean awaitReady(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!ready.await(
        Math.min(200, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)),
        TimeUnit.MILLISECONDS)) {
      Throwable stopped = stoppedBy;
      if (stopped != null) {
        throw new IllegalStateException(
            "the model manager stopped before the edge was ready: " + stopped.getMessage(),
            stopped);
      }
      if (System.nanoTime() - deadline >= 0) {
        return false;
      }
    }
    return true;
  }

  /** The latest registry event of a version of the base variant, if any. */
  public Optional<ModelEvent> event(String model, int version) {
    return event(model, version, null);
  }

  /** The latest registry event of a version and variant (null: the base variant), if any. */
  public Optional<ModelEvent> event(String model, int version, String variant) {
    return Optional.ofNullable(
        events.get(new ModelId(model, version, variant(variant)).toString()));
  }

  /** {@code variant}, or the base variant when null. */
  private String variant(String variant) {
    return variant == null ? config.variant() : variant;
  }

  /** The latest deployment record of a model, if any. */
  public Optional<Deployment> deployment(String model) {
    return Optional.ofNullable(deployments.get(model));
  }

  private void run() {
    if (config.idleLoading()) {
      // fetching, verifying and loading versions must not take the cores from the requests
      IdlePriority.applyToCurrentThread();
    }
    Map<String, Object> props = clients.consumer("streamforge-edge-" + config.edgeId());
    props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 50);
    Deserializer<ModelEvent> eventValues = Topics.MODELS.valueSerde().deserializer();
    Deserializer<Deployment> deploymentValues = Topics.DEPLOYMENTS.valueSerde().deserializer();
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(props)) {
      consumer = c;
      List<TopicPartition> partitions = new ArrayList<>();
      for (String topic : List.of(Topics.MODELS.name(), Topics.DEPLOYMENTS.name())) {
        for (PartitionInfo p : c.partitionsFor(topic, clients.apiTimeout())) {
          partitions.add(new TopicPartition(topic, p.partition()));
        }
      }
      c.assign(partitions);
      c.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = c.endOffsets(partitions, clients.apiTimeout());
      Set<String> dirty = new TreeSet<>();
      boolean initial = true;
      while (running) {
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(100))) {
          if (r.value() == null) {
            continue;
          }
          try {
            if (r.topic().equals(Topics.MODELS.name())) {
              ModelEvent e = eventValues.deserialize(r.topic(), r.value());
              if (config.models().test(e.model())) {
                events.put(e.key(), e);
                dirty.add(e.model());
              }
            } else {
              Deployment d = deploymentValues.deserialize(r.topic(), r.value());
              if (config.models().test(d.model())) {
                deployments.put(d.model(), d);
                dirty.add(d.model());
              }
            }
          } catch (RuntimeException e) {
            log.warn(
                "skipping an unreadable record at {}-{}@{}: {}",
                r.topic(),
                r.partition(),
                r.offset(),
                e.getMessage());
          }
        }
        if (initial && !reached(c, end)) {
          continue;
        }
        for (String model : dirty) {
          try {
            reconcile(model);
          } catch (RuntimeException e) {
            log.error("{}: cannot apply the registry and deployment state", model, e);
          }
        }
        dirty.clear();
        long now = System.nanoTime();
        retryAt
            .entrySet()
            .removeIf(
                e -> {
                  if (e.getValue() - now <= 0) {
                    dirty.add(e.getKey());
                    return true;
                  }
                  return false;
                });
        if (initial) {
          initial = false;
          ready.countDown();
          log.info("edge ready: serving {}", repository.models());
        }
      }
    } catch (WakeupException e) {
      if (running) {
        log.error("model manager woken unexpectedly", e);
      }
    } catch (RuntimeException e) {
      stoppedBy = e;
      log.error("model manager stopped: the edge keeps serving what it has", e);
    }
  }

  private static boolean reached(KafkaConsumer<?, ?> c, Map<TopicPartition, Long> end) {
    for (var e : end.entrySet()) {
      if (c.position(e.getKey()) < e.getValue()) {
        return false;
      }
    }
    return true;
  }

  /** Loads what the model's records ask for and switches its route. */
  void reconcile(String model) {
    Deployment d = deployments.get(model);
    ModelRepository.Served served = repository.served(model).orElse(null);
    RoutePlan current = served == null ? null : served.plan();
    Integer stable = d == null ? null : d.stableVersion();
    Integer canary = d == null ? null : d.canaryVersion();
    String stableVariant = variant(d == null ? null : d.stableVariant());
    String canaryVariant = variant(d == null ? null : d.canaryVariant());
    boolean stableOk = stable != null && ensureLoaded(model, stable, stableVariant);
    boolean canaryOk = canary != null && ensureLoaded(model, canary, canaryVariant);
    if (!stableOk && (d == null || current == null)) {
      // Without a deployment (or when its stable version cannot be served and nothing is), serve
      // the latest base-variant version that loads, newest first, never going below what is
      // served now.
      for (ModelEvent e : servableNewestFirst(model)) {
        if (current != null && e.version() <= current.stable()) {
          break;
        }
        if (ensureLoaded(model, e.version(), config.variant())) {
          if (d != null) {
            log.warn(
                "{}: stable version {} ({}) cannot be served, serving {}",
                model,
                stable,
                stableVariant,
                e.version());
          }
          stable = e.version();
          stableVariant = config.variant();
          stableOk = true;
          break;
        }
      }
    }
    served = repository.served(model).orElse(null);
    if (served == null) {
      return; // nothing loaded: not served (yet)
    }
    int routeStable;
    String routeVariant;
    if (stableOk) {
      routeStable = stable;
      routeVariant = stableVariant;
    } else if (current != null) {
      routeStable = current.stable(); // keep serving what works
      routeVariant = current.stableVariant();
    } else if (canaryOk) {
      routeStable = canary;
      routeVariant = canaryVariant;
      canaryOk = false;
    } else {
      return;
    }
    RoutePlan plan =
        d == null
            ? RoutePlan.only(routeStable, routeVariant)
            : new RoutePlan(
                routeStable,
                canaryOk ? canary : null,
                canaryOk ? d.canaryWeight() : 0,
                d.mode() == Deployment.Mode.SHADOW,
                d.stickyHeader(),
                routeVariant,
                canaryOk ? canaryVariant : null);
    plan = plan.withBase(config.variant());
    if (!plan.equals(current)) {
      repository.route(model, plan, Set.of());
      metrics.routeChanged(model);
    }
  }

  private List<ModelEvent> servableNewestFirst(String model) {
    return events.values().stream()
        .filter(e -> e.model().equals(model))
        .filter(e -> e.variant().equals(config.variant()))
        .filter(e -> e.status() != ModelStatus.FAILED && e.status() != ModelStatus.ROLLED_BACK)
        .sorted((a, b) -> Integer.compare(b.version(), a.version()))
        .toList();
  }

  /** Whether the version is loaded (loading it now if needed); false when it cannot be. */
  private boolean ensureLoaded(String model, int version, String variant) {
    ModelId id = new ModelId(model, version, variant);
    ModelEvent event = events.get(id.toString());
    ModelSession loaded = repository.served(model).map(s -> s.loaded().get(id)).orElse(null);
    if (event == null) {
      if (loaded != null) {
        return true;
      }
      log.warn("{}: deployment names a version that the registry does not have (yet)", id);
      return false;
    }
    if (loaded != null && (event.sha256() == null || event.sha256().equals(loaded.sha256()))) {
      return true;
    }
    String attempt = id + ":" + event.sha256();
    if (failed.contains(attempt)) {
      return false;
    }
    if (event.status() == ModelStatus.FAILED) {
      log.warn("{}: not loaded: the registry marks it FAILED ({})", id, event.reason());
      failed.add(attempt);
      repository.failed(id, "registry status FAILED: " + event.reason());
      return false;
    }
    long t0 = System.nanoTime();
    repository.loading(id);
    try {
      byte[] bytes =
          ModelArtifacts.fetch(
              clients, model, version, variant, event.sha256(), config.fetchTimeout());
      if (TernaryPacking.FORMAT.equals(event.format()) || TernaryPacking.isContainer(bytes)) {
        bytes = TernaryPacking.toOnnx(bytes);
      }
      ModelSession expected =
          repository
              .served(model)
              .filter(s -> s.plan() != null)
              .map(s -> s.loaded().get(s.plan().stableId(model, config.variant())))
              .orElse(null);
      ModelSession session =
          ModelSession.load(id, bytes, event.sha256(), config.intraOpThreads(), expected);
      EdgeMetrics m = metrics;
      session.whenClosed(
          () -> {
            if (!repository.holds(id)) { // else a reload of the same version took its place
              m.forget(id); // its series go with it
            }
          });
      repository.install(session, plan -> plan);
      long ms = (System.nanoTime() - t0) / 1_000_000;
      metrics.loaded(id, ms);
      log.info("{}: loaded in {} ms", id, ms);
      return true;
    } catch (ArtifactException | ModelLoadException | KafkaUnavailableException e) {
      if (e instanceof KafkaUnavailableException
          || (e instanceof ArtifactException a && a.retriable())) {
        // Not the artifact's fault: try again later, and tell no one it failed.
        repository.failed(id, "not loaded yet, retrying: " + e.getMessage());
        metrics.loadFailed(id);
        log.warn(
            "{}: not loaded yet ({}); retrying in {} s", id, e.getMessage(), RETRY.toSeconds());
        retryAt.put(model, System.nanoTime() + RETRY.toNanos());
        return false;
      }
      failed.add(attempt);
      repository.failed(id, e.getMessage());
      metrics.loadFailed(id);
      log.error("{}: not served: {}", id, e.getMessage());
      report(event, e.getMessage());
      return false;
    }
  }

  private void report(ModelEvent event, String reason) {
    ModelEvent failedEvent =
        new ModelEvent(
            event.model(),
            event.version(),
            event.variant(),
            event.format(),
            ModelStatus.FAILED,
            event.sha256(),
            event.sizeBytes(),
            event.metrics(),
            event.parentVersion(),
            event.jobId(),
            "edge " + config.edgeId() + ": " + reason,
            Instant.now());
    String topic = Topics.MODELS.name();
    producer.send(
        new ProducerRecord<>(
            topic,
            failedEvent.key(),
            Topics.MODELS.valueSerde().serializer().serialize(topic, failedEvent)),
        (md, ex) -> {
          if (ex != null) {
            log.warn("cannot report {} as FAILED: {}", failedEvent.key(), ex.toString());
          }
        });
  }

  @Override
  public void close() {
    running = false;
    KafkaConsumer<String, byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
