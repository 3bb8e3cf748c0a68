package io.streamforge.training.worker;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.streamforge.arrowio.dataset.DatasetPublisher;
import io.streamforge.arrowio.dataset.KafkaClients;
import io.streamforge.arrowio.models.ModelArtifacts;
import io.streamforge.arrowio.models.ModelRegistry;
import io.streamforge.arrowio.read.BatchSources;
import io.streamforge.arrowio.read.CsvOptions;
import io.streamforge.arrowio.read.ReadOptions;
import io.streamforge.schemas.records.ModelEvent;
import io.streamforge.schemas.records.TrainingJob;
import io.streamforge.schemas.records.TrainingJob.TaskType;
import io.streamforge.testkit.Datasets;
import io.streamforge.testkit.SharedKafka;
import io.streamforge.training.JobSpecs;
import io.streamforge.training.core.JobTrainer;
import io.streamforge.training.data.FileBatchFeed;
import io.streamforge.training.data.TensorBatch;
import io.streamforge.training.ensemble.EnsembleMethod;
import io.streamforge.training.ensemble.EnsembleReport;
import io.streamforge.training.ensemble.EnsembleRunner;
import io.streamforge.training.ensemble.MemberRef;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Ensembling jobs through a worker on a real broker: members trained by the worker, an ensembling
 * job's status and report, the registered ensemble run in ONNX Runtime against its members, a
 * redelivered job registering nothing twice, and jobs that cannot run failing with their reason.
 */
@ExtendWith(SharedKafka.class)
class EnsembleJobIT {
  private static KafkaClients clients;
  private static TrainingWorker worker;
  private static Thread thread;
  private static BufferAllocator allocator;
  private static String digits;
  private static String iris;

  @BeforeAll
  static void start() throws Exception {
    SharedKafka.Cluster cluster = SharedKafka.cluster();
    clients = KafkaClients.of(cluster.bootstrapServers());
    allocator = new RootAllocator();
    digits = cluster.uniqueName("digits");
    iris = cluster.uniqueName("iris");
    publish(digits, Datasets.file("digits.csv"), CsvOptions.builder().header(false).build(), "c64");
    publish(iris, Datasets.file("iris.csv"), CsvOptions.defaults(), "label");
    worker = new TrainingWorker(clients, cluster.uniqueName("ensemble-workers"), new JobTrainer());
    thread = new Thread(worker, "ensemble-worker");
    thread.start();
  }

  @AfterAll
  static void stop() throws Exception {
    worker.close();
    thread.join(TimeUnit.SECONDS.toMillis(30));
    assertThat(thread.isAlive()).isFalse();
    allocator.close();
  }

