package io.streamforge.serving;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamforge.arrowio.dataset.KafkaClients;
import io.streamforge.arrowio.dataset.TopicSnapshot;
import io.streamforge.arrowio.models.ModelArtifacts;
import io.streamforge.arrowio.models.ModelRegistry;
import io.streamforge.arrowio.models.TernaryPacking;
import io.streamforge.schemas.TopicAdmin;
import io.streamforge.schemas.Topics;
import io.streamforge.schemas.records.Deployment;
import io.streamforge.schemas.records.MetricPoint;
import io.streamforge.schemas.records.ModelEvent;
import io.streamforge.schemas.records.ModelEvent.ModelStatus;
import io.streamforge.serving.model.RoutePlan;
import io.streamforge.testkit.SharedKafka;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The edge following {@code models} and {@code deployments} on a real broker. */
@ExtendWith(SharedKafka.class)
class EdgeKafkaIT {
  static final float[] ROW = {0.5f, -1.0f, 2.0f, 0.25f};
  static KafkaClients clients;
  static KafkaProducer<String, byte[]> producer;
  static BlockedThreads loops;

  @BeforeAll
  static void topics() {
    clients = KafkaClients.of(SharedKafka.cluster().bootstrapServers());
    try (Admin admin = Admin.create(clients.admin())) {
      TopicAdmin.ensure(admin, Topics.ALL);
    }
    producer = new KafkaProducer<>(clients.producer("edge-it"));
    loops = new BlockedThreads();
  }

  @AfterAll
  static void close() {
    producer.close();
    loops.close();
  }

  @AfterEach
  void eventLoopsNeverBlocked() {
    loops.assertNoneBlocked();
  }

  static ModelEvent publish(String model, int version, byte[] onnx, String sha256) {
    return publish(model, version, "fp32", "onnx", onnx, sha256);
  }

  static ModelEvent publish(
      String model, int version, String variant, String format, byte[] onnx, String sha256) {
    String actual =
        ModelArtifacts.publish(
            producer, Topics.MODEL_ARTIFACTS.partitions(), model, version, variant, onnx);
    ModelEvent e =
        new ModelEvent(
            model,
            version,
            variant,
            format,
            ModelStatus.REGISTERED,
            sha256 == null ? actual : sha256,
            onnx.length,
            Map.of("val_accuracy", 0.9),
            variant.equals("fp32") ? null : version,
            "job-" + version,
            "trained",
            Instant.now());
    send(Topics.MODELS.name(), e.key(), Topics.MODELS.valueSerde().serializer().serialize("", e));
    return e;
  }

  static void deploy(String model, int stable, Integer canary, double weight) {
    Deployment d =
        new Deployment(
            model,
            stable,
            canary,
            weight,
            Deployment.Mode.SPLIT,
            null,
            "test",
            "test",
            Instant.now());
    send(
        Topics.DEPLOYMENTS.name(),
        model,
        Topics.DEPLOYMENTS.valueSerde().serializer().serialize("", d));
  }

  static void send(String topic, String key, byte[] value) {
    try {
      producer.send(new ProducerRecord<>(topic, key, value)).get();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static Edge edge(String prefix, String token) throws Exception {
    EdgeConfig config =
        EdgeConfig.defaults()
            .withHost("127.0.0.1")
            .withHttpPort(0)
            .withWorkers(2, 256)
            .withAdminToken(token)
            .withMetricsPeriod(Duration.ofMillis(300))
            .withModels(name -> name.startsWith(prefix));
    Edge edge = Edge.start(config, clients, loops.vertx);
    assertThat(edge.awaitReady(Duration.ofSeconds(60))).isTrue();
    return edge;
  }

  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(20);
    }
  }

