package io.streamforge.training.worker;

import io.streamforge.arrowio.dataset.KafkaClients;
import io.streamforge.arrowio.models.ArtifactException;
import io.streamforge.arrowio.models.ModelArtifacts;
import io.streamforge.schemas.Topics;
import io.streamforge.training.core.CheckpointStore;
import java.time.Duration;
import java.util.Optional;
import org.apache.kafka.clients.producer.Producer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checkpoints on {@code model.artifacts}, as the artifact {@code checkpoint.<jobId>:1:checkpoint}
 * (chunked, with its sha256, like every artifact): each save uploads it again, and a fetch reads
 * the last complete upload, so any worker can resume the job. The topic is compacted, so only the
 * latest upload's chunks stay.
 */
final class KafkaCheckpointStore implements CheckpointStore {
  private static final Logger log = LoggerFactory.getLogger(KafkaCheckpointStore.class);
  static final String VARIANT = "checkpoint";

  private final KafkaClients clients;
  private final Producer<String, byte[]> producer;

  KafkaCheckpointStore(KafkaClients clients, Producer<String, byte[]> producer) {
    this.clients = clients;
    this.producer = producer;
  }

  static String artifactModel(String jobId) {
    return "checkpoint." + jobId;
  }

  @Override
  public void save(String jobId, byte[] checkpoint) {
    int partitions = producer.partitionsFor(Topics.MODEL_ARTIFACTS.name()).size();
    ModelArtifacts.publish(producer, partitions, artifactModel(jobId), 1, VARIANT, checkpoint);
  }

  @Override
  public Optional<byte[]> latest(String jobId) {
    try {
      return Optional.of(
          ModelArtifacts.fetch(
              clients, artifactModel(jobId), 1, VARIANT, null, Duration.ofSeconds(30)));
    } catch (ArtifactException e) {
      if (e.getMessage() != null && e.getMessage().contains("not found")) {
        return Optional.empty();
      }
      log.warn(
          "job {}: checkpoint unusable ({}); starting from the beginning", jobId, e.getMessage());
      return Optional.empty();
    }
  }
}
