package io.streamforge.arrowio.models;

import io.streamforge.arrowio.dataset.KafkaClients;
import io.streamforge.schemas.Topics;
import io.streamforge.schemas.records.ArtifactChunk;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Utils;

/**
 * Model artifacts on {@code model.artifacts}: the bytes of one {@code model:version:variant} split
 * into chunks of at most {@link #CHUNK_BYTES}, each carrying the sha256 of the whole. All chunks of
 * one artifact go to one partition (chosen from the artifact id), so a fetch reads one partition.
 */
public final class ModelArtifacts {
  /** Largest chunk. */
  public static final int CHUNK_BYTES = 512 * 1024;

  private ModelArtifacts() {}

  /** {@code model:version:variant}. */
  public static String artifactId(String model, int version, String variant) {
    return model + ":" + version + ":" + variant;
  }

  /** The sha256 of {@code bytes}, in hex. */
  public static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /**
   * Publishes {@code bytes} as chunks and waits until every chunk is acknowledged.
   *
   * @param producer a producer of String keys and byte[] values (see {@link
   *     KafkaClients#producer(String)})
   * @param partitions the partition count of {@code model.artifacts}
   * @return the sha256 of the artifact
   */
  public static String publish(
      Producer<String, byte[]> producer,
      int partitions,
      String model,
      int version,
      String variant,
      byte[] bytes) {
    Objects.requireNonNull(bytes, "bytes");
    String sha = sha256(bytes);
    String id = artifactId(model, version, variant);
    int partition = partitionOf(id, partitions);
    int count = Math.max(1, (bytes.length + CHUNK_BYTES - 1) / CHUNK_BYTES);
    String topic = Topics.MODEL_ARTIFACTS.name();
    Serializer<ArtifactChunk> serializer = Topics.MODEL_ARTIFACTS.valueSerde().serializer();
    List<Future<RecordMetadata>> sends = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int from = i * CHUNK_BYTES;
      byte[] data = Arrays.copyOfRange(bytes, from, Math.min(bytes.length, from + CHUNK_BYTES));
      ArtifactChunk chunk =
          new ArtifactChunk(model, version, variant, i, count, bytes.length, sha, data);
      sends.add(
          producer.send(
              new ProducerRecord<>(
                  topic, partition, chunk.key(), serializer.serialize(topic, chunk))));
    }
    for (Future<RecordMetadata> f : sends) {
      try {
        f.get(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ArtifactException("interrupted while publishing " + id, e);
      } catch (ExecutionException | TimeoutException e) {
        throw new ArtifactException("cannot publish artifact " + id + ": " + e.getMessage(), e);
      }
    }
    return sha;
  }

  /**
   * Fetches an artifact and checks it: every chunk present, sizes consistent, sha256 equal to the
   * chunks' and, when given, to {@code expectedSha256}.
   *
   * @throws ArtifactException naming the artifact and what is wrong
   */
  public static byte[] fetch(
      KafkaClients clients,
      String model,
      int version,
      String variant,
      String expectedSha256,
      Duration timeout) {
    String id = artifactId(model, version, variant);
    String topic = Topics.MODEL_ARTIFACTS.name();
    Deserializer<ArtifactChunk> deserializer = Topics.MODEL_ARTIFACTS.valueSerde().deserializer();
    Map<String, Object> config = clients.boundedConsumer("streamforge-artifacts");
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config)) {
      List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
      if (infos == null || infos.isEmpty()) {
        throw new ArtifactException(
            "artifact " + id + ": topic " + topic + " does not exist", null, true);
      }
      TopicPartition tp = new TopicPartition(topic, partitionOf(id, infos.size()));
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      long end = consumer.endOffsets(List.of(tp), timeout).get(tp);
      ArtifactChunk[] chunks = null;
      long deadline = System.nanoTime() + timeout.toNanos();
      while (consumer.position(tp) < end) {
        if (System.nanoTime() > deadline) {
          throw new ArtifactException("artifact " + id + ": timed out reading " + tp, null, true);
        }
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          if (r.value() == null || r.key() == null || !r.key().startsWith(id + ":")) {
            continue;
          }
          ArtifactChunk c = deserializer.deserialize(topic, r.value());
          if (!c.model().equals(model) || c.version() != version || !c.variant().equals(variant)) {
            continue;
          }
          if (chunks == null || chunks.length != c.count() || !c.sha256().equals(sha(chunks))) {
            chunks = new ArtifactChunk[c.count()]; // a newer upload of the same id restarts
          }
          if (c.index() < 0 || c.index() >= c.count()) {
            throw new ArtifactException(
                "artifact " + id + ": chunk index " + c.index() + " of " + c.count());
          }
          chunks[c.index()] = c;
        }
      }
      return assemble(id, chunks, expectedSha256);
    } catch (org.apache.kafka.common.errors.TimeoutException e) {
      throw clients.unreachable(e);
    }
  }

  private static String sha(ArtifactChunk[] chunks) {
    for (ArtifactChunk c : chunks) {
      if (c != null) {
        return c.sha256();
      }
    }
    return null;
  }

  static byte[] assemble(String id, ArtifactChunk[] chunks, String expectedSha256) {
    if (chunks == null) {
      throw new ArtifactException(
          "artifact " + id + " not found in " + Topics.MODEL_ARTIFACTS.name(), null, true);
    }
    long total = -1;
    for (int i = 0; i < chunks.length; i++) {
      if (chunks[i] == null) {
        throw new ArtifactException(
            "artifact "
                + id
                + " is incomplete: chunk "
                + i
                + " of "
                + chunks.length
                + " is missing");
      }
      total = chunks[i].totalBytes();
    }
    if (total < 0 || total > Integer.MAX_VALUE) {
      throw new ArtifactException("artifact " + id + ": impossible size " + total);
    }
    byte[] out = new byte[(int) total];
    int at = 0;
    for (ArtifactChunk c : chunks) {
      if (at + c.data().length > out.length) {
        throw new ArtifactException(
            "artifact " + id + ": chunks exceed the declared size " + total);
      }
      System.arraycopy(c.data(), 0, out, at, c.data().length);
      at += c.data().length;
    }
    if (at != total) {
      throw new ArtifactException(
          "artifact " + id + ": chunks hold " + at + " bytes, declared " + total);
    }
    String actual = sha256(out);
    if (!actual.equals(chunks[0].sha256())) {
      throw new ArtifactException(
          "artifact "
              + id
              + " is corrupt: sha256 "
              + actual
              + " but the chunks say "
              + chunks[0].sha256());
    }
    if (expectedSha256 != null && !actual.equals(expectedSha256)) {
      throw new ArtifactException(
          "artifact "
              + id
              + " does not match its registry event: sha256 "
              + actual
              + ", expected "
              + expectedSha256);
    }
    return out;
  }

  static int partitionOf(String id, int partitions) {
    return Utils.toPositive(Utils.murmur2(id.getBytes(StandardCharsets.UTF_8))) % partitions;
  }
}