  private static void publish(String name, Path file, CsvOptions csv, String label)
      throws Exception {
    new DatasetPublisher(clients)
        .publish(
            handler -> {
              try {
                return BatchSources.open(file, allocator, new ReadOptions(null, csv, handler));
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            },
            file.getFileName().toString(),
            DatasetPublisher.Options.defaults(name).withLabel(label),
            DatasetPublisher.Progress.NONE);
  }

  /** A small classifier of {@code dataset}: one hidden layer, a few epochs. */
  private static TrainingJob member(
      String model, String dataset, String label, int hidden, String activation, long seed) {
    TrainingJob d =
        JobSpecs.defaults(
            UUID.randomUUID().toString(), model, dataset, 0, label, TaskType.CLASSIFICATION);
    return new TrainingJob(
        d.jobId(),
        null,
        null,
        model,
        dataset,
        0,
        label,
        List.of(),
        TaskType.CLASSIFICATION,
        null,
        new TrainingJob.Architecture("mlp", List.of(hidden), activation, 0.0, false, Map.of()),
        d.optimizer(),
        d.batchSize(),
        2,
        seed,
        d.validationFraction(),
        0,
        "cpu",
        Map.of(),
        d.submittedAt());
  }

  private static JobStatus run(TrainingJob job) {
    try (JobClient client = new JobClient(clients)) {
      client.submit(job);
      JobStatus end = client.follow(job.jobId(), Duration.ofSeconds(240), e -> {}, s -> {});
      assertThat(end).as("job %s ended in time", job.jobId()).isNotNull();
      return end;
    }
  }

  @Test
  void anEnsembleJobReportsItsVerdictAndRegistersAModelThatAnswersLikeItsAveragedMembers()
      throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    // two differently built digit classifiers, trained by the worker
    JobStatus a = run(member("dg-a-" + suffix, digits, "c64", 12, "relu", 3));
    JobStatus b = run(member("dg-b-" + suffix, digits, "c64", 8, "tanh", 4));
    assertThat(a.state()).as("%s", a.reason()).isEqualTo(JobStatus.State.SUCCEEDED);
    assertThat(b.state()).as("%s", b.reason()).isEqualTo(JobStatus.State.SUCCEEDED);
    MemberRef ra = new MemberRef(a.model(), a.version());
    MemberRef rb = new MemberRef(b.model(), b.version());

    String model = "dg-ens-" + suffix;
    TrainingJob job =
        EnsembleRunner.job(
            UUID.randomUUID().toString(),
            "wf-" + suffix,
            model,
            List.of(ra, rb),
            EnsembleMethod.OUTPUT_AVERAGE);
    long t0 = System.nanoTime();
    JobStatus end = run(job);
    double seconds = (System.nanoTime() - t0) / 1e9;
    assertThat(end.state()).as("%s", end.reason()).isEqualTo(JobStatus.State.SUCCEEDED);
    assertThat(end.model()).isEqualTo(model);
    EnsembleReport report = EnsembleReport.fromJson(end.report());
    System.out.printf("ensemble job in %.1f s: %s%n", seconds, report.reason());
    assertThat(report.method()).isEqualTo("output-average");
    assertThat(report.members().keySet()).containsExactly(ra.toString(), rb.toString());
    // each member's score is the one its training job measured on the same validation rows
    assertThat(report.members().get(ra.toString()))
        .isEqualTo(a.metrics().get("val_accuracy"), org.assertj.core.api.Assertions.within(1e-9));
    assertThat(report.members().get(rb.toString()))
        .isEqualTo(b.metrics().get("val_accuracy"), org.assertj.core.api.Assertions.within(1e-9));
    assertThat(report.bestSingleScore())
        .isEqualTo(
            Math.max(report.members().get(ra.toString()), report.members().get(rb.toString())));
    assertThat(report.kept()).isEqualTo(report.ensembleScore() > report.bestSingleScore());

    ModelRegistry registry = ModelRegistry.load(clients);
    if (!report.kept()) {
      assertThat(end.version()).isNull();
      assertThat(registry.events(model)).isEmpty();
      assertThat(end.metrics()).containsEntry("val_accuracy", report.bestSingleScore());
      return;
    }
    assertThat(end.version()).isEqualTo(1);
    assertThat(end.metrics()).containsEntry("val_accuracy", report.ensembleScore());
    ModelEvent event = registry.event(model, 1, "fp32").orElseThrow();
    assertThat(event.status()).isEqualTo(ModelEvent.ModelStatus.REGISTERED);
    assertThat(event.format()).isEqualTo("onnx");
    assertThat(event.jobId()).isEqualTo(job.jobId());
    assertThat(event.sha256()).isEqualTo(end.sha256());
    assertThat(event.metrics())
        .containsEntry("val_accuracy", report.ensembleScore())
        .containsEntry("ensemble_members", 2.0)
        .containsKey("parity_max_abs_diff");
    assertThat(event.metrics().get("parity_max_abs_diff")).isLessThanOrEqualTo(1e-4);
    assertThat(event.reason()).contains(ra.toString(), rb.toString(), "output-average");

    // the artifact answers every digits row like the mean of its members' artifacts
    byte[] onnx = fetch(model, 1, event.sha256());
    assertThat((long) onnx.length).isEqualTo(event.sizeBytes());
    try (FileBatchFeed feed =
        new FileBatchFeed(
            Datasets.file("digits.csv"),
            ReadOptions.defaults().withText(CsvOptions.builder().header(false).build()),
            null,
            "c64",
            allocator,
            2)) {
      List<TensorBatch> batches = feed.epoch().collectList().block(Duration.ofSeconds(60));
      float[] classes = classes(onnx);
      byte[] memberA = fetch(ra.model(), ra.version(), a.sha256());
      byte[] memberB = fetch(rb.model(), rb.version(), b.sha256());
      assertThat(classes).containsExactly(0f, 1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f, 9f);
      for (TensorBatch batch : batches) {
        Map<String, float[]> ens = run(onnx, batch);
        Map<String, float[]> pa = run(memberA, batch);
        Map<String, float[]> pb = run(memberB, batch);
        float[] p = ens.get("probabilities");
        int width = classes.length;
        assertThat(p).hasSize(batch.rows() * width);
        double max = 0;
        for (int i = 0; i < p.length; i++) {
          float mean = (pa.get("probabilities")[i] + pb.get("probabilities")[i]) / 2;
          max = Math.max(max, Math.abs(p[i] - mean));
        }
        assertThat(max).isLessThanOrEqualTo(1e-4);
        // the label is the class value of the most probable column
        for (int r = 0; r < batch.rows(); r++) {
          int best = 0;
          for (int j = 1; j < width; j++) {
            best = p[r * width + j] > p[r * width + best] ? j : best;
          }
          assertThat(ens.get("label")[r]).isEqualTo(classes[best]);
        }
      }
    }

    // the same job again (a redelivery): the registered version is reported, nothing is added
    JobStatus again = run(job);
    assertThat(again.state()).as("%s", again.reason()).isEqualTo(JobStatus.State.SUCCEEDED);
    assertThat(again.version()).isEqualTo(1);
    assertThat(again.sha256()).isEqualTo(event.sha256());
    assertThat(EnsembleReport.fromJson(again.report())).isEqualTo(report);
    assertThat(ModelRegistry.load(clients).events(model)).hasSize(1);
  }

