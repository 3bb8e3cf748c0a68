package io.streamforge.training.ensemble;

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
import io.streamforge.training.quant.EvaluationData;
import io.streamforge.training.quant.ParentModel;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs ensembling jobs against a cluster: the members' fp32 artifacts from the registry and {@code
 * model.artifacts}, the validation rows of their dataset version from Kafka, {@link Ensembling},
 * then a kept ensemble published through the normal artifact path as a new fp32 version of the
 * job's model with a {@code REGISTERED} event.
 *
 * <p>An ensembling job is a {@code TrainingJob} on {@code training.jobs} whose {@code params} hold
 * {@code kind=ensemble}, {@code members=model:version,...} (at least two registered fp32 models)
 * and optionally {@code method=output-average|weight-average}; {@code job.model()} names the model
 * the ensemble is registered under. Redelivery is harmless: when the model already has a version
 * registered by this job, that version is reported (with the report stored in its metadata) and
 * nothing is registered again.
 */
public final class EnsembleRunner {
  private static final Logger log = LoggerFactory.getLogger(EnsembleRunner.class);

  /** The {@code kind} param of an ensembling job. */
  public static final String KIND = "ensemble";

  /** Params an ensembling job may have. */
  public static final Set<String> PARAMS = Set.of("kind", "members", "method");

  /** The variant members are read as and the ensemble is registered as. */
  public static final String VARIANT = "fp32";

  public static final String FORMAT = "onnx";

  private static final Duration FETCH_TIMEOUT = Duration.ofSeconds(60);

  private final KafkaClients clients;
  private final Producer<String, byte[]> producer;
  private final BufferAllocator allocator;

  /**
   * The outcome of a job.
   *
   * @param report the verdict
   * @param event the ensemble's registry event when it was kept (now or by an earlier delivery of
   *     the job), else null
   * @param alreadyRegistered whether {@code event} was registered by an earlier delivery
   * @param metrics the status's metrics (the ensemble's when kept, else the best single member's)
   */
  public record Outcome(
      EnsembleReport report,
      ModelEvent event,
      boolean alreadyRegistered,
      Map<String, Double> metrics) {}

  public EnsembleRunner(
      KafkaClients clients, Producer<String, byte[]> producer, BufferAllocator allocator) {
    this.clients = clients;
    this.producer = producer;
    this.allocator = allocator;
  }

  /** Whether a job asks for an ensemble rather than training. */
  public static boolean isEnsembleJob(TrainingJob job) {
    return job.params() != null
        && KIND.equalsIgnoreCase(String.valueOf(job.params().get("kind")).trim());
  }

  /**
   * An ensembling job: the ensemble of {@code members} by {@code method}, registered as a new
   * version of {@code model} when it beats the best member.
   */
  public static TrainingJob job(
      String jobId,
      String workflowId,
      String model,
      List<MemberRef> members,
      EnsembleMethod method) {
    Map<String, String> params = new LinkedHashMap<>();
    params.put("kind", KIND);
    params.put("members", MemberRef.toCsv(members));
    params.put("method", method.id());
    return io.streamforge.training.JobSpecs.paramsOnly(jobId, workflowId, model, params);
  }

