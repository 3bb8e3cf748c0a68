package io.streamforge.serving.metrics;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.streamforge.serving.model.ModelId;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntSupplier;

/**
 * The edge's metrics: Prometheus series for {@code /metrics}, and per-second windows per model
 * version and variant (count, errors, latencies) that {@link MetricsPublisher} sends to Kafka.
 */
public final class EdgeMetrics {
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
  private final Counter requests;
  private final Histogram latency;
  private final Histogram batchSize;
  private final Gauge loadSeconds;
  private final Counter loadFailures;
  private final Counter swaps;
  private final Counter streamDrops;
  private volatile IntSupplier streamClients = () -> 0;
  private final ConcurrentHashMap<ModelId, Window> windows = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<ModelId, Series> series = new ConcurrentHashMap<>();

  /**
   * @param queueDepth how many inference tasks wait or run right now
   */
  public EdgeMetrics(IntSupplier queueDepth) {
    requests =
        Counter.builder()
            .name("streamforge_edge_requests")
            .help("Inference requests answered, by model, version, variant and HTTP status")
            .labelNames("model", "version", "variant", "status")
            .register(registry);
    latency =
        Histogram.builder()
            .name("streamforge_edge_request_duration_seconds")
            .help("Inference latency from the request's arrival to its response")
            .labelNames("model", "version", "variant")
            .classicOnly()
            .classicUpperBounds(
                0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5)
            .register(registry);
    batchSize =
        Histogram.builder()
            .name("streamforge_edge_batch_size")
            .help("Requests per model run (1 without dynamic batching)")
            .labelNames("model", "version")
            .classicOnly()
            .classicUpperBounds(1, 2, 4, 8, 16, 32, 64)
            .register(registry);
    GaugeWithCallback.builder()
        .name("streamforge_edge_queue_depth")
        .help("Inference tasks queued or running on the worker pool")
        .callback(cb -> cb.call(queueDepth.getAsInt()))
        .register(registry);
    loadSeconds =
        Gauge.builder()
            .name("streamforge_edge_model_load_seconds")
            .help("Time to fetch, verify, load and warm up a model version")
            .labelNames("model", "version", "variant")
            .register(registry);
    loadFailures =
        Counter.builder()
            .name("streamforge_edge_model_load_failures")
            .help("Model versions that failed to fetch, verify or load")
            .labelNames("model", "version", "variant")
            .register(registry);
    swaps =
        Counter.builder()
            .name("streamforge_edge_route_changes")
            .help("Atomic route changes (swaps, canary changes) per model")
            .labelNames("model")
            .register(registry);
    GaugeWithCallback.builder()
        .name("streamforge_edge_stream_clients")
        .help("Open event streams (/api/streams/...)")
        .callback(cb -> cb.call(streamClients.getAsInt()))
        .register(registry);
    streamDrops =
        Counter.builder()
            .name("streamforge_edge_stream_drops")
            .help(
                "Event-stream clients disconnected by the edge: slow (fell behind the live tail by"
                    + " more than their buffer) or stalled (did not read history)")
            .labelNames("reason")
            .register(registry);
  }

  /** Where the number of open event streams comes from. */
  public void streamClients(IntSupplier open) {
    this.streamClients = open;
  }

  /** Counts a stream client the edge disconnected ({@code slow} or {@code stalled}). */
  public void streamDropped(String reason) {
    streamDrops.labelValues(reason).inc();
  }

  /** Records one answered inference request; {@code id} is null when no version was chosen. */
  public void request(String model, ModelId id, int status, long nanos) {
    if (id == null || !id.model().equals(model)) {
      String version = id == null ? "" : Integer.toString(id.version());
      String variant = id == null ? "" : id.variant();
      requests.labelValues(model, version, variant, Integer.toString(status)).inc();
      if (id != null) {
        latency.labelValues(model, version, variant).observe(nanos / 1e9);
        window(id).add(nanos, status >= 400);
      }
      return;
    }
    Series s = series.computeIfAbsent(id, Series::new);
    s.requests(status).inc();
    s.latency.observe(nanos / 1e9);
    window(id).add(nanos, status >= 400);
  }

  private Window window(ModelId id) {
    Window w = windows.get(id);
    return w != null ? w : windows.computeIfAbsent(id, k -> new Window());
  }