  @Test
  void ensembleJobsThatCannotRunFailWithTheirReason() {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    JobStatus d = run(member("dg-x-" + suffix, digits, "c64", 8, "relu", 1));
    JobStatus i = run(member("ir-x-" + suffix, iris, "label", 8, "relu", 1));
    assertThat(d.state()).as("%s", d.reason()).isEqualTo(JobStatus.State.SUCCEEDED);
    assertThat(i.state()).as("%s", i.reason()).isEqualTo(JobStatus.State.SUCCEEDED);
    MemberRef rd = new MemberRef(d.model(), d.version());
    MemberRef ri = new MemberRef(i.model(), i.version());
    String model = "bad-ens-" + suffix;

    JobStatus mixed =
        run(
            EnsembleRunner.job(
                UUID.randomUUID().toString(),
                null,
                model,
                List.of(rd, ri),
                EnsembleMethod.OUTPUT_AVERAGE));
    assertThat(mixed.state()).isEqualTo(JobStatus.State.FAILED);
    assertThat(mixed.reason()).contains("disagree on the dataset");

    JobStatus missing =
        run(
            EnsembleRunner.job(
                UUID.randomUUID().toString(),
                null,
                model,
                List.of(rd, new MemberRef("no-such-model-" + suffix, 3)),
                EnsembleMethod.OUTPUT_AVERAGE));
    assertThat(missing.state()).isEqualTo(JobStatus.State.FAILED);
    assertThat(missing.reason())
        .contains("no-such-model-" + suffix + ":3 is not a registered fp32");

    TrainingJob one =
        EnsembleRunner.job(
            UUID.randomUUID().toString(),
            null,
            model,
            List.of(rd, ri),
            EnsembleMethod.OUTPUT_AVERAGE);
    Map<String, String> params = new HashMap<>(one.params());
    params.put("members", rd.toString());
    JobStatus single = run(withParams(one, params));
    assertThat(single.state()).isEqualTo(JobStatus.State.FAILED);
    assertThat(single.reason()).contains("at least 2 members");

    params = new HashMap<>(one.params());
    params.put("method", "stacking");
    assertThat(run(withParams(one, params)).reason())
        .contains("unknown ensembling method 'stacking'");
    params = new HashMap<>(one.params());
    params.put("weights", "1,2");
    assertThat(run(withParams(one, params)).reason())
        .contains("unknown ensembling param 'weights'");
    assertThat(ModelRegistry.load(clients).events(model)).isEmpty();
  }

  private static TrainingJob withParams(TrainingJob j, Map<String, String> params) {
    return new TrainingJob(
        UUID.randomUUID().toString(),
        j.workflowId(),
        j.trialId(),
        j.model(),
        j.dataset(),
        j.datasetVersion(),
        j.label(),
        j.features(),
        j.task(),
        j.preprocessing(),
        j.architecture(),
        j.optimizer(),
        j.batchSize(),
        j.epochs(),
        j.seed(),
        j.validationFraction(),
        j.patience(),
        j.device(),
        params,
        j.submittedAt());
  }

  /** The class values the model's metadata names, in output order. */
  private static float[] classes(byte[] onnx) throws Exception {
    try (OrtSession s =
        OrtEnvironment.getEnvironment().createSession(onnx, new OrtSession.SessionOptions())) {
      List<Float> list =
          new com.fasterxml.jackson.databind.ObjectMapper()
              .readValue(
                  s.getMetadata().getCustomMetadata().get("streamforge.classes"),
                  new com.fasterxml.jackson.core.type.TypeReference<List<Float>>() {});
      float[] out = new float[list.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = list.get(i);
      }
      return out;
    }
  }

  private static byte[] fetch(String model, int version, String sha) {
    return ModelArtifacts.fetch(clients, model, version, "fp32", sha, Duration.ofSeconds(30));
  }

  private static Map<String, float[]> run(byte[] onnx, TensorBatch batch) throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    Map<String, float[]> out = new HashMap<>();
    try (OrtSession s = env.createSession(onnx, new OrtSession.SessionOptions());
        OnnxTensor x =
            OnnxTensor.createTensor(
                env, FloatBuffer.wrap(batch.x()), new long[] {batch.rows(), batch.features()});
        OrtSession.Result r = s.run(Map.of("features", x))) {
      for (var e : r) {
        FloatBuffer b = ((OnnxTensor) e.getValue()).getFloatBuffer();
        float[] v = new float[b.remaining()];
        b.get(v);
        out.put(e.getKey(), v);
      }
    }
    return new HashMap<>(out);
  }
}
