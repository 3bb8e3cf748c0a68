package io.streamforge.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.streamforge.arrowio.dataset.KafkaClients;
import io.streamforge.arrowio.models.ModelArtifacts;
import io.streamforge.arrowio.models.ModelRegistry;
import io.streamforge.arrowio.models.TernaryPacking;
import io.streamforge.arrowio.read.ReadOptions;
import io.streamforge.schemas.TopicAdmin;
import io.streamforge.schemas.Topics;
import io.streamforge.schemas.records.Deployment;
import io.streamforge.schemas.records.ModelEvent;
import io.streamforge.schemas.records.TrainingJob;
import io.streamforge.serving.Edge;
import io.streamforge.serving.EdgeConfig;
import io.streamforge.testkit.Datasets;
import io.streamforge.testkit.SharedKafka;
import io.streamforge.training.JobSpecs;
import io.streamforge.training.core.JobTrainer;
import io.streamforge.training.core.TrainingListener;
import io.streamforge.training.data.FileBatchFeed;
import io.streamforge.training.data.TensorBatch;
import io.streamforge.training.worker.JobRunner;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.FloatBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The whole path against a real broker: a model trained and registered, {@code streamforge
 * quantize} by hand (dry run, publish, again), then an edge serving the variants a deployment
 * names, answering as the published artifacts do in ONNX Runtime.
 */
@ExtendWith(SharedKafka.class)
class QuantizeCommandIT {

  @Test
  void variantsQuantizedByHandAreRegisteredAndServedByTheEdge(SharedKafka.Cluster cluster)
      throws Exception {
    System.setProperty("ai.djl.offline", "true");
    String bootstrap = cluster.bootstrapServers();
    KafkaClients clients = KafkaClients.of(bootstrap);
    TopicAdmin.ensure(clients.admin(), Topics.ALL);
    String dataset = cluster.uniqueName("bc");
    String model = dataset + "-mlp";
    Cli.Result published =
        Cli.run(
            "publish",
            Datasets.file("breast_cancer.csv").toString(),
            "--dataset",
            dataset,
            "--label",
            "label",
            "--bootstrap-servers",
            bootstrap);
    assertThat(published.exitCode()).as(published.err()).isZero();

    TensorBatch rows;
    try (BufferAllocator allocator = new RootAllocator();
        KafkaProducer<String, byte[]> producer =
            new KafkaProducer<>(clients.producer("quantize-it"))) {
      TrainingJob d =
          JobSpecs.defaults(
              "train-" + model, model, dataset, 0, "label", TrainingJob.TaskType.CLASSIFICATION);
      TrainingJob job =
          new TrainingJob(
              d.jobId(),
              null,
              null,
              model,
              dataset,
              0,
              "label",
              List.of(),
              d.task(),
              null,
              d.architecture(),
              d.optimizer(),
              d.batchSize(),
              8,
              d.seed(),
              d.validationFraction(),
              0,
              "cpu",
              Map.of(),
              d.submittedAt());
      JobRunner.Outcome trained =
          new JobRunner(clients, producer, allocator, new JobTrainer())
              .run(job, TrainingListener.NONE);
      assertThat(trained.event().version()).isEqualTo(1);
      try (FileBatchFeed feed =
          new FileBatchFeed(
              Datasets.file("breast_cancer.csv"),
              ReadOptions.defaults(),
              null,
              "label",
              allocator,
              2)) {
        rows = feed.epoch().blockFirst(Duration.ofSeconds(30));
      }
    }
    String[] quantize = {
      "quantize",
      "--bootstrap-servers",
      bootstrap,
      "--model",
      model,
      "--version",
      "1",
      "--methods",
      "int8-dynamic,ternary",
      "--max-accuracy-drop",
      "3",
      "--qat-epochs",
      "2",
      "--latency-runs",
      "3"
    };

    Cli.Result dry = Cli.run(append(quantize, "--no-publish"));
    assertThat(dry.exitCode()).as(dry.err()).isZero();
    assertThat(dry.out()).contains("fp32", "int8-dynamic", "ternary", "not published");
    assertThat(ModelRegistry.load(clients).events(model))
        .extracting(ModelEvent::variant)
        .containsExactly("fp32");

    Cli.Result run = Cli.run(quantize);
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out())
        .contains("published " + model + ":1:int8-dynamic (onnx")
        .contains("published " + model + ":1:ternary (" + TernaryPacking.FORMAT);
    ModelRegistry registry = ModelRegistry.load(clients);
    ModelEvent int8 = registry.event(model, 1, "int8-dynamic").orElseThrow();
    ModelEvent ternary = registry.event(model, 1, "ternary").orElseThrow();
    assertThat(int8.parentVersion()).isEqualTo(1);
    assertThat(ternary.metrics()).containsKeys("size_ratio", "accuracy_delta", "qat_epochs");

