package io.streamforge.arrowio.models;

import io.streamforge.arrowio.dataset.KafkaClients;
import io.streamforge.arrowio.dataset.TopicSnapshot;
import io.streamforge.schemas.Topics;
import io.streamforge.schemas.records.ModelEvent;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * A snapshot of {@code models}: the latest event of every {@code model:version:variant}, as of the
 * moment it was loaded.
 */
public final class ModelRegistry {
  private final Map<String, ModelEvent> latest;

  private ModelRegistry(Map<String, ModelEvent> latest) {
    this.latest = latest;
  }

  /** Reads {@code models} from the beginning to its current end. */
  public static ModelRegistry load(KafkaClients clients) {
    Map<String, ModelEvent> latest = new TreeMap<>();
    TopicSnapshot.read(clients, Topics.MODELS, (key, event) -> latest.put(event.key(), event));
    return new ModelRegistry(latest);
  }

  /** Model names, sorted. */
  public List<String> models() {
    return latest.values().stream().map(ModelEvent::model).distinct().sorted().toList();
  }

  /** Every version and variant of {@code model}, by version then variant. */
  public List<ModelEvent> events(String model) {
    List<ModelEvent> out = new ArrayList<>();
    for (ModelEvent e : latest.values()) {
      if (e.model().equals(model)) {
        out.add(e);
      }
    }
    out.sort(Comparator.comparingInt(ModelEvent::version).thenComparing(ModelEvent::variant));
    return out;
  }

  /** The latest event of one version and variant. */
  public Optional<ModelEvent> event(String model, int version, String variant) {
    return Optional.ofNullable(latest.get(ModelEvent.key(model, version, variant)));
  }

  /**
   * The highest version of {@code model} with {@code variant} that neither failed nor was rolled
   * back.
   */
  public Optional<ModelEvent> latestServable(String model, String variant) {
    return events(model).stream()
        .filter(e -> e.variant().equals(variant))
        .filter(e -> e.status() != ModelEvent.ModelStatus.FAILED)
        .filter(e -> e.status() != ModelEvent.ModelStatus.ROLLED_BACK)
        .max(Comparator.comparingInt(ModelEvent::version));
  }

  /** The version the next model of this name gets: one above every version seen. */
  public int nextVersion(String model) {
    return events(model).stream().mapToInt(ModelEvent::version).max().orElse(0) + 1;
  }

  /** Reason prefix of a claim: a version taken by a job that has not registered it yet. */
  public static final String CLAIM_REASON = "claimed by job ";

  /**
   * Claims the next version of {@code model} for {@code jobId}, safely against other jobs claiming
   * at the same time: it writes a claim ({@code FAILED}, so that nothing serves it, reason {@code
   * claimed by job ...}) for the next free version, then reads {@code models} (one partition, so
   * one order for everybody) and keeps the version only if its claim is the first record of that
   * key; otherwise it tries the next version. The caller then publishes the artifact and the {@code
   * REGISTERED} event of that version, which replace the claim. A job that claimed before (a worker
   * that died and a job resumed elsewhere) gets its version back.
   *
   * @throws IllegalStateException when the claim cannot be written or no version is won in 20
   *     attempts
   */
  public static int claimVersion(
      KafkaClients clients,
      Producer<String, byte[]> producer,
      String model,
      String variant,
      String jobId) {
    String topic = Topics.MODELS.name();
    for (int attempt = 0; attempt < 20; attempt++) {
      Claims claims = Claims.read(clients, model, variant);
      Integer mine = claims.wonBy(jobId);
      if (mine != null) {
        return mine;
      }
      int version = claims.highest() + 1;
      ModelEvent claim =
          new ModelEvent(
              model,
              version,
              variant,
              "onnx",
              ModelEvent.ModelStatus.FAILED,
              null,
              0,
              Map.of(),
              null,
              jobId,
              CLAIM_REASON + jobId + ": not registered yet",
              java.time.Instant.now());
      try {
        producer
            .send(
                new ProducerRecord<>(
                    topic,
                    claim.key(),
                    Topics.MODELS.valueSerde().serializer().serialize(topic, claim)))
            .get(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while claiming " + claim.key(), e);
      } catch (ExecutionException | TimeoutException e) {
        throw new IllegalStateException("cannot claim " + claim.key() + ": " + e.getMessage(), e);
      }
    }
    throw new IllegalStateException(
        "no version of " + model + " could be claimed for job " + jobId + " in 20 attempts");
  }

  /**
   * The first writer of every version of one model and variant, in the order of {@code models} (one
   * partition), and the highest version of the model in any variant.
   */
  private record Claims(Map<Integer, String> firstWriter, int highest) {
    static Claims read(KafkaClients clients, String model, String variant) {
      Map<Integer, String> first = new TreeMap<>();
      int[] highest = {0};
      TopicSnapshot.read(
          clients,
          Topics.MODELS,
          (k, e) -> {
            if (!e.model().equals(model)) {
              return;
            }
            highest[0] = Math.max(highest[0], e.version());
            if (e.variant().equals(variant)) {
              first.putIfAbsent(e.version(), e.jobId() == null ? "" : e.jobId());
            }
          });
      return new Claims(first, highest[0]);
    }

    /** The version whose first record {@code jobId} wrote, or null. */
    Integer wonBy(String jobId) {
      for (var e : firstWriter.entrySet()) {
        if (jobId.equals(e.getValue())) {
          return e.getKey();
        }
      }
      return null;
    }
  }
}
