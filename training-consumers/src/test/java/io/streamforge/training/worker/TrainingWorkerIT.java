package io.streamforge.training.worker;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.streamforge.arrowio.dataset.DatasetPublisher;
import io.streamforge.arrowio.dataset.KafkaClients;
import io.streamforge.arrowio.models.ModelArtifacts;
import io.streamforge.arrowio.models.ModelRegistry;
import io.streamforge.arrowio.models.TernaryPacking;
import io.streamforge.arrowio.read.BatchSources;
import io.streamforge.arrowio.read.CsvOptions;
import io.streamforge.arrowio.read.ReadOptions;
import io.streamforge.schemas.Topics;
import io.streamforge.schemas.records.AgentMessage;
import io.streamforge.schemas.records.DatasetManifest;
import io.streamforge.schemas.records.MetricPoint;
import io.streamforge.schemas.records.ModelEvent;
import io.streamforge.schemas.records.TrainingJob;
import io.streamforge.schemas.records.TrainingJob.TaskType;
import io.streamforge.testkit.Datasets;
import io.streamforge.testkit.SharedKafka;
import io.streamforge.training.JobSpecs;
import io.streamforge.training.core.JobTrainer;
import io.streamforge.training.data.FileBatchFeed;
import io.streamforge.training.quant.AcceptancePolicy;
import io.streamforge.training.quant.QuantizationOptions;
import io.streamforge.training.quant.QuantizationReport;
import io.streamforge.training.quant.QuantizeRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A worker against a real broker: jobs in, metrics, registry events and artifacts out. */
@ExtendWith(SharedKafka.class)
class TrainingWorkerIT {
  static KafkaClients clients;
  private static TrainingWorker worker;
  private static Thread thread;
  static BufferAllocator allocator;
  private static String iris;
  private static DatasetManifest irisManifest;

  @BeforeAll
  static void start() throws Exception {
    SharedKafka.Cluster cluster = SharedKafka.cluster();
    clients = KafkaClients.of(cluster.bootstrapServers());
    allocator = new RootAllocator();
    iris = cluster.uniqueName("iris");
    irisManifest = publish(iris, Datasets.file("iris.csv"));
    worker = new TrainingWorker(clients, cluster.uniqueName("workers"), new JobTrainer());
    thread = new Thread(worker, "training-worker");
    thread.start();
  }

  @AfterAll
  static void stop() throws Exception {
    worker.close();
    thread.join(TimeUnit.SECONDS.toMillis(30));
    assertThat(thread.isAlive()).isFalse();
    allocator.close();
  }

  static DatasetManifest publish(String name, Path file) throws Exception {
    return publish(clients, allocator, name, file);
  }

  /** Publishes a CSV for a test outside this class, with an allocator of its own. */
  static DatasetManifest publish(KafkaClients clients, String name, Path file) throws Exception {
    try (RootAllocator own = new RootAllocator()) {
      return publish(clients, own, name, file);
    }
  }

  private static DatasetManifest publish(
      KafkaClients clients, BufferAllocator allocator, String name, Path file) throws Exception {
    return new DatasetPublisher(clients)
        .publish(
            handler -> {
              try {
                return BatchSources.open(
                    file, allocator, new ReadOptions(null, CsvOptions.defaults(), handler));
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            },
            file.getFileName().toString(),
            DatasetPublisher.Options.defaults(name).withLabel("label"),
            DatasetPublisher.Progress.NONE)
        .manifest();
  }

  static TrainingJob job(String model, String dataset, int epochs) {
    TrainingJob d =
        JobSpecs.defaults(
            UUID.randomUUID().toString(), model, dataset, 0, "label", TaskType.CLASSIFICATION);
    return with(d, d.label(), d.optimizer(), epochs);
  }

  static TrainingJob with(
      TrainingJob d, String label, TrainingJob.OptimizerSpec optimizer, int epochs) {
    return new TrainingJob(
        d.jobId(),
        null,
        null,
        d.model(),
        d.dataset(),
        d.datasetVersion(),
        label,
        d.features(),
        d.task(),
        null,
        d.architecture(),
        optimizer,
        d.batchSize(),
        epochs,
        d.seed(),
        d.validationFraction(),
        d.patience(),
        "cpu",
        Map.of(),
        d.submittedAt());
  }

  static void submit(TrainingJob job) throws Exception {
    String topic = Topics.TRAINING_JOBS.name();
    try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(clients.producer("test-submit"))) {
      p.send(
              new ProducerRecord<>(
                  topic,
                  job.jobId(),
                  Topics.TRAINING_JOBS.valueSerde().serializer().serialize(topic, job)))
          .get(30, TimeUnit.SECONDS);
    }
  }