  /**
   * Runs an ensembling job.
   *
   * @throws UnusableJobException for a job that cannot run: no model name, bad params, a member
   *     that is not a registered fp32 model, members that disagree on their data, the dataset gone
   * @throws io.streamforge.training.onnx.ParityException when the built ensemble does not compute
   *     what was judged
   */
  public Outcome run(TrainingJob job) {
    if (job.model() == null || job.model().isBlank()) {
      throw new UnusableJobException(
          "model name is missing: an ensembling job registers the ensemble under job.model");
    }
    Map<String, String> params = job.params();
    for (String key : params.keySet()) {
      if (!PARAMS.contains(key)) {
        throw new UnusableJobException(
            "unknown ensembling param '"
                + key
                + "'; params: "
                + String.join(", ", new java.util.TreeSet<>(PARAMS)));
      }
    }
    List<MemberRef> refs;
    EnsembleMethod method;
    try {
      refs = MemberRef.parseList(params.get("members"));
      method =
          params.containsKey("method")
              ? EnsembleMethod.parse(params.get("method"))
              : EnsembleMethod.OUTPUT_AVERAGE;
    } catch (IllegalArgumentException e) {
      throw new UnusableJobException(e.getMessage(), e);
    }
    ModelRegistry registry = ModelRegistry.load(clients);
    Optional<ModelEvent> done =
        registry.events(job.model()).stream()
            .filter(e -> job.jobId().equals(e.jobId()))
            .filter(e -> e.status() != ModelEvent.ModelStatus.FAILED)
            .findFirst();
    if (done.isPresent()) {
      return alreadyRegistered(done.get());
    }

    List<ParentModel> members = new ArrayList<>();
    for (MemberRef ref : refs) {
      members.add(member(registry, ref));
    }
    Compatibility c = Compatibility.of(members);
    ParentModel first = members.get(0);
    KafkaBatchFeed feed;
    try {
      feed =
          new KafkaBatchFeed(
              clients, c.dataset(), c.datasetVersion(), c.features(), c.label(), allocator, 4);
    } catch (DatasetUnavailableException | IllegalArgumentException e) {
      throw new UnusableJobException(
          "the members' data ("
              + c.dataset()
              + " v"
              + c.datasetVersion()
              + ") cannot be read: "
              + e.getMessage(),
          e);
    }
    Ensembling.Result result;
    try (feed) {
      EvaluationData data = EvaluationData.load(feed, c.validationFraction(), 0, first.seed());
      result = Ensembling.run(members, data, method, job.model(), job.jobId());
    }
    if (!result.kept()) {
      return new Outcome(result.report(), null, false, result.metrics());
    }
    int version = ModelRegistry.claimVersion(clients, producer, job.model(), VARIANT, job.jobId());
    int partitions = producer.partitionsFor(Topics.MODEL_ARTIFACTS.name()).size();
    String sha =
        ModelArtifacts.publish(producer, partitions, job.model(), version, VARIANT, result.onnx());
    ModelEvent event =
        new ModelEvent(
            job.model(),
            version,
            VARIANT,
            FORMAT,
            ModelEvent.ModelStatus.REGISTERED,
            sha,
            result.onnx().length,
            result.metrics(),
            null,
            job.jobId(),
            "ensemble of " + MemberRef.toCsv(refs) + ": " + result.report().reason(),
            Instant.now());
    send(event);
    log.info(
        "job {}: registered ensemble {} ({} bytes, sha256 {})",
        job.jobId(),
        event.key(),
        result.onnx().length,
        sha);
    return new Outcome(result.report(), event, false, result.metrics());
  }

  /** A redelivered job whose ensemble is registered: its report from the artifact's metadata. */
  private Outcome alreadyRegistered(ModelEvent e) {
    byte[] onnx = fetch(e.model(), e.version(), e.sha256());
    EnsembleReport report =
        Ensembling.reportOf(onnx)
            .orElseThrow(
                () ->
                    new UnusableJobException(
                        e.key()
                            + " was registered by job "
                            + e.jobId()
                            + " but carries no ensemble report"));
    log.info("job {} already registered {}; not registering it again", e.jobId(), e.key());
    return new Outcome(report, e, true, e.metrics());
  }

  private ParentModel member(ModelRegistry registry, MemberRef ref) {
    ModelEvent event =
        registry
            .event(ref.model(), ref.version(), VARIANT)
            .filter(e -> e.status() != ModelEvent.ModelStatus.FAILED)
            .orElseThrow(
                () ->
                    new UnusableJobException(
                        "ensemble member "
                            + ref
                            + " is not a registered "
                            + VARIANT
                            + " model (no such version, or it failed)"));
    return ParentModel.read(
        ref.model(),
        ref.version(),
        fetch(ref.model(), ref.version(), event.sha256()),
        event.sha256());
  }

  private byte[] fetch(String model, int version, String sha256) {
    try {
      return ModelArtifacts.fetch(clients, model, version, VARIANT, sha256, FETCH_TIMEOUT);
    } catch (ArtifactException e) {
      if (e.retriable()) {
        throw e;
      }
      throw new UnusableJobException(
          "the "
              + VARIANT
              + " artifact of "
              + model
              + ":"
              + version
              + " is unusable: "
              + e.getMessage(),
          e);
    }
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
