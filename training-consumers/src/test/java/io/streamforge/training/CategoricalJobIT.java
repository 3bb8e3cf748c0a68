package io.streamforge.training;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.streamforge.arrowio.dataset.DatasetPublisher;
import io.streamforge.arrowio.dataset.KafkaClients;
import io.streamforge.arrowio.models.ModelArtifacts;
import io.streamforge.arrowio.read.BatchSources;
import io.streamforge.arrowio.read.CsvOptions;
import io.streamforge.arrowio.read.ReadOptions;
import io.streamforge.schemas.records.TrainingJob;
import io.streamforge.schemas.records.TrainingJob.TaskType;
import io.streamforge.testkit.SharedKafka;
import io.streamforge.training.core.JobTrainer;
import io.streamforge.training.core.TrainingListener;
import io.streamforge.training.worker.JobRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A dataset with a text column published to a real broker and trained from it: the worker's feed
 * finds the categories on Kafka, and the registered artifact takes the raw strings.
 */
@ExtendWith(SharedKafka.class)
class CategoricalJobIT {
  @TempDir Path dir;

  @Test
  void aTextColumnIsEncodedFromTheTopicAndTheArtifactTakesStrings() throws Exception {
    SharedKafka.Cluster cluster = SharedKafka.cluster();
    KafkaClients clients = KafkaClients.of(cluster.bootstrapServers());
    try (org.apache.kafka.clients.admin.Admin admin =
        org.apache.kafka.clients.admin.Admin.create(clients.admin())) {
      io.streamforge.schemas.TopicAdmin.ensure(admin, io.streamforge.schemas.Topics.ALL);
    }
    String dataset = cluster.uniqueName("pets");
    // the label is the animal's kind, told by its sound (text) and not by its weight
    String[] sounds = {"meow", "woof", "tweet"};
    Random rnd = new Random(3);
    StringBuilder csv = new StringBuilder("weight,sound,label\n");
    for (int i = 0; i < 600; i++) {
      int k = rnd.nextInt(3);
      csv.append(String.format(java.util.Locale.ROOT, "%.3f", rnd.nextDouble() * 10))
          .append(',')
          .append(sounds[k])
          .append(',')
          .append(k)
          .append('\n');
    }
    Path file = dir.resolve("pets.csv");
    Files.writeString(file, csv);
    try (BufferAllocator allocator = new RootAllocator();
        KafkaProducer<String, byte[]> producer =
            new KafkaProducer<>(clients.producer("categorical-it"))) {
      new DatasetPublisher(clients)
          .publish(
              handler -> {
                try {
                  return BatchSources.open(
                      file, allocator, new ReadOptions(null, CsvOptions.defaults(), handler));
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              },
              "pets.csv",
              DatasetPublisher.Options.defaults(dataset).withLabel("label"),
              DatasetPublisher.Progress.NONE);
      TrainingJob d =
          JobSpecs.defaults(
              UUID.randomUUID().toString(), dataset, dataset, 0, "label", TaskType.CLASSIFICATION);
      TrainingJob job =
          new TrainingJob(
              d.jobId(),
              null,
              null,
              d.model(),
              d.dataset(),
              0,
              "label",
              List.of(),
              d.task(),
              null,
              d.architecture(),
              d.optimizer(),
              32,
              15,
              7,
              0.2,
              0,
              "cpu",
              Map.of(),
              d.submittedAt());

      JobRunner.Outcome outcome =
          new JobRunner(clients, producer, allocator, new JobTrainer())
              .run(job, TrainingListener.NONE);

      assertThat(outcome.parity().passed()).isTrue();
      assertThat(outcome.event().metrics().get("val_accuracy")).isGreaterThanOrEqualTo(0.95);
      byte[] onnx =
          ModelArtifacts.fetch(
              clients,
              dataset,
              outcome.event().version(),
              "fp32",
              outcome.event().sha256(),
              Duration.ofSeconds(30));
      OrtEnvironment env = OrtEnvironment.getEnvironment();
      try (OrtSession s = env.createSession(onnx, new OrtSession.SessionOptions());
          OnnxTensor w =
              OnnxTensor.createTensor(
                  env, FloatBuffer.wrap(new float[] {1f, 9f, 5f}), new long[] {3, 1});
          OnnxTensor sound =
              OnnxTensor.createTensor(
                  env, new String[] {"tweet", "meow", "woof"}, new long[] {3, 1});
          OrtSession.Result r = s.run(Map.of("features", w, "sound", sound))) {
        assertThat((float[]) r.get("label").orElseThrow().getValue()).containsExactly(2f, 0f, 1f);
      }
      assertThat(allocator.getAllocatedMemory()).isZero();
    }
  }
}