  /** Waits until {@code jobId} has ended {@code epochs} epochs (its epoch points on metrics). */
  static void awaitEpochs(String jobId, int epochs, Duration timeout) {
    List<List<MetricPoint>> seen =
        readUntil(
            Topics.METRICS.name(),
            v -> Topics.METRICS.valueSerde().deserializer().deserialize("t", v),
            l -> epochs(l, jobId) >= epochs,
            timeout);
    assertThat(epochs(seen, jobId)).as("epochs of %s", jobId).isGreaterThanOrEqualTo(epochs);
  }

  private static long epochs(List<List<MetricPoint>> batches, String jobId) {
    return batches.stream()
        .flatMap(List::stream)
        .filter(p -> p.run().equals(jobId) && p.name().equals("epoch"))
        .count();
  }

  /** Every record of {@code topic} from the beginning until {@code done} holds or time runs out. */
  static <T> List<T> readUntil(
      String topic,
      java.util.function.Function<byte[], T> decode,
      java.util.function.Predicate<List<T>> done,
      Duration timeout) {
    List<T> out = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(clients.consumer("test-read"))) {
      List<TopicPartition> parts =
          c.partitionsFor(topic).stream()
              .map(p -> new TopicPartition(topic, p.partition()))
              .toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (!done.test(out) && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
          if (r.value() != null) {
            out.add(decode.apply(r.value()));
          }
        }
      }
    }
    return out;
  }

  static JobStatus awaitEnd(String jobId) {
    List<JobStatus> seen =
        readUntil(
            Topics.AGENT_MESSAGES.name(),
            v -> {
              AgentMessage m =
                  Topics.AGENT_MESSAGES.valueSerde().deserializer().deserialize("t", v);
              return JobStatus.from(m);
            },
            list -> list.stream().anyMatch(s -> ended(s, jobId)),
            Duration.ofSeconds(180));
    return seen.stream()
        .filter(s -> ended(s, jobId))
        .findFirst()
        .orElseThrow(() -> new AssertionError("job " + jobId + " did not end in time"));
  }

  private static boolean ended(JobStatus s, String jobId) {
    return s != null && s.jobId().equals(jobId) && s.state() != JobStatus.State.RUNNING;
  }

  @Test
  void aJobStreamsMetricsRegistersTheModelAndPublishesAnArtifactThatRunsInOnnxRuntime()
      throws Exception {
    String model = "iris-" + UUID.randomUUID().toString().substring(0, 8);
    TrainingJob job = job(model, iris, 20);
    List<Map<String, Double>> epochs = new ArrayList<>();
    List<JobStatus> statuses = new ArrayList<>();
    JobStatus end;
    try (JobClient client = new JobClient(clients)) {
      client.submit(job);
      end = client.follow(job.jobId(), Duration.ofSeconds(180), epochs::add, statuses::add);
    }
    assertThat(end).as("job ended in time").isNotNull();
    assertThat(statuses.get(0).state()).isEqualTo(JobStatus.State.RUNNING);
    assertThat(epochs).hasSize(20);
    assertThat(epochs.get(19)).containsKeys("train_loss", "val_accuracy", "samples_per_s");
    assertThat(epochs.get(19).get("epoch")).isEqualTo(20.0);
    assertThat(end.state()).as("%s", end.reason()).isEqualTo(JobStatus.State.SUCCEEDED);
    assertThat(end.version()).isEqualTo(1);
    assertThat(end.metrics().get("val_accuracy")).isGreaterThanOrEqualTo(0.93);

    // metrics: one record per interval, each a batch of several points
    List<List<MetricPoint>> batches =
        readUntil(
            Topics.METRICS.name(),
            v -> Topics.METRICS.valueSerde().deserializer().deserialize("t", v),
            l -> l.stream().filter(b -> b.get(0).run().equals(job.jobId())).count() >= 20,
            Duration.ofSeconds(30));
    List<List<MetricPoint>> ours =
        batches.stream().filter(b -> b.get(0).run().equals(job.jobId())).toList();
    assertThat(ours)
        .hasSizeGreaterThanOrEqualTo(20)
        .allSatisfy(b -> assertThat(b).hasSizeGreaterThan(1));
    assertThat(ours.stream().flatMap(List::stream).map(MetricPoint::name).distinct().toList())
        .contains("loss", "val_accuracy", "samples_per_s", "data_wait_s", "epoch_time_s");

    ModelEvent event = ModelRegistry.load(clients).event(model, 1, "fp32").orElseThrow();
    assertThat(event.status()).isEqualTo(ModelEvent.ModelStatus.REGISTERED);
    assertThat(event.format()).isEqualTo("onnx");
    assertThat(event.jobId()).isEqualTo(job.jobId());
    assertThat(event.sha256()).isEqualTo(end.sha256());
    assertThat(event.metrics()).containsKeys("val_accuracy", "parity_max_abs_diff");
    assertThat(event.metrics().get("parity_max_abs_diff")).isLessThanOrEqualTo(1e-4);

    byte[] onnx =
        ModelArtifacts.fetch(clients, model, 1, "fp32", event.sha256(), Duration.ofSeconds(30));
    assertThat((long) onnx.length).isEqualTo(event.sizeBytes());
    // the artifact takes raw features: run it on every iris row from the file
    try (FileBatchFeed feed =
        new FileBatchFeed(
            Datasets.file("iris.csv"), ReadOptions.defaults(), null, "label", allocator, 2)) {
      var batch = feed.epoch().blockFirst(Duration.ofSeconds(30));
      OrtEnvironment env = OrtEnvironment.getEnvironment();
      try (OrtSession s = env.createSession(onnx, new OrtSession.SessionOptions());
          OnnxTensor x =
              OnnxTensor.createTensor(
                  env, FloatBuffer.wrap(batch.x()), new long[] {batch.rows(), batch.features()});
          OrtSession.Result r = s.run(Map.of("features", x))) {
        float[] labels = (float[]) r.get("label").orElseThrow().getValue();
        int correct = 0;
        for (int i = 0; i < labels.length; i++) {
          correct += labels[i] == batch.y()[i] ? 1 : 0;
        }
        assertThat((double) correct / labels.length).isGreaterThanOrEqualTo(0.9);
        assertThat(s.getMetadata().getCustomMetadata())
            .containsEntry("streamforge.dataset.content_hash", irisManifest.contentHash())
            .containsEntry("streamforge.dataset.version", "1")
            .containsEntry("streamforge.job", job.jobId());
      }
    }
  }

  @Test
  void badJobsFailFastWithTheirReasonAndTheWorkerTakesTheNextJob() throws Exception {
    String model = "bad-" + UUID.randomUUID().toString().substring(0, 8);
    TrainingJob missingDataset = job(model, "no-such-dataset-" + UUID.randomUUID(), 2);
    TrainingJob missingColumn =
        with(
            job(model, iris, 2),
            "no_such_column",
            JobSpecs.defaults("x", "x", "x", 0, "x", TaskType.CLASSIFICATION).optimizer(),
            2);
    TrainingJob badOptimizer =
        with(
            job(model, iris, 2),
            "label",
            new TrainingJob.OptimizerSpec("lbfgs", 0.1, 0, 0, null),
            2);
    TrainingJob badVersion = job(model, iris, 2);
    badVersion =
        new TrainingJob(
            badVersion.jobId(),
            null,
            null,
            model,
            iris,
            99,
            "label",
            List.of(),
            TaskType.CLASSIFICATION,
            null,
            badVersion.architecture(),
            badVersion.optimizer(),
            16,
            2,
            1,
            0.2,
            0,
            "cpu",
            Map.of(),
            badVersion.submittedAt());
    Path csv = java.nio.file.Files.createTempFile("species", ".csv");
    java.nio.file.Files.writeString(csv, "a,b,label\n1,2,setosa\n3,4,virginica\n5,6,setosa\n");
    String strings = SharedKafka.cluster().uniqueName("strings");
    publish(strings, csv);
    TrainingJob stringLabel = job(model, strings, 2);
    TrainingJob good = job(model, iris, 3);
    TrainingJob again = job(model, iris, 3);
    for (TrainingJob j :
        List.of(
            missingDataset, missingColumn, badOptimizer, badVersion, stringLabel, good, again)) {
      submit(j);
    }
    long t0 = System.nanoTime();
    assertThat(awaitEnd(missingDataset.jobId()).reason()).contains("does not exist");
    assertThat(awaitEnd(missingColumn.jobId()).reason()).contains("no column 'no_such_column'");
    assertThat(awaitEnd(badOptimizer.jobId()).reason())
        .contains("optimizer 'lbfgs' is not supported");
    assertThat(awaitEnd(badVersion.jobId()).reason()).contains("has no version 99");
    assertThat(awaitEnd(stringLabel.jobId()).reason())
        .contains("label column 'label' has type Utf8");
    JobStatus first = awaitEnd(good.jobId());
    JobStatus second = awaitEnd(again.jobId());
    assertThat(first.state()).as("%s", first.reason()).isEqualTo(JobStatus.State.SUCCEEDED);
    assertThat(second.state()).as("%s", second.reason()).isEqualTo(JobStatus.State.SUCCEEDED);
    // jobs sit in several partitions, so either may come first; versions rise per model
    assertThat(List.of(first.version(), second.version())).containsExactlyInAnyOrder(1, 2);
    assertThat(ModelRegistry.load(clients).events(model)).hasSize(2);
    for (TrainingJob bad :
        List.of(missingDataset, missingColumn, badOptimizer, badVersion, stringLabel)) {
      assertThat(awaitEnd(bad.jobId()).state()).isEqualTo(JobStatus.State.FAILED);
    }
    System.out.printf("7 jobs in %.1f s%n", (System.nanoTime() - t0) / 1e9);
  }

  @Test
  void quantizationJobsPublishAcceptedVariantsOnceAndReportTheComparison() throws Exception {
    String model = "iris-q-" + UUID.randomUUID().toString().substring(0, 8);
    TrainingJob train = job(model, iris, 10);
    JobStatus trained;
    try (JobClient client = new JobClient(clients)) {
      client.submit(train);
      trained = client.follow(train.jobId(), Duration.ofSeconds(180), e -> {}, s -> {});
    }
    assertThat(trained.state()).as("%s", trained.reason()).isEqualTo(JobStatus.State.SUCCEEDED);
    int version = trained.version();
    QuantizationOptions fast = QuantizationOptions.defaults().withLatencyRuns(3).withQatEpochs(2);

    // a size budget no variant meets: every one is rejected with the reason, none published
    JobStatus rejected =
        quantize(
            model,
            version,
            fast.withPolicy(
                new AcceptancePolicy(AcceptancePolicy.DEFAULT_MAX_ACCURACY_DROP, 100L, null)));
    assertThat(rejected.state()).as("%s", rejected.reason()).isEqualTo(JobStatus.State.SUCCEEDED);
    assertThat(rejected.version()).isEqualTo(version);
    List<Map<String, Object>> rows = QuantizationReport.rowsFromJson(rejected.report());
    assertThat(rows)
        .extracting(r -> r.get("variant"))
        .containsExactly("fp32", "int8-weight", "int8-static", "int8-dynamic", "ternary");
    assertThat(rows.subList(1, rows.size()))
        .allSatisfy(
            r -> {
              assertThat(r.get("accepted")).isEqualTo(false);
              assertThat((String) r.get("reason")).contains("bytes > 100");
              assertThat(r)
                  .containsKeys(
                      "bytes", "size_ratio", "accuracy_delta", "latency_b1_ms", "latency_b64_ms");
            });
    assertThat(rejected.metrics()).containsEntry("variants_published", 0.0);
    assertThat(ModelRegistry.load(clients).events(model))
        .extracting(ModelEvent::variant)
        .containsExactly("fp32");

    // the default gate: what passes is published as variants of the same version
    JobStatus done = quantize(model, version, fast);
    assertThat(done.state()).as("%s", done.reason()).isEqualTo(JobStatus.State.SUCCEEDED);
    List<Map<String, Object>> report = QuantizationReport.rowsFromJson(done.report());
    List<String> accepted =
        report.subList(1, report.size()).stream()
            .filter(r -> Boolean.TRUE.equals(r.get("accepted")))
            .map(r -> (String) r.get("variant"))
            .toList();
    assertThat(accepted).contains("int8-weight");
    assertThat(done.metrics()).containsEntry("variants_published", (double) accepted.size());
    ModelRegistry registry = ModelRegistry.load(clients);
    try (FileBatchFeed feed =
        new FileBatchFeed(
            Datasets.file("iris.csv"), ReadOptions.defaults(), null, "label", allocator, 2)) {
      var batch = feed.epoch().blockFirst(Duration.ofSeconds(30));
      for (String variant : accepted) {
        ModelEvent e = registry.event(model, version, variant).orElseThrow();
        assertThat(e.status()).isEqualTo(ModelEvent.ModelStatus.REGISTERED);
        assertThat(e.parentVersion()).isEqualTo(version);
        assertThat(e.format())
            .isEqualTo(variant.equals("ternary") ? TernaryPacking.FORMAT : "onnx");
        assertThat(e.metrics())
            .containsKeys(
                "val_accuracy",
                "accuracy_delta",
                "size_ratio",
                "latency_b1_ms",
                "latency_b64_ms",
                "speedup_b64");
        byte[] artifact =
            ModelArtifacts.fetch(
                clients, model, version, variant, e.sha256(), Duration.ofSeconds(30));
        assertThat((long) artifact.length).isEqualTo(e.sizeBytes());
        byte[] onnx = variant.equals("ternary") ? TernaryPacking.toOnnx(artifact) : artifact;
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession s = env.createSession(onnx, new OrtSession.SessionOptions());
            OnnxTensor x =
                OnnxTensor.createTensor(
                    env, FloatBuffer.wrap(batch.x()), new long[] {batch.rows(), batch.features()});
            OrtSession.Result r = s.run(Map.of("features", x))) {
          float[] labels = (float[]) r.get("label").orElseThrow().getValue();
          int correct = 0;
          for (int i = 0; i < labels.length; i++) {
            correct += labels[i] == batch.y()[i] ? 1 : 0;
          }
          assertThat((double) correct / labels.length).as(variant).isGreaterThanOrEqualTo(0.85);
          assertThat(s.getMetadata().getCustomMetadata())
              .containsEntry("streamforge.variant", variant)
              .containsEntry("streamforge.quant.parent_version", Integer.toString(version));
        }
      }
    }

    // the same job again (a redelivery, or a second request): nothing is published twice
    JobStatus again = quantize(model, version, fast);
    assertThat(again.state()).as("%s", again.reason()).isEqualTo(JobStatus.State.SUCCEEDED);
    assertThat(again.metrics())
        .containsEntry("variants_published", 0.0)
        .containsEntry("variants_already_registered", (double) accepted.size());
    assertThat(QuantizationReport.rowsFromJson(again.report()))
        .filteredOn(r -> accepted.contains((String) r.get("variant")))
        .allSatisfy(r -> assertThat((String) r.get("reason")).startsWith("already registered"));
    List<String> keys =
        readUntil(
            Topics.MODELS.name(),
            v -> Topics.MODELS.valueSerde().deserializer().deserialize("t", v).key(),
            l -> false,
            Duration.ofSeconds(3));
    for (String variant : accepted) {
      assertThat(keys).filteredOn(ModelEvent.key(model, version, variant)::equals).hasSize(1);
    }

    // jobs that cannot run fail with their reason
    assertThat(quantize(model, 99, fast).reason()).contains("has no registered fp32 version 99");
    TrainingJob bad = QuantizeRunner.job(UUID.randomUUID().toString(), null, model, version, fast);
    Map<String, String> params = new java.util.HashMap<>(bad.params());
    params.put("methods", "int4");
    JobStatus badMethod = submitAndFollow(withParams(bad, params));
    assertThat(badMethod.state()).isEqualTo(JobStatus.State.FAILED);
    assertThat(badMethod.reason()).contains("unknown quantization method 'int4'");
  }

  private static JobStatus quantize(String model, int version, QuantizationOptions options)
      throws Exception {
    return submitAndFollow(
        QuantizeRunner.job(UUID.randomUUID().toString(), null, model, version, options));
  }

  private static JobStatus submitAndFollow(TrainingJob job) throws Exception {
    try (JobClient client = new JobClient(clients)) {
      client.submit(job);
      JobStatus end = client.follow(job.jobId(), Duration.ofSeconds(180), e -> {}, s -> {});
      assertThat(end).as("job %s ended in time", job.jobId()).isNotNull();
      return end;
    }
  }

  private static TrainingJob withParams(TrainingJob j, Map<String, String> params) {
    return new TrainingJob(
        j.jobId(),
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
}
