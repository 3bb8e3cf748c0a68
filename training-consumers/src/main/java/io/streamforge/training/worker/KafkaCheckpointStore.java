package io.streamforge.training.worker;

import io.streamforge.arrowio.dataset.KafkaClients;
import io.streamforge.arrowio.models.ArtifactException;
import io.streamforge.arrowio.models.ModelArtifacts;
import io.streamforge.schemas.KafkaUnavailableException;
import io.streamforge.schemas.Topics;
import io.streamforge.training.core.CheckpointStore;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.producer.Producer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checkpoints on {@code model.artifacts}, in two alternating slots: the artifacts {@code
 * checkpoint.<jobId>:1:checkpoint} and {@code checkpoint.<jobId>:2:checkpoint}, chunked with the
 * sha256 of the whole like every artifact. Each upload carries a sequence number one above the
 * newest complete checkpoint's and goes to the other slot, so the newest complete checkpoint is
 * never overwritten. A load reads both slots, keeps those that are complete and match their sha256,
 * and returns the one with the highest sequence: a worker killed in the middle of an upload leaves
 * at worst that slot incomplete, and the resume starts from the previous checkpoint rather than
 * from epoch 1. The topic is compacted, so each slot keeps its latest upload's chunks.
 *
 * <p>Each upload is {@code "SFC2"}, the sequence number (8 bytes, big-endian), then the checkpoint.
 * A slot-1 artifact without that prefix (written before slots existed) reads as sequence 0.
 */
final class KafkaCheckpointStore implements CheckpointStore {
  private static final Logger log = LoggerFactory.getLogger(KafkaCheckpointStore.class);
  static final String VARIANT = "checkpoint";
  static final int SLOTS = 2;
  private static final int MAGIC = 0x53464332; // "SFC2"
  private static final int HEADER = 12;
  private static final Duration FETCH_TIMEOUT = Duration.ofSeconds(30);

  private final KafkaClients clients;
  private final Producer<String, byte[]> producer;

  /** Per job: the slot and sequence of its newest complete checkpoint (slot 0: none). */
  private final Map<String, Newest> newest = new ConcurrentHashMap<>();

  private record Newest(int slot, long sequence) {}

  /** A complete checkpoint found in a slot. */
  record Found(int slot, long sequence, byte[] checkpoint) {}

  KafkaCheckpointStore(KafkaClients clients, Producer<String, byte[]> producer) {
    this.clients = clients;
    this.producer = producer;
  }

  static String artifactModel(String jobId) {
    return "checkpoint." + jobId;
  }

  @Override
  public void save(String jobId, byte[] checkpoint) {
    Newest n = newest.computeIfAbsent(jobId, id -> newest(find(id)));
    int slot = n.slot() == 1 ? 2 : 1;
    long sequence = n.sequence() + 1;
    int partitions = producer.partitionsFor(Topics.MODEL_ARTIFACTS.name()).size();
    ModelArtifacts.publish(
        producer, partitions, artifactModel(jobId), slot, VARIANT, wrap(sequence, checkpoint));
    newest.put(jobId, new Newest(slot, sequence));
  }

  @Override
  public Optional<byte[]> latest(String jobId) {
    Optional<Found> found = find(jobId);
    newest.put(jobId, newest(found));
    return found.map(Found::checkpoint);
  }

  private static Newest newest(Optional<Found> found) {
    return found.map(f -> new Newest(f.slot(), f.sequence())).orElse(new Newest(0, 0));
  }

  /**
   * The newest complete checkpoint of the job over both slots. A slot that is incomplete or does
   * not match its sha256 is passed over (with a warning); a slot that cannot be read for want of
   * the cluster fails the load, rather than restart the job from the beginning.
   *
   * @throws KafkaUnavailableException when a slot cannot be read in time
   */
  Optional<Found> find(String jobId) {
    Found best = null;
    for (int slot = 1; slot <= SLOTS; slot++) {
      byte[] bytes;
      try {
        bytes =
            ModelArtifacts.fetch(clients, artifactModel(jobId), slot, VARIANT, null, FETCH_TIMEOUT);
      } catch (ArtifactException e) {
        String why = String.valueOf(e.getMessage());
        if (why.contains("not found") || why.contains("does not exist")) {
          continue;
        }
        if (e.retriable()) {
          throw new KafkaUnavailableException(
              "cannot read checkpoint slot " + slot + " of job " + jobId + ": " + why, e);
        }
        log.warn(
            "job {}: checkpoint slot {} is unusable ({}); looking at the other", jobId, slot, why);
        continue;
      }
      Found f = unwrap(slot, bytes);
      if (best == null || f.sequence() > best.sequence()) {
        best = f;
      }
    }
    if (best != null) {
      log.info(
          "job {}: newest complete checkpoint is number {} (slot {}, {} bytes)",
          jobId,
          best.sequence(),
          best.slot(),
          best.checkpoint().length);
    }
    return Optional.ofNullable(best);
  }

  static byte[] wrap(long sequence, byte[] checkpoint) {
    return ByteBuffer.allocate(HEADER + checkpoint.length)
        .putInt(MAGIC)
        .putLong(sequence)
        .put(checkpoint)
        .array();
  }

  static Found unwrap(int slot, byte[] bytes) {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    if (bytes.length >= HEADER && b.getInt(0) == MAGIC) {
      return new Found(slot, b.getLong(4), Arrays.copyOfRange(bytes, HEADER, bytes.length));
    }
    return new Found(slot, 0, bytes); // written before slots existed
  }
}