    Cli.Result again = Cli.run(quantize);
    assertThat(again.exitCode()).as(again.err()).isZero();
    assertThat(again.out())
        .contains("int8-dynamic: already registered for version 1")
        .doesNotContain("published ");

    float[] row = Arrays.copyOf(rows.x(), rows.features());
    try (Edge edge =
            Edge.start(
                EdgeConfig.defaults()
                    .withHost("127.0.0.1")
                    .withHttpPort(0)
                    .withWorkers(2, 16)
                    .withModels(model::equals),
                clients,
                null);
        KafkaProducer<String, byte[]> producer =
            new KafkaProducer<>(clients.producer("quantize-it-deploy"))) {
      assertThat(edge.awaitReady(Duration.ofSeconds(60))).isTrue();
      for (ModelEvent variant : List.of(int8, ternary)) {
        Deployment deployment =
            new Deployment(
                model,
                1,
                null,
                0,
                Deployment.Mode.SPLIT,
                null,
                "test",
                "serve " + variant.variant(),
                Instant.now(),
                variant.variant(),
                null);
        producer
            .send(
                new ProducerRecord<>(
                    Topics.DEPLOYMENTS.name(),
                    model,
                    Topics.DEPLOYMENTS.valueSerde().serializer().serialize("", deployment)))
            .get();
        byte[] artifact =
            ModelArtifacts.fetch(
                clients, model, 1, variant.variant(), variant.sha256(), Duration.ofSeconds(30));
        float[] expected =
            localProbabilities(
                variant.format().equals(TernaryPacking.FORMAT)
                    ? TernaryPacking.toOnnx(artifact)
                    : artifact,
                row);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        JsonObject answer;
        String served;
        do {
          HttpResponse<String> r = infer(edge.port(), model, row);
          served = r.headers().firstValue("x-model-variant").orElse("");
          answer = new JsonObject(r.body());
          if (served.equals(variant.variant())) {
            break;
          }
          Thread.sleep(50);
        } while (System.nanoTime() < deadline);
        assertThat(served).isEqualTo(variant.variant());
        JsonArray data = null;
        for (Object o : answer.getJsonArray("outputs")) {
          JsonObject out = (JsonObject) o;
          if (out.getString("name").equals("probabilities")) {
            data = out.getJsonArray("data");
          }
        }
        assertThat(data).as(answer.encode()).isNotNull().hasSize(expected.length);
        for (int k = 0; k < expected.length; k++) {
          assertThat(data.getDouble(k)).isCloseTo(expected[k], within(1e-6));
        }
      }
    }
  }

  private static String[] append(String[] args, String more) {
    String[] out = Arrays.copyOf(args, args.length + 1);
    out[args.length] = more;
    return out;
  }

  private static HttpResponse<String> infer(int port, String model, float[] row) throws Exception {
    JsonArray data = new JsonArray();
    for (float v : row) {
      data.add(v);
    }
    JsonObject body =
        new JsonObject()
            .put(
                "inputs",
                new JsonArray()
                    .add(
                        new JsonObject()
                            .put("name", "features")
                            .put("datatype", "FP32")
                            .put("shape", new JsonArray().add(1).add(row.length))
                            .put("data", data)));
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/v2/models/" + model + "/infer"))
                .POST(HttpRequest.BodyPublishers.ofString(body.encode()))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  private static float[] localProbabilities(byte[] onnx, float[] row) throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession s = env.createSession(onnx, new OrtSession.SessionOptions());
        OnnxTensor x =
            OnnxTensor.createTensor(env, FloatBuffer.wrap(row), new long[] {1, row.length});
        OrtSession.Result r = s.run(Map.of("features", x))) {
      float[][] p = (float[][]) r.get("probabilities").orElseThrow().getValue();
      return p[0];
    }
  }
}
