package io.streamforge.serving;

import io.streamforge.serving.dashboard.DashboardConfig;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * How an edge runs.
 *
 * @param host address to bind
 * @param httpPort port to bind (0: any free port)
 * @param adminToken bearer token of the admin API; null or blank disables it
 * @param workerThreads threads running inference (never the event loops)
 * @param queueCapacity inference tasks that may wait for a worker; beyond it requests get 503
 * @param intraOpThreads ONNX Runtime threads per session run
 * @param maxBodyBytes largest request body; larger gets 413
 * @param variant the base variant ({@code fp32}, {@code int8-weight}, ...): what the edge serves
 *     for a model without a deployment, and for a deployment that names no variant
 * @param models which model names this edge serves
 * @param fetchTimeout how long fetching one artifact may take
 * @param metricsPeriod period of the aggregates sent to {@code metrics}
 * @param edgeId this edge's name in metrics
 * @param maxBatchSize dynamic batching: most requests run together per model version (1: off)
 * @param maxBatchDelay dynamic batching: longest a request waits for others to join its batch
 * @param dashboard the event streams' heartbeat, client buffers and limits
 * @param idleLoading load, warm up and free model versions on threads in Linux's {@code SCHED_IDLE}
 *     class, so that requests always come first ({@link
 *     io.streamforge.serving.model.IdlePriority}); false: at normal priority
 */
