package io.streamforge.training.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamforge.arrowio.dataset.KafkaClients;
import io.streamforge.arrowio.models.ArtifactException;
import io.streamforge.arrowio.models.ModelArtifacts;
import io.streamforge.arrowio.read.ReadOptions;
import io.streamforge.schemas.TopicAdmin;
import io.streamforge.schemas.Topics;
import io.streamforge.schemas.records.TrainingJob;
import io.streamforge.schemas.records.TrainingJob.TaskType;
import io.streamforge.testkit.Datasets;
import io.streamforge.testkit.SharedKafka;
import io.streamforge.training.JobSpecs;
import io.streamforge.training.core.Checkpoint;
import io.streamforge.training.core.EpochSummary;
import io.streamforge.training.core.JobTrainer;
import io.streamforge.training.core.TrainingListener;
import io.streamforge.training.core.TrainingResult;
import io.streamforge.training.data.FileBatchFeed;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.memory.RootAllocator;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.KafkaException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Checkpoints in two alternating slots on a real broker: a worker killed in the middle of a
 * checkpoint upload (here: its producer dies after some chunks) leaves that upload incomplete, and
 * the resume starts from the newest complete checkpoint instead of from epoch 1.
 */
@ExtendWith(SharedKafka.class)
class CheckpointSlotsIT {
  /** More than two chunks: a partial upload is possible. */
  private static final int BIG = 2 * ModelArtifacts.CHUNK_BYTES + 1000;

  @BeforeAll
  static void topics() {
    try (Admin admin = SharedKafka.cluster().admin()) {
      TopicAdmin.ensure(admin, Topics.ALL);
    }
  }

