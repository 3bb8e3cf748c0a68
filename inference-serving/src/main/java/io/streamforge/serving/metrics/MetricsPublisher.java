package io.streamforge.serving.metrics;

import io.streamforge.schemas.Topics;
import io.streamforge.schemas.records.MetricPoint;
import io.streamforge.serving.model.ModelId;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends per-second aggregates to {@code metrics}: one Arrow batch per model each second, keyed by
 * model name, with {@code request_count}, {@code error_count}, {@code latency_p50_ms}, {@code
 * latency_p95_ms} and {@code latency_p99_ms} per version and variant (labels {@code model}, {@code
 * version}, {@code variant}, {@code edge}).
 */
public final class MetricsPublisher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MetricsPublisher.class);

  private final EdgeMetrics metrics;
  private final Producer<String, byte[]> producer;
  private final String edgeId;
  private final ScheduledExecutorService timer;
  private final Serializer<List<MetricPoint>> serializer = Topics.METRICS.valueSerde().serializer();

  public MetricsPublisher(
      EdgeMetrics metrics, Producer<String, byte[]> producer, String edgeId, long periodMillis) {
    this.metrics = metrics;
    this.producer = producer;
    this.edgeId = edgeId;
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "edge-metrics");
              t.setDaemon(true);
              return t;
            });
    timer.scheduleAtFixedRate(
        this::publishSafely, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
  }

  private void publishSafely() {
    try {
      publish();
    } catch (RuntimeException e) {
      log.warn("cannot publish edge metrics: {}", e.toString());
    }
  }

  /** Publishes the current windows now. */
  public void publish() {
    Map<ModelId, EdgeMetrics.Aggregate> windows = metrics.drain();
    if (windows.isEmpty()) {
      return;
    }
    Instant now = Instant.now();
    long second = now.getEpochSecond();
    Map<String, List<MetricPoint>> byModel = new HashMap<>();
    for (var e : windows.entrySet()) {
      ModelId id = e.getKey();
      EdgeMetrics.Aggregate a = e.getValue();
      Map<String, String> labels =
          Map.of(
              "model", id.model(),
              "version", Integer.toString(id.version()),
              "variant", id.variant(),
              "edge", edgeId);
      String run = id.model() + ":" + id.version();
      List<MetricPoint> points = byModel.computeIfAbsent(id.model(), k -> new ArrayList<>());
      points.add(new MetricPoint("edge", run, second, "request_count", a.count(), now, labels));
      points.add(new MetricPoint("edge", run, second, "error_count", a.errors(), now, labels));
      points.add(new MetricPoint("edge", run, second, "latency_p50_ms", a.p50Ms(), now, labels));
      points.add(new MetricPoint("edge", run, second, "latency_p95_ms", a.p95Ms(), now, labels));
      points.add(new MetricPoint("edge", run, second, "latency_p99_ms", a.p99Ms(), now, labels));
    }
    String topic = Topics.METRICS.name();
    for (var e : byModel.entrySet()) {
      producer.send(
          new ProducerRecord<>(topic, e.getKey(), serializer.serialize(topic, e.getValue())),
          (md, ex) -> {
            if (ex != null) {
              log.warn("edge metrics for {} not sent: {}", e.getKey(), ex.toString());
            }
          });
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
    publishSafely();
  }
}
