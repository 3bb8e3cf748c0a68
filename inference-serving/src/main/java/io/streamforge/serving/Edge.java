package io.streamforge.serving;

import io.streamforge.arrowio.dataset.KafkaClients;
import io.streamforge.serving.dashboard.DashboardStreams;
import io.streamforge.serving.dashboard.StaticBundle;
import io.streamforge.serving.http.EdgeServer;
import io.streamforge.serving.kafka.KafkaRollouts;
import io.streamforge.serving.kafka.ModelManager;
import io.streamforge.serving.metrics.EdgeMetrics;
import io.streamforge.serving.metrics.MetricsPublisher;
import io.streamforge.serving.model.IdlePriority;
import io.streamforge.serving.model.ModelId;
import io.streamforge.serving.model.ModelLoadException;
import io.streamforge.serving.model.ModelRepository;
import io.streamforge.serving.model.ModelSession;
import io.streamforge.serving.model.RoutePlan;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One inference edge: the HTTP server, the model repository, the dashboard page and, with Kafka,
 * the model manager that follows {@code models} and {@code deployments}, the admin API's rollouts,
 * the metrics publisher and the dashboards' event streams.
 *
 * <p>Without Kafka the edge serves what {@link #deploy} and {@link #route} give it, which is how it
 * is tested on its own.
 */
public final class Edge implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Edge.class);

  private final EdgeConfig config;
  private final Vertx vertx;
  private final boolean ownsVertx;
  private final ModelRepository repository;
  private final EdgeServer server;
  private final ModelManager manager;
  private final Producer<String, byte[]> producer;
  private final MetricsPublisher metricsPublisher;
  private final DashboardStreams streams;
  private final java.util.concurrent.ExecutorService loader;
  private final int port;

  private Edge(EdgeConfig config, KafkaClients clients, Vertx vertx, boolean ownsVertx)
      throws Exception {
    this.config = config;
    this.repository = new ModelRepository(config.variant());
    this.vertx = vertx;
    this.ownsVertx = ownsVertx;
    this.loader =
        java.util.concurrent.Executors.newSingleThreadExecutor(
            r -> {
              Thread t =
                  new Thread(
                      () -> {
                        if (config.idleLoading()) {
                          IdlePriority.applyToCurrentThread();
                        }
                        r.run();
                      },
                      "edge-model-loader");
              t.setDaemon(true);
              return t;
            });
    if (clients != null) {
      producer = new KafkaProducer<>(clients.producer("streamforge-" + config.edgeId()));
      manager = new ModelManager(clients, config, repository, producer);
    } else {
      producer = null;
      manager = null;
    }
    server =
        new EdgeServer(
            vertx,
            config,
            repository,
            manager == null ? () -> true : manager::isReady,
            manager == null ? null : new KafkaRollouts(manager, repository, producer));
    streams =
        new DashboardStreams(vertx, clients, config.dashboard(), config.edgeId(), server.metrics());
    StaticBundle page = new StaticBundle();
    server.mount(streams::mount);
    server.mount(page::mount);
    if (manager != null) {
      manager.metrics(server.metrics());
      metricsPublisher =
          new MetricsPublisher(
              server.metrics(), producer, config.edgeId(), config.metricsPeriod().toMillis());
    } else {
      metricsPublisher = null;
    }
    try {
      port = server.start().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      if (manager != null) {
        manager.start();
      }
    } catch (Exception e) {
      close();
      throw e;
    }
  }

  /**
   * Starts an edge.
   *
   * @param clients Kafka to follow, or null to serve only what {@link #deploy} gives it
   * @param vertx the Vert.x instance to use, or null for one of its own
   */
  public static Edge start(EdgeConfig config, KafkaClients clients, Vertx vertx) throws Exception {
    Objects.requireNonNull(config, "config");
    boolean own = vertx == null;
    Vertx v = own ? Vertx.vertx(new VertxOptions()) : vertx;
    return new Edge(config, clients, v, own);
  }

  /** The bound HTTP port. */
  public int port() {
    return port;
  }

  public ModelRepository repository() {
    return repository;
  }

  public EdgeMetrics metrics() {
    return server.metrics();
  }

  /** Whether the initial models are loaded (always, without Kafka). */
  public boolean isReady() {
    return manager == null || manager.isReady();
  }

  /** Waits until ready; false when the time ran out. */
  public boolean awaitReady(Duration timeout) throws InterruptedException {
    return manager == null || manager.awaitReady(timeout);
  }

  /**
   * Loads a version from ONNX bytes (signature check against the served version, warm-up) and, when
   * {@code serve}, switches all of the model's traffic to it and unloads the other versions (they
   * close once their requests finish); without {@code serve} it is only loaded, for versioned
   * routes and canaries. Without Kafka only. The load runs on the edge's loader thread (at idle CPU
   * priority unless configured otherwise, see {@link EdgeConfig#idleLoading()}); this call waits
   * for it.
   */
  public ModelSession deploy(String model, int version, byte[] onnx, boolean serve)
      throws ModelLoadException {
    return deploy(model, version, config.variant(), onnx, serve);
  }

  /**
   * {@link #deploy(String, int, byte[], boolean)} for one variant of the version; {@code serve}
   * routes all traffic to this version and variant.
   */
  public ModelSession deploy(String model, int version, String variant, byte[] onnx, boolean serve)
      throws ModelLoadException {
    ModelId id = new ModelId(model, version, variant);
    ModelSession expected =
        repository
            .served(model)
            .filter(s -> s.plan() != null)
            .map(s -> s.loaded().get(s.plan().stableId(model, config.variant())))
            .orElse(null);
    repository.loading(id);
    ModelSession session;
    try {
      // on the loader thread (idle priority by default), not the caller's
      session =
          await(
              loader.submit(
                  () ->
                      ModelSession.load(
                          id,
                          onnx,
                          io.streamforge.arrowio.models.ModelArtifacts.sha256(onnx),
                          config.intraOpThreads(),
                          expected)));
    } catch (ModelLoadException e) {
      repository.failed(id, e.getMessage());
      server.metrics().loadFailed(id);
      throw e;
    }
    EdgeMetrics metrics = server.metrics();
    session.whenClosed(
        () -> {
          if (!repository.holds(id)) { // else a reload of the same version took its place
            metrics.forget(id); // its series go with it
          }
        });
    metrics.loaded(id, session.loadMillis());
    RoutePlan only = RoutePlan.only(version, variant);
    repository.install(session, plan -> serve || plan == null ? only : plan);
    if (serve) {
      repository.route(model, only, Set.of()); // unloads the versions it replaced
    }
    server.metrics().routeChanged(model);
    return session;
  }

  private static ModelSession await(java.util.concurrent.Future<ModelSession> load)
      throws ModelLoadException {
    try {
      return load.get();
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof ModelLoadException m) {
        throw m;
      }
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      // the native load cannot be stopped: free its session once it is done
      CompletableFuture.runAsync(
          () -> {
            try {
              load.get().retire();
            } catch (Exception ignored) {
              // it failed: nothing to free
            }
          });
      throw new IllegalStateException("interrupted while loading a model version", e);
    }
  }

  /** Changes a model's route (without Kafka); versions it leaves out are unloaded. */
  public void route(String model, RoutePlan plan) {
    repository.route(model, plan, Set.of());
    server.metrics().routeChanged(model);
  }

  /** The event streams for dashboards ({@code /api/streams/...}). */
  public DashboardStreams streams() {
    return streams;
  }

  /** Ends the event streams, stops the server, the model manager, the metrics and Kafka clients. */
  @Override
  public void close() {
    streams.close(); // first: open streams would otherwise hold the server's shutdown
    try {
      server.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("stopping the HTTP server: {}", e.toString());
    }
    if (manager != null) {
      manager.close();
    }
    if (metricsPublisher != null) {
      metricsPublisher.close();
    }
    if (producer != null) {
      producer.close(Duration.ofSeconds(5));
    }
    loader.shutdownNow();
    try {
      // a load under way is one native call and cannot be interrupted: wait for it to end, so
      // that no thread of this edge outlives close()
      if (!loader.awaitTermination(30, TimeUnit.SECONDS)) {
        log.warn("the model loader thread is still busy after 30 s; closing without it");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    repository.closeAll();
    if (ownsVertx) {
      vertx.close();
    }
  }
}