  /**
   * The series of one model version and variant, looked up once instead of on every request (a
   * label lookup builds a list of the label values and hashes it).
   */
  private final class Series {
    final String[] labels;
    final DistributionDataPoint latency;
    volatile CounterDataPoint ok;
    final ConcurrentHashMap<Integer, CounterDataPoint> others = new ConcurrentHashMap<>();

    Series(ModelId id) {
      labels = new String[] {id.model(), Integer.toString(id.version()), id.variant()};
      latency = EdgeMetrics.this.latency.labelValues(labels);
    }

    CounterDataPoint requests(int status) {
      if (status == 200) {
        CounterDataPoint c = ok;
        if (c == null) {
          ok = c = counter(200);
        }
        return c;
      }
      return others.computeIfAbsent(status, this::counter);
    }

    private CounterDataPoint counter(int status) {
      return requests.labelValues(labels[0], labels[1], labels[2], Integer.toString(status));
    }
  }

  /**
   * Drops the series of a version and variant whose session has closed: requests by status,
   * latency, load time and batch sizes. Without this, {@code /metrics} would grow with every
   * version ever served. Load failures stay (a version that failed never had a session).
   */
  public void forget(ModelId id) {
    series.remove(id);
    String model = id.model();
    String version = Integer.toString(id.version());
    String variant = id.variant();
    java.util.function.Function<List<String>, Boolean> same =
        l -> l.get(0).equals(model) && l.get(1).equals(version) && l.get(2).equals(variant);
    requests.removeIf(same);
    latency.removeIf(same);
    loadSeconds.removeIf(same);
    batchSize.removeIf(l -> l.get(0).equals(model) && l.get(1).equals(version));
  }

  /** Records a shadow run (the canary's copy): counted in the per-second windows only. */
  public void shadow(ModelId id, long nanos, boolean failed) {
    window(id).add(nanos, failed);
  }

  public void batch(ModelId id, int size) {
    batchSize.labelValues(id.model(), Integer.toString(id.version())).observe(size);
  }

  public void loaded(ModelId id, long millis) {
    loadSeconds
        .labelValues(id.model(), Integer.toString(id.version()), id.variant())
        .set(millis / 1000.0);
  }

  public void loadFailed(ModelId id) {
    loadFailures.labelValues(id.model(), Integer.toString(id.version()), id.variant()).inc();
  }

  public void routeChanged(String model) {
    swaps.labelValues(model).inc();
  }

  /** The Prometheus text exposition of every series. */
  public String scrape() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      writer.write(out, registry.scrape());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString(java.nio.charset.StandardCharsets.UTF_8);
  }

  public String contentType() {
    return writer.getContentType();
  }

  /** Takes the current windows and starts new ones. */
  public Map<ModelId, Aggregate> drain() {
    Map<ModelId, Aggregate> out = new HashMap<>();
    for (ModelId k : new ArrayList<>(windows.keySet())) {
      Window w = windows.remove(k);
      if (w != null) {
        out.put(k, w.aggregate());
      }
    }
    return out;
  }

  /** One window's figures. */
  public record Aggregate(long count, long errors, double p50Ms, double p95Ms, double p99Ms) {}

  private static final class Window {
    private long[] nanos = new long[64];
    private int n;
    private long errors;

    synchronized void add(long latency, boolean error) {
      if (n == nanos.length) {
        nanos = Arrays.copyOf(nanos, n * 2);
      }
      nanos[n++] = latency;
      if (error) {
        errors++;
      }
    }

    synchronized Aggregate aggregate() {
      long[] sorted = Arrays.copyOf(nanos, n);
      Arrays.sort(sorted);
      return new Aggregate(
          n, errors, percentile(sorted, 0.50), percentile(sorted, 0.95), percentile(sorted, 0.99));
    }
  }

  /** Nearest-rank percentile of sorted nanoseconds, in milliseconds. */
  static double percentile(long[] sorted, double q) {
    if (sorted.length == 0) {
      return 0;
    }
    int rank = (int) Math.ceil(q * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))] / 1e6;
  }

  /** Every window's key, for tests. */
  List<ModelId> windowKeys() {
    return List.copyOf(windows.keySet());
  }
}