  static String servedVersion(Http http, String model) {
    try {
      Http.Response r = http.post("/v2/models/" + model + "/infer", Http.mlpRequest(null, ROW));
      return r.status() == 200 ? r.header("x-model-version") : "status " + r.status();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void atStartTheLatestRegisteredVersionIsLoadedBeforeReady(SharedKafka.Cluster cluster)
      throws Exception {
    String prefix = cluster.uniqueName("start");
    String model = prefix + "-mlp";
    publish(model, 1, OnnxModels.Mlp.of(1).onnx(), null);
    publish(model, 2, OnnxModels.Mlp.of(2).onnx(), null);
    try (Edge edge = edge(prefix, null)) {
      Http http = new Http(edge.port());
      assertThat(http.get("/v2/health/ready").status()).isEqualTo(200);
      Http.Response r = http.post("/v2/models/" + model + "/infer", Http.mlpRequest("a", ROW));
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.json().getString("model_version")).isEqualTo("2");
      EdgeConformanceTest.assertRows(
          EdgeConformanceTest.output(r.json().getJsonArray("outputs"), "logits")
              .getJsonArray("data"),
          OnnxModels.Mlp.of(2).logits(ROW));
      assertThat(http.get("/v2/models/" + model + "/versions/1").status()).isEqualTo(404);

      // a new registered version is picked up; a deployment then decides stable and canary
      publish(model, 3, OnnxModels.Mlp.of(3).onnx(), null);
      await("version 3", () -> servedVersion(http, model).equals("3"));
      deploy(model, 2, 3, 100);
      await(
          "canary 3 at 100%",
          () -> edge.repository().served(model).orElseThrow().plan().canary() != null);
      assertThat(servedVersion(http, model)).isEqualTo("3");
      assertThat(http.get("/v2/models/" + model).json().getString("model_version")).isEqualTo("2");
      deploy(model, 2, null, 0);
      await("stable 2 only", () -> servedVersion(http, model).equals("2"));
      await(
          "version 3 unloaded", () -> !edge.repository().served(model).orElseThrow().hasVersion(3));
    }
  }

  @Test
  void corruptAndUnloadableVersionsNeverTakeTraffic(SharedKafka.Cluster cluster) throws Exception {
    String prefix = cluster.uniqueName("bad");
    String model = prefix + "-mlp";
    publish(model, 1, OnnxModels.Mlp.of(1).onnx(), null);
    try (Edge edge = edge(prefix, null)) {
      Http http = new Http(edge.port());
      assertThat(servedVersion(http, model)).isEqualTo("1");
      // version 2: the registry's sha256 does not match the artifact
      publish(model, 2, OnnxModels.Mlp.of(2).onnx(), "0".repeat(64));
      // version 3: intact artifact that is not an ONNX model
      publish(model, 3, new byte[] {0x08, 0x01, 0x12, 0x7f, 0x00}, null);
      await(
          "both reported FAILED",
          () -> {
            ModelRegistry registry = ModelRegistry.load(clients);
            return registry.event(model, 2, "fp32").map(ModelEvent::status).orElse(null)
                    == ModelStatus.FAILED
                && registry.event(model, 3, "fp32").map(ModelEvent::status).orElse(null)
                    == ModelStatus.FAILED;
          });
      ModelRegistry registry = ModelRegistry.load(clients);
      assertThat(registry.event(model, 2, "fp32").orElseThrow().reason()).contains("sha256");
      assertThat(registry.event(model, 3, "fp32").orElseThrow().reason())
          .contains("cannot be loaded");
      for (int i = 0; i < 20; i++) {
        assertThat(servedVersion(http, model)).isEqualTo("1");
      }
      var index = http.post("/v2/repository/index", "").array();
      assertThat(
              index.stream()
                  .map(o -> (JsonObject) o)
                  .filter(o -> o.getString("name").equals(model))
                  .map(o -> o.getString("version") + ":" + o.getString("state")))
          .containsExactly("1:READY", "2:UNAVAILABLE", "3:UNAVAILABLE");
      assertThat(http.get("/metrics").body())
          .contains(
              "streamforge_edge_model_load_failures_total{model=\""
                  + model
                  + "\",variant=\"fp32\",version=\"2\"} 1.0");
      assertThat(http.get("/v2/health/ready").status()).isEqualTo(200);
      // a good version after the bad ones is served
      publish(model, 4, OnnxModels.Mlp.of(4).onnx(), null);
      await("version 4", () -> servedVersion(http, model).equals("4"));
    }
  }

  @Test
  void aVersionMarkedFailedIsNotRetriedAndAFailedStableFallsBackToTheLatest(
      SharedKafka.Cluster cluster) throws Exception {
    String prefix = cluster.uniqueName("restart");
    String model = prefix + "-mlp";
    publish(model, 1, OnnxModels.Mlp.of(1).onnx(), null);
    publish(model, 2, OnnxModels.Mlp.of(2).onnx(), "f".repeat(64));
    try (Edge first = edge(prefix, null)) {
      assertThat(servedVersion(new Http(first.port()), model)).isEqualTo("1");
    }
    await(
        "2 reported FAILED",
        () ->
            ModelRegistry.load(clients).event(model, 2, "fp32").orElseThrow().status()
                == ModelStatus.FAILED);
    deploy(model, 2, null, 0); // a deployment that names the failed version
    try (Edge second = edge(prefix, null)) {
      Http http = new Http(second.port());
      assertThat(http.get("/v2/health/ready").status()).isEqualTo(200);
      assertThat(servedVersion(http, model)).isEqualTo("1");
      JsonObject v2 =
          http.post("/v2/repository/index", "").array().stream()
              .map(o -> (JsonObject) o)
              .filter(o -> o.getString("name").equals(model) && o.getString("version").equals("2"))
              .findFirst()
              .orElseThrow();
      assertThat(v2.getString("state")).isEqualTo("UNAVAILABLE");
      assertThat(v2.getString("reason")).contains("registry status FAILED");
    }
  }

  @Test
  void swapsThroughTheRegistryUnderLoadFailNoRequest(SharedKafka.Cluster cluster) throws Exception {
    String prefix = cluster.uniqueName("swap");
    String model = prefix + "-mlp";
    int swaps = 20;
    publish(model, 1, OnnxModels.Mlp.of(1).onnx(), null);
    try (Edge edge = edge(prefix, null)) {
      Http http = new Http(edge.port());
      String body = Http.mlpRequest(null, ROW);
      AtomicBoolean stop = new AtomicBoolean();
      List<String> problems = new CopyOnWriteArrayList<>();
      List<Integer> versions = new CopyOnWriteArrayList<>();
      ExecutorService pool = Executors.newFixedThreadPool(4);
      List<Future<?>> clientsRunning = new ArrayList<>();
      for (int c = 0; c < 4; c++) {
        clientsRunning.add(
            pool.submit(
                () -> {
                  int last = 0;
                  while (!stop.get()) {
                    Http.Response r = http.post("/v2/models/" + model + "/infer", body);
                    if (r.status() != 200) {
                      problems.add(r.status() + " " + r.body());
                      continue;
                    }
                    int v = Integer.parseInt(r.json().getString("model_version"));
                    double logit =
                        EdgeConformanceTest.output(r.json().getJsonArray("outputs"), "logits")
                            .getJsonArray("data")
                            .getDouble(0);
                    if (Math.abs(logit - OnnxModels.Mlp.of(v).logits(ROW)[0]) > 1e-4) {
                      problems.add("version " + v + " answered with another version's output");
                    }
                    if (v < last) {
                      problems.add("went back from " + last + " to " + v);
                    }
                    last = v;
                    versions.add(v);
                  }
                  return null;
                }));
      }
      for (int v = 2; v <= swaps + 1; v++) {
        publish(model, v, OnnxModels.Mlp.of(v).onnx(), null);
        int expected = v;
        await(
            "version " + v,
            () -> edge.repository().served(model).orElseThrow().plan().stable() == expected);
      }
      Thread.sleep(100);
      stop.set(true);
      for (Future<?> f : clientsRunning) {
        f.get();
      }
      pool.shutdown();
      assertThat(problems).isEmpty();
      assertThat(versions.size()).isGreaterThan(swaps);
      assertThat(versions.get(versions.size() - 1)).isEqualTo(swaps + 1);
    }
  }

  @Test
  void adminRolloutsGoThroughDeployments(SharedKafka.Cluster cluster) throws Exception {
    String prefix = cluster.uniqueName("admin");
    String model = prefix + "-mlp";
    publish(model, 1, OnnxModels.Mlp.of(1).onnx(), null);
    publish(model, 2, OnnxModels.Mlp.of(2).onnx(), null);
    deploy(model, 1, null, 0);
    try (Edge edge = edge(prefix, "s3cret")) {
      Http http = new Http(edge.port());
      String path = "/admin/models/" + model + "/rollout";
      Http.Response anonymous =
          http.post(path, "{\"action\":\"set-weight\",\"canary_version\":2,\"weight\":100}");
      assertThat(anonymous.status()).isEqualTo(401);
      assertThat(anonymous.error()).contains("bearer token");
      assertThat(
              http.post(path, "{\"action\":\"promote\"}", "authorization", "Bearer wrong").status())
          .isEqualTo(401);
      Http.Response bad =
          http.post(path, "{\"action\":\"dance\"}", "authorization", "Bearer s3cret");
      assertThat(bad.status()).isEqualTo(400);
      assertThat(bad.error()).contains("unknown action");

      Http.Response set =
          http.post(
              path,
              "{\"action\":\"set-weight\",\"canary_version\":2,\"weight\":100,\"reason\":\"try it\"}",
              "authorization",
              "Bearer s3cret");
      assertThat(set.status()).as(set.body()).isEqualTo(202);
      assertThat(set.json().getInteger("canary_version")).isEqualTo(2);
      await("canary 2 serving", () -> servedVersion(http, model).equals("2"));
      Deployment written = latestDeployment(model);
      assertThat(written.canaryVersion()).isEqualTo(2);
      assertThat(written.canaryWeight()).isEqualTo(100.0);
      assertThat(written.reason()).isEqualTo("try it");

      assertThat(
              http.post(path, "{\"action\":\"rollback\"}", "authorization", "Bearer s3cret")
                  .status())
          .isEqualTo(202);
      await("back on 1", () -> servedVersion(http, model).equals("1"));
      await(
          "rollback applied",
          () -> edge.repository().served(model).orElseThrow().plan().canary() == null);
      assertThat(
              http.post(
                      path,
                      "{\"action\":\"shadow\",\"canary_version\":2}",
                      "authorization",
                      "Bearer s3cret")
                  .status())
          .isEqualTo(202);
      await("shadow", () -> edge.repository().served(model).orElseThrow().plan().shadow());
      assertThat(servedVersion(http, model)).isEqualTo("1");
      assertThat(
              http.post(path, "{\"action\":\"promote\"}", "authorization", "Bearer s3cret")
                  .status())
          .isEqualTo(202);
      await("promoted", () -> servedVersion(http, model).equals("2"));
      assertThat(latestDeployment(model).stableVersion()).isEqualTo(2);
    }
  }

  @Test
  void quantizedVariantsNamedByADeploymentOrARolloutAreServed(SharedKafka.Cluster cluster)
      throws Exception {
    String prefix = cluster.uniqueName("variants");
    String model = prefix + "-mlp";
    OnnxModels.Mlp fp32 = OnnxModels.Mlp.of(1);
    OnnxModels.Variant int8 = OnnxModels.variant(fp32, false);
    OnnxModels.Variant ternary = OnnxModels.variant(fp32, true);
    assertThat(TernaryPacking.isContainer(ternary.artifact())).isTrue();
    publish(model, 1, fp32.onnx(), null);
    publish(model, 1, "int8-weight", "onnx", int8.artifact(), null);
    publish(model, 1, "ternary", TernaryPacking.FORMAT, ternary.artifact(), null);
    try (Edge edge = edge(prefix, "s3cret")) {
      Http http = new Http(edge.port());
      // without a deployment: the latest version of the base variant
      assertThat(answer(http, model).header("x-model-variant")).isEqualTo("fp32");

      // a deployment naming variants: int8 stable, ternary canary of the same version at 0%
      send(
          Topics.DEPLOYMENTS.name(),
          model,
          Topics.DEPLOYMENTS
              .valueSerde()
              .serializer()
              .serialize(
                  "",
                  new Deployment(
                      model,
                      1,
                      1,
                      0,
                      Deployment.Mode.SPLIT,
                      null,
                      "test",
                      "int8 stable",
                      Instant.now(),
                      "int8-weight",
                      "ternary")));
      await(
          "int8 stable", () -> "int8-weight".equals(answer(http, model).header("x-model-variant")));
      Http.Response r = answer(http, model);
      assertThat(r.header("x-model-version")).isEqualTo("1");
      assertLogits(r, int8.dequantized());
      await(
          "ternary loaded as the canary",
          () -> edge.repository().served(model).orElseThrow().session(1, "ternary") != null);

      // the admin API sends all traffic to the ternary canary, then promotes it
      String path = "/admin/models/" + model + "/rollout";
      Http.Response set =
          http.post(
              path,
              "{\"action\":\"set-weight\",\"canary_variant\":\"ternary\",\"weight\":100}",
              "authorization",
              "Bearer s3cret");
      assertThat(set.status()).as(set.body()).isEqualTo(202);
      assertThat(set.json().getInteger("canary_version")).isEqualTo(1);
      assertThat(set.json().getString("canary_variant")).isEqualTo("ternary");
      assertThat(set.json().getString("stable_variant")).isEqualTo("int8-weight");
      await(
          "ternary answers", () -> "ternary".equals(answer(http, model).header("x-model-variant")));
      assertLogits(answer(http, model), ternary.dequantized());
      Http.Response promote =
          http.post(path, "{\"action\":\"promote\"}", "authorization", "Bearer s3cret");
      assertThat(promote.status()).as(promote.body()).isEqualTo(202);
      assertThat(promote.json().getString("stable_variant")).isEqualTo("ternary");
      await(
          "ternary stable",
          () -> {
            RoutePlan plan = edge.repository().served(model).orElseThrow().plan();
            return plan.canary() == null && "ternary".equals(plan.stableVariant());
          });
      Deployment written = latestDeployment(model);
      assertThat(written.stableVersion()).isEqualTo(1);
      assertThat(written.stableVariant()).isEqualTo("ternary");
      assertThat(written.canaryVariant()).isNull();
      await(
          "int8 unloaded",
          () -> edge.repository().served(model).orElseThrow().session(1, "int8-weight") == null);
      assertThat(http.get("/v2/models/" + model).header("x-model-variant")).isEqualTo("ternary");

      // a variant that is not registered is refused; back to fp32 through the stable variant
      Http.Response unknown =
          http.post(
              path,
              "{\"action\":\"set-weight\",\"canary_variant\":\"int8-static\",\"weight\":5}",
              "authorization",
              "Bearer s3cret");
      assertThat(unknown.status()).isEqualTo(404);
      assertThat(unknown.error()).contains("no registered version 1 of variant 'int8-static'");
      assertThat(
              http.post(
                      path,
                      "{\"action\":\"split\",\"variant\":\"fp32\"}",
                      "authorization",
                      "Bearer s3cret")
                  .status())
          .isEqualTo(202);
      await("fp32 again", () -> "fp32".equals(answer(http, model).header("x-model-variant")));
      assertLogits(answer(http, model), fp32);
    }
  }

  static Http.Response answer(Http http, String model) {
    try {
      return http.post("/v2/models/" + model + "/infer", Http.mlpRequest(null, ROW));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static void assertLogits(Http.Response r, OnnxModels.Mlp expected) {
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    EdgeConformanceTest.assertRows(
        EdgeConformanceTest.output(r.json().getJsonArray("outputs"), "logits").getJsonArray("data"),
        expected.logits(ROW));
  }

  static Deployment latestDeployment(String model) {
    Deployment[] last = new Deployment[1];
    TopicSnapshot.read(
        clients,
        Topics.DEPLOYMENTS,
        (k, d) -> {
          if (model.equals(k)) {
            last[0] = d;
          }
        });
    return last[0];
  }

  @Test
  void perSecondAggregatesGoToTheMetricsTopic(SharedKafka.Cluster cluster) throws Exception {
    String prefix = cluster.uniqueName("metrics");
    String model = prefix + "-mlp";
    publish(model, 1, OnnxModels.Mlp.of(1).onnx(), null);
    try (Edge edge = edge(prefix, null)) {
      Http http = new Http(edge.port());
      for (int i = 0; i < 30; i++) {
        assertThat(http.post("/v2/models/" + model + "/infer", Http.mlpRequest(null, ROW)).status())
            .isEqualTo(200);
      }
      assertThat(http.post("/v2/models/" + model + "/infer", "{oops").status()).isEqualTo(400);
      List<MetricPoint> points = new ArrayList<>();
      await(
          "aggregates on the metrics topic",
          () -> {
            points.clear();
            TopicSnapshot.read(
                clients,
                Topics.METRICS,
                (k, batch) -> {
                  if (model.equals(k)) {
                    points.addAll(batch);
                  }
                });
            return points.stream()
                    .filter(p -> p.name().equals("request_count"))
                    .mapToDouble(MetricPoint::value)
                    .sum()
                >= 31;
          });
      assertThat(
              points.stream()
                  .filter(p -> p.name().equals("request_count"))
                  .mapToDouble(MetricPoint::value)
                  .sum())
          .isEqualTo(31.0);
      assertThat(
              points.stream()
                  .filter(p -> p.name().equals("error_count"))
                  .mapToDouble(MetricPoint::value)
                  .sum())
          .isEqualTo(1.0);
      MetricPoint p99 =
          points.stream().filter(p -> p.name().equals("latency_p99_ms")).findFirst().orElseThrow();
      assertThat(p99.source()).isEqualTo("edge");
      assertThat(p99.run()).isEqualTo(model + ":1");
      assertThat(p99.labels())
          .containsEntry("model", model)
          .containsEntry("version", "1")
          .containsEntry("variant", "fp32");
      assertThat(p99.value()).isGreaterThan(0.0).isLessThan(10_000.0);
    }
  }
}