public record EdgeConfig(
    String host,
    int httpPort,
    String adminToken,
    int workerThreads,
    int queueCapacity,
    int intraOpThreads,
    int maxBodyBytes,
    String variant,
    Predicate<String> models,
    Duration fetchTimeout,
    Duration metricsPeriod,
    String edgeId,
    int maxBatchSize,
    Duration maxBatchDelay,
    DashboardConfig dashboard,
    boolean idleLoading) {
  public EdgeConfig {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(variant, "variant");
    Objects.requireNonNull(models, "models");
    Objects.requireNonNull(fetchTimeout, "fetchTimeout");
    Objects.requireNonNull(metricsPeriod, "metricsPeriod");
    Objects.requireNonNull(edgeId, "edgeId");
    Objects.requireNonNull(maxBatchDelay, "maxBatchDelay");
    Objects.requireNonNull(dashboard, "dashboard");
    if (maxBatchSize < 1) {
      throw new IllegalArgumentException("max batch size must be at least 1 (1: no batching)");
    }
    if (workerThreads < 1 || queueCapacity < 0 || intraOpThreads < 1 || maxBodyBytes < 1) {
      throw new IllegalArgumentException(
          "worker threads, intra-op threads and body limit must be positive");
    }
    if (adminToken != null && adminToken.isBlank()) {
      adminToken = null;
    }
  }

  /**
   * Defaults: port 8080, workers = cores, queue 4 × workers, 1 intra-op thread, 8 MiB bodies, no
   * batching, model versions loaded at idle priority.
   */
  public static EdgeConfig defaults() {
    int cores = Runtime.getRuntime().availableProcessors();
    return new EdgeConfig(
        "0.0.0.0",
        8080,
        null,
        cores,
        4 * cores,
        1,
        8 << 20,
        "fp32",
        m -> true,
        Duration.ofSeconds(30),
        Duration.ofSeconds(1),
        "edge-" + ProcessHandle.current().pid(),
        1,
        Duration.ofMillis(2),
        DashboardConfig.defaults(),
        true);
  }

  public EdgeConfig withHttpPort(int port) {
    return copy(b -> b.httpPort = port);
  }

  public EdgeConfig withHost(String h) {
    return copy(b -> b.host = h);
  }

  public EdgeConfig withAdminToken(String token) {
    return copy(b -> b.adminToken = token);
  }

  public EdgeConfig withWorkers(int threads, int queue) {
    return copy(
        b -> {
          b.workerThreads = threads;
          b.queueCapacity = queue;
        });
  }

  public EdgeConfig withIntraOpThreads(int threads) {
    return copy(b -> b.intraOpThreads = threads);
  }

  public EdgeConfig withMaxBodyBytes(int bytes) {
    return copy(b -> b.maxBodyBytes = bytes);
  }

  public EdgeConfig withVariant(String v) {
    return copy(b -> b.variant = v);
  }

  public EdgeConfig withModels(Predicate<String> m) {
    return copy(b -> b.models = m);
  }

  /** This edge's name in metrics, client ids and thread names (default {@code edge-<pid>}). */
  public EdgeConfig withEdgeId(String id) {
    return copy(b -> b.edgeId = id);
  }

  public EdgeConfig withMetricsPeriod(Duration p) {
    return copy(b -> b.metricsPeriod = p);
  }

  /** Dynamic batching: at most {@code size} requests, waiting at most {@code delay} (1: off). */
  public EdgeConfig withBatching(int size, Duration delay) {
    return copy(
        b -> {
          b.maxBatchSize = size;
          b.maxBatchDelay = delay;
        });
  }

  /** Whether model versions are loaded and freed at {@code SCHED_IDLE} (default true). */
  public EdgeConfig withIdleLoading(boolean idle) {
    return copy(b -> b.idleLoading = idle);
  }

  /** The event streams' settings (heartbeat, client buffer, catch-up readers, client limit). */
  public EdgeConfig withDashboard(DashboardConfig d) {
    return copy(b -> b.dashboard = d);
  }

  /** This configuration with {@code change} applied (the constructor validates the result). */
  private EdgeConfig copy(java.util.function.Consumer<Fields> change) {
    Fields f = new Fields(this);
    change.accept(f);
    return new EdgeConfig(
        f.host,
        f.httpPort,
        f.adminToken,
        f.workerThreads,
        f.queueCapacity,
        f.intraOpThreads,
        f.maxBodyBytes,
        f.variant,
        f.models,
        f.fetchTimeout,
        f.metricsPeriod,
        f.edgeId,
        f.maxBatchSize,
        f.maxBatchDelay,
        f.dashboard,
        f.idleLoading);
  }

  /** The components as mutable fields, for {@link #copy}. */
  private static final class Fields {
    String host;
    int httpPort;
    String adminToken;
    int workerThreads;
    int queueCapacity;
    int intraOpThreads;
    int maxBodyBytes;
    String variant;
    Predicate<String> models;
    Duration fetchTimeout;
    Duration metricsPeriod;
    String edgeId;
    int maxBatchSize;
    Duration maxBatchDelay;
    DashboardConfig dashboard;
    boolean idleLoading;

    Fields(EdgeConfig c) {
      host = c.host;
      httpPort = c.httpPort;
      adminToken = c.adminToken;
      workerThreads = c.workerThreads;
      queueCapacity = c.queueCapacity;
      intraOpThreads = c.intraOpThreads;
      maxBodyBytes = c.maxBodyBytes;
      variant = c.variant;
      models = c.models;
      fetchTimeout = c.fetchTimeout;
      metricsPeriod = c.metricsPeriod;
      edgeId = c.edgeId;
      maxBatchSize = c.maxBatchSize;
      maxBatchDelay = c.maxBatchDelay;
      dashboard = c.dashboard;
      idleLoading = c.idleLoading;
    }
  }

  /** For the start-up print; the token is never shown. */
  public String describe() {
    return "http "
        + host
        + ":"
        + httpPort
        + ", admin API "
        + (adminToken == null ? "disabled (no token)" : "enabled (bearer token)")
        + ", "
        + workerThreads
        + " inference workers, queue "
        + queueCapacity
        + ", "
        + intraOpThreads
        + " intra-op thread(s) per session, body limit "
        + maxBodyBytes
        + " bytes, variant "
        + variant
        + ", model loading at "
        + (idleLoading ? "idle" : "normal")
        + " priority";
  }
}
