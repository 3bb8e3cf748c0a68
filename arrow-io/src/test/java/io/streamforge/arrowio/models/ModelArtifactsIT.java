package io.streamforge.arrowio.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamforge.arrowio.dataset.KafkaClients;
import io.streamforge.schemas.TopicAdmin;
import io.streamforge.schemas.Topics;
import io.streamforge.schemas.records.ArtifactChunk;
import io.streamforge.schemas.records.ModelEvent;
import io.streamforge.testkit.SharedKafka;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Chunked artifacts and the registry snapshot on a real broker. */
@ExtendWith(SharedKafka.class)
class ModelArtifactsIT {
  private static KafkaClients clients;

  @BeforeAll
  static void topics() {
    clients = KafkaClients.of(SharedKafka.cluster().bootstrapServers());
    try (Admin admin = Admin.create(clients.admin())) {
      TopicAdmin.ensure(admin, List.of(Topics.MODEL_ARTIFACTS, Topics.MODELS));
    }
  }

  @Test
  void anArtifactRoundTripsInChunksAndIsVerified(SharedKafka.Cluster cluster) {
    String model = cluster.uniqueName("model");
    byte[] bytes = new byte[1_300_000]; // three chunks, the last one short
    new Random(5).nextBytes(bytes);
    String sha;
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(clients.producer("t"))) {
      sha =
          ModelArtifacts.publish(
              producer, Topics.MODEL_ARTIFACTS.partitions(), model, 1, "fp32", bytes);
    }
    assertThat(sha).isEqualTo(ModelArtifacts.sha256(bytes));
    assertThat(ModelArtifacts.fetch(clients, model, 1, "fp32", sha, Duration.ofSeconds(30)))
        .isEqualTo(bytes);
    assertThatThrownBy(
            () ->
                ModelArtifacts.fetch(
                    clients, model, 1, "fp32", "00" + sha.substring(2), Duration.ofSeconds(30)))
        .isInstanceOf(ArtifactException.class)
        .hasMessageContaining("does not match its registry event");
    assertThatThrownBy(
            () -> ModelArtifacts.fetch(clients, model, 2, "fp32", null, Duration.ofSeconds(30)))
        .hasMessageContaining("artifact " + model + ":2:fp32 not found")
        .satisfies(e -> assertThat(((ArtifactException) e).retriable()).isTrue());
  }

  @Test
  void corruptOrIncompleteArtifactsAreRefused(SharedKafka.Cluster cluster) throws Exception {
    String model = cluster.uniqueName("bad");
    String topic = Topics.MODEL_ARTIFACTS.name();
    var serializer = Topics.MODEL_ARTIFACTS.valueSerde().serializer();
    int partition = ModelArtifacts.partitionOf(ModelArtifacts.artifactId(model, 1, "fp32"), 3);
    int partition2 = ModelArtifacts.partitionOf(ModelArtifacts.artifactId(model, 2, "fp32"), 3);
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(clients.producer("t"))) {
      // version 1: sha256 of something else
      ArtifactChunk wrong =
          new ArtifactChunk(
              model,
              1,
              "fp32",
              0,
              1,
              3,
              ModelArtifacts.sha256(new byte[] {9}),
              new byte[] {1, 2, 3});
      producer
          .send(
              new ProducerRecord<>(
                  topic, partition, wrong.key(), serializer.serialize(topic, wrong)))
          .get();
      // version 2: chunk 1 of 2 missing
      ArtifactChunk half =
          new ArtifactChunk(model, 2, "fp32", 0, 2, 6, "abc", new byte[] {1, 2, 3});
      producer
          .send(
              new ProducerRecord<>(
                  topic, partition2, half.key(), serializer.serialize(topic, half)))
          .get();
    }
    assertThatThrownBy(
            () -> ModelArtifacts.fetch(clients, model, 1, "fp32", null, Duration.ofSeconds(30)))
        .hasMessageContaining("is corrupt: sha256")
        .satisfies(e -> assertThat(((ArtifactException) e).retriable()).isFalse());
    assertThatThrownBy(
            () -> ModelArtifacts.fetch(clients, model, 2, "fp32", null, Duration.ofSeconds(30)))
        .hasMessageContaining("is incomplete: chunk 1 of 2 is missing");
  }

  @Test
  void theRegistryKeepsEveryVersionsLatestStatus(SharedKafka.Cluster cluster) throws Exception {
    String model = cluster.uniqueName("reg");
    Instant t = Instant.now();
    List<ModelEvent> events =
        List.of(
            event(model, 1, ModelEvent.ModelStatus.REGISTERED, t),
            event(model, 2, ModelEvent.ModelStatus.REGISTERED, t),
            event(model, 1, ModelEvent.ModelStatus.ARCHIVED, t),
            event(model, 3, ModelEvent.ModelStatus.FAILED, t));
    var serializer = Topics.MODELS.valueSerde().serializer();
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(clients.producer("t"))) {
      for (ModelEvent e : events) {
        producer
            .send(
                new ProducerRecord<>(
                    Topics.MODELS.name(), e.key(), serializer.serialize("models", e)))
            .get();
      }
    }
    ModelRegistry registry = ModelRegistry.load(clients);
    assertThat(registry.events(model))
        .extracting(ModelEvent::version, ModelEvent::status)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(1, ModelEvent.ModelStatus.ARCHIVED),
            org.assertj.core.groups.Tuple.tuple(2, ModelEvent.ModelStatus.REGISTERED),
            org.assertj.core.groups.Tuple.tuple(3, ModelEvent.ModelStatus.FAILED));
    assertThat(registry.nextVersion(model)).isEqualTo(4);
    assertThat(registry.latestServable(model, "fp32")).map(ModelEvent::version).contains(2);
    assertThat(registry.models()).contains(model);
  }

  private static ModelEvent event(
      String model, int version, ModelEvent.ModelStatus status, Instant t) {
    return new ModelEvent(
        model,
        version,
        "fp32",
        "onnx",
        status,
        "sha",
        10,
        Map.of("acc", 0.9),
        null,
        "job",
        null,
        t);
  }
}
