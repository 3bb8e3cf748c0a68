package io.streamforge.training.quant;

import io.streamforge.arrowio.dataset.DatasetUnavailableException;
import io.streamforge.arrowio.dataset.KafkaClients;
import io.streamforge.arrowio.models.ArtifactException;
import io.streamforge.arrowio.models.ModelArtifacts;
import io.streamforge.arrowio.models.ModelRegistry;
import io.streamforge.schemas.Topics;
import io.streamforge.schemas.records.ModelEvent;
import io.streamforge.schemas.records.TrainingJob;
import io.streamforge.training.core.UnusableJobException;
import io.streamforge.training.data.KafkaBatchFeed;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs quantization against a cluster: the fp32 model from the registry and {@code
 * model.artifacts}, its dataset version from Kafka (validation rows, calibration sample, the
 * training rows for fine-tuning), the {@link Quantizer}, then each accepted variant published
 * through the normal artifact path with a {@code REGISTERED} event (same version as the parent,
 * {@code variant} = the method, {@code parentVersion} = the version).
 *
 * <p>A quantization job is a {@code TrainingJob} on {@code training.jobs} whose {@code params} hold
 * {@code kind=quantize} and {@code version=<fp32 version of the job's model>} plus the options of
 * {@link QuantizationOptions#fromParams}. Reruns are idempotent: a variant already registered for
 * that version (and not {@code FAILED}) is neither made nor published again; its row in the report
 * comes from its registry event.
 */
public final class QuantizeRunner {
  private static final Logger log = LoggerFactory.getLogger(QuantizeRunner.class);

  /** The {@code kind} param of a quantization job. */
  public static final String KIND = "quantize";

  /** The base variant the parent is registered as. */
  public static final String PARENT_VARIANT = "fp32";

  private static final Duration FETCH_TIMEOUT = Duration.ofSeconds(60);

  private final KafkaClients clients;
  private final Producer<String, byte[]> producer;
  private final BufferAllocator allocator;

  /**
   * The outcome.
   *
   * @param report the comparison: fp32, then every asked-for method (made now or already there)
   * @param published the events of the variants published by this run
   * @param alreadyRegistered methods skipped because their variant was registered before
   */
  public record Outcome(
      QuantizationReport report, List<ModelEvent> published, List<String> alreadyRegistered) {}

  public QuantizeRunner(
      KafkaClients clients, Producer<String, byte[]> producer, BufferAllocator allocator) {
    this.clients = clients;
    this.producer = producer;
    this.allocator = allocator;
  }

  /** Whether a job asks for quantization rather than training. */
  public static boolean isQuantizeJob(TrainingJob job) {
    return job.params() != null
        && KIND.equalsIgnoreCase(String.valueOf(job.params().get("kind")).trim());
  }

  /** A quantization job for {@code model} version {@code version}. */
  public static TrainingJob job(
      String jobId, String workflowId, String model, int version, QuantizationOptions options) {
    Map<String, String> params = new java.util.LinkedHashMap<>();
    params.put("kind", KIND);
    params.put("version", Integer.toString(version));
    params.putAll(options.toParams());
    return io.streamforge.training.JobSpecs.paramsOnly(jobId, workflowId, model, params);
  }

  /**
   * Runs a quantization job and publishes what passes.
   *
   * @throws UnusableJobException for a job that cannot run (no model or version, bad params, no
   *     registered fp32 parent, its dataset gone)
   */
  public Outcome run(TrainingJob job) {
    if (job.model() == null || job.model().isBlank()) {
      throw new UnusableJobException("model name is missing");
    }
    Map<String, String> params = job.params();
    String v = params.get("version");
    int version;
    try {
      version = Integer.parseInt(v == null ? "" : v.trim());
    } catch (NumberFormatException e) {
      throw new UnusableJobException(
          "quantization job needs params.version, the fp32 version of model "
              + job.model()
              + "; got '"
              + v
              + "'");
    }
    for (String key : params.keySet()) {
      if (!key.equals("kind")
          && !key.equals("version")
          && !QuantizationOptions.PARAMS.contains(key)) {
        throw new UnusableJobException(
            "unknown quantization param '"
                + key
                + "'; params: kind, version, "
                + String.join(", ", new java.util.TreeSet<>(QuantizationOptions.PARAMS)));
      }
    }
    QuantizationOptions options;
    try {
      options = QuantizationOptions.fromParams(params);
    } catch (IllegalArgumentException e) {
      throw new UnusableJobException(e.getMessage(), e);
    }
    return run(job.model(), version, options, true, job.jobId());
  }

  /**
   * Quantizes {@code model} v{@code version}.
   *
   * @param publish whether accepted variants are published (else only reported)
   * @param jobId the job to name in registry events
   */
  public Outcome run(
      String model, int version, QuantizationOptions options, boolean publish, String jobId) {
    ModelRegistry registry = ModelRegistry.load(clients);
    ModelEvent parentEvent =
        registry
            .event(model, version, PARENT_VARIANT)
            .filter(e -> e.status() != ModelEvent.ModelStatus.FAILED)
            .orElseThrow(
                () ->
                    new UnusableJobException(
                        "model "
                            + model
                            + " has no registered "
                            + PARENT_VARIANT
                            + " version "
                            + version
                            + " to quantize"));
    List<QuantMethod> toMake = new ArrayList<>();
    Map<QuantMethod, ModelEvent> existing = new HashMap<>();
    for (QuantMethod m : options.methods()) {
      Optional<ModelEvent> e =
          registry
              .event(model, version, m.id())
              .filter(x -> x.status() != ModelEvent.ModelStatus.FAILED);
      if (publish && e.isPresent()) {
        existing.put(m, e.get());
      } else {
        toMake.add(m);
      }
    }
    Quantizer.Result result = null;
    if (!toMake.isEmpty()) {
      byte[] onnx;
      try {
        onnx =
            ModelArtifacts.fetch(
                clients, model, version, PARENT_VARIANT, parentEvent.sha256(), FETCH_TIMEOUT);
      } catch (ArtifactException e) {
        if (e.retriable()) {
          throw e;
        }
        throw new UnusableJobException(
            "the fp32 artifact of " + model + " v" + version + " is unusable: " + e.getMessage(),
            e);
      }
      ParentModel parent = ParentModel.read(model, version, onnx, parentEvent.sha256());
      KafkaBatchFeed feed;
      try {
        feed =
            new KafkaBatchFeed(
                clients,
                parent.dataset(),
                parent.datasetVersion(),
                parent.features(),
                parent.label(),
                allocator,
                4);
      } catch (DatasetUnavailableException | IllegalArgumentException e) {
        throw new UnusableJobException(
            "the data of "
                + model
                + " v"
                + version
                + " ("
                + parent.dataset()
                + " v"
                + parent.datasetVersion()
                + ") cannot be read: "
                + e.getMessage(),
            e);
      }
      try (feed) {
        EvaluationData data =
            EvaluationData.load(
                feed, parent.validationFraction(), options.calibrationRows(), parent.seed());
        result = Quantizer.run(parent, data, feed, options.withMethods(toMake));
      }
    }
    List<ModelEvent> published = new ArrayList<>();
    if (publish && result != null) {
      int partitions = producer.partitionsFor(Topics.MODEL_ARTIFACTS.name()).size();
      for (Quantizer.Variant variant : result.variants()) {
        if (!variant.accepted()) {
          continue;
        }
        String sha =
            ModelArtifacts.publish(
                producer, partitions, model, version, variant.method().id(), variant.artifact());
        ModelEvent event =
            new ModelEvent(
                model,
                version,
                variant.method().id(),
                variant.format(),
                ModelEvent.ModelStatus.REGISTERED,
                sha,
                variant.artifact().length,
                variant.metrics(),
                version,
                jobId,
                "quantized from v" + version + " " + PARENT_VARIANT + ": " + variant.row().reason(),
                Instant.now());
        send(event);
        published.add(event);
        log.info("registered {} ({} bytes)", event.key(), variant.artifact().length);
      }
    }
    return new Outcome(
        report(model, version, parentEvent, options, result, existing),
        published,
        existing.keySet().stream().map(QuantMethod::id).toList());
  }

  private static QuantizationReport report(
      String model,
      int version,
      ModelEvent parentEvent,
      QuantizationOptions options,
      Quantizer.Result result,
      Map<QuantMethod, ModelEvent> existing) {
    String metricName =
        result != null
            ? result.report().metricName()
            : parentEvent.metrics() != null && parentEvent.metrics().containsKey("val_rmse")
                ? "val_rmse"
                : "val_accuracy";
    List<QuantizationReport.Row> rows = new ArrayList<>();
    if (result != null) {
      rows.add(result.report().baseline());
    } else {
      double metric =
          parentEvent.metrics() == null
              ? Double.NaN
              : parentEvent.metrics().getOrDefault(metricName, Double.NaN);
      rows.add(
          new QuantizationReport.Row(
              QuantizationReport.BASELINE,
              true,
              "parent",
              parentEvent.sizeBytes(),
              1.0,
              metric,
              0.0,
              Double.NaN,
              Double.NaN,
              1.0,
              1.0,
              Double.NaN));
    }
    for (QuantMethod m : options.methods()) {
      ModelEvent e = existing.get(m);
      if (e != null) {
        Map<String, Double> x = e.metrics() == null ? Map.of() : e.metrics();
        rows.add(
            new QuantizationReport.Row(
                m.id(),
                true,
                "already registered (job " + e.jobId() + ")",
                e.sizeBytes(),
                x.getOrDefault("size_ratio", Double.NaN),
                x.getOrDefault(metricName, Double.NaN),
                x.getOrDefault("accuracy_delta", Double.NaN),
                x.getOrDefault("latency_b1_ms", Double.NaN),
                x.getOrDefault("latency_b64_ms", Double.NaN),
                x.getOrDefault("speedup_b1", Double.NaN),
                x.getOrDefault("speedup_b64", Double.NaN),
                x.getOrDefault("agreement", Double.NaN)));
        continue;
      }
      for (QuantizationReport.Row r : result.report().variants()) {
        if (r.variant().equals(m.id())) {
          rows.add(r);
        }
      }
    }
    return new QuantizationReport(model, version, metricName, rows);
  }

  private void send(ModelEvent event) {
    String topic = Topics.MODELS.name();
    try {
      producer
          .send(
              new ProducerRecord<>(
                  topic,
                  event.key(),
                  Topics.MODELS.valueSerde().serializer().serialize(topic, event)))
          .get(60, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted sending to " + topic, e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(
          "cannot send " + event.key() + " to " + topic + ": " + e.getMessage(), e);
    }
  }
}