  @Test
  void aPartialNewerUploadIsPassedOverForTheNewestCompleteOne(SharedKafka.Cluster cluster)
      throws Exception {
    KafkaClients clients = KafkaClients.of(cluster.bootstrapServers());
    String job = "slots-" + UUID.randomUUID();
    byte[] first = random(BIG, 1);
    byte[] partial = random(BIG, 2);
    byte[] third = random(BIG, 3);
    byte[] fourth = random(BIG, 4);
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(clients.producer("test-checkpoints"))) {
      KafkaCheckpointStore store = new KafkaCheckpointStore(clients, producer);
      assertThat(store.latest(job)).isEmpty();
      store.save(job, first);
      assertThat(store.latest(job)).hasValueSatisfying(b -> assertThat(b).isEqualTo(first));

      // a worker dies after sending the first chunk of the next upload
      AtomicInteger sendsLeft = new AtomicInteger(1);
      KafkaCheckpointStore dying =
          new KafkaCheckpointStore(clients, dyingAfter(producer, sendsLeft));
      assertThat(dying.latest(job)).hasValueSatisfying(b -> assertThat(b).isEqualTo(first));
      assertThatThrownBy(() -> dying.save(job, partial)).hasMessageContaining("killed");
      producer.flush();
      assertThatThrownBy(
              () ->
                  ModelArtifacts.fetch(
                      clients,
                      KafkaCheckpointStore.artifactModel(job),
                      2,
                      KafkaCheckpointStore.VARIANT,
                      null,
                      Duration.ofSeconds(30)))
          .as("the newer upload is on Kafka, incomplete")
          .isInstanceOf(ArtifactException.class)
          .hasMessageContaining("incomplete");

      KafkaCheckpointStore resumed = new KafkaCheckpointStore(clients, producer);
      assertThat(resumed.latest(job))
          .as("the newest complete checkpoint, not the partial one, not none")
          .hasValueSatisfying(b -> assertThat(b).isEqualTo(first));
      // the next save replaces the partial slot, never the newest complete one
      resumed.save(job, third);
      assertThat(new KafkaCheckpointStore(clients, producer).find(job))
          .hasValueSatisfying(
              f -> {
                assertThat(f.slot()).isEqualTo(2);
                assertThat(f.sequence()).isEqualTo(2);
                assertThat(f.checkpoint()).isEqualTo(third);
              });
      resumed.save(job, fourth);
      assertThat(new KafkaCheckpointStore(clients, producer).find(job))
          .hasValueSatisfying(
              f -> {
                assertThat(f.slot()).isEqualTo(1);
                assertThat(f.sequence()).isEqualTo(3);
                assertThat(f.checkpoint()).isEqualTo(fourth);
              });
    }
  }

  @Test
  void aTrainingKilledDuringACheckpointUploadResumesFromThePreviousCheckpoint(
      SharedKafka.Cluster cluster) throws Exception {
    KafkaClients clients = KafkaClients.of(cluster.bootstrapServers());
    // wide layers: each checkpoint is three chunks
    TrainingJob d =
        JobSpecs.defaults(
            UUID.randomUUID().toString(), "slots", "iris", 0, "label", TaskType.CLASSIFICATION);
    TrainingJob job =
        new TrainingJob(
            d.jobId(),
            null,
            null,
            d.model(),
            d.dataset(),
            d.datasetVersion(),
            d.label(),
            d.features(),
            d.task(),
            null,
            new TrainingJob.Architecture("mlp", List.of(700, 400), "relu", 0.0, false, Map.of()),
            d.optimizer(),
            d.batchSize(),
            4,
            d.seed(),
            d.validationFraction(),
            0,
            "cpu",
            Map.of(),
            d.submittedAt());
    try (RootAllocator allocator = new RootAllocator();
        FileBatchFeed feed =
            new FileBatchFeed(
                Datasets.file("iris.csv"), ReadOptions.defaults(), null, "label", allocator, 2);
        KafkaProducer<String, byte[]> producer =
            new KafkaProducer<>(clients.producer("test-checkpoints"))) {
      // the worker's producer dies in the middle of the checkpoint after epoch 2
      AtomicInteger sendsLeft = new AtomicInteger(Integer.MAX_VALUE);
      KafkaCheckpointStore dying =
          new KafkaCheckpointStore(clients, dyingAfter(producer, sendsLeft));
      TrainingListener killer =
          new TrainingListener() {
            @Override
            public void epochEnd(EpochSummary s) {
              if (s.epoch() == 2) {
                sendsLeft.set(1); // its first chunk goes out, the rest never does
              }
            }
          };
      assertThatThrownBy(() -> new JobTrainer().train(job, feed, killer, dying))
          .hasMessageContaining("killed");
      producer.flush();
      KafkaCheckpointStore store = new KafkaCheckpointStore(clients, producer);
      KafkaCheckpointStore.Found newest = store.find(job.jobId()).orElseThrow();
      assertThat(Checkpoint.fromBytes(newest.checkpoint()).nextEpoch())
          .as("the checkpoint after epoch 1")
          .isEqualTo(2);
      assertThat(newest.checkpoint().length).isGreaterThan(2 * ModelArtifacts.CHUNK_BYTES);

      TrainingResult resumed = new JobTrainer().train(job, feed, TrainingListener.NONE, store);
      assertThat(resumed.metrics().get("resumed_at_epoch"))
          .as("resumed from the complete checkpoint, not from epoch 1")
          .isEqualTo(2.0);
      assertThat(resumed.history()).extracting(EpochSummary::epoch).containsExactly(1, 2, 3, 4);
    }
  }

  private static byte[] random(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  /**
   * The producer of a worker that is killed once {@code sendsLeft} more records have been handed
   * over: later sends throw, as if the process had died there.
   */
  @SuppressWarnings("unchecked")
  private static Producer<String, byte[]> dyingAfter(
      Producer<String, byte[]> real, AtomicInteger sendsLeft) {
    return (Producer<String, byte[]>)
        Proxy.newProxyInstance(
            CheckpointSlotsIT.class.getClassLoader(),
            new Class<?>[] {Producer.class},
            (proxy, method, args) -> {
              if (method.getName().equals("send") && sendsLeft.getAndDecrement() <= 0) {
                throw new KafkaException("worker killed in the middle of an upload (test)");
              }
              try {
                return method.invoke(real, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
            });
  }
}
