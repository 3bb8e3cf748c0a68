package io.streamforge.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.streamforge.serving.model.RoutePlan;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every Open Inference Protocol v2 route, versioned and not, with success and error bodies, against
 * a real edge over HTTP with real ONNX Runtime sessions (no Kafka).
 */
class EdgeConformanceTest {
  static BlockedThreads loops;
  static Edge edge;
  static Http http;
  static final OnnxModels.Mlp V1 = OnnxModels.Mlp.of(1);
  static final OnnxModels.Mlp V2 = OnnxModels.Mlp.of(2);
  static final float[] ROW = {0.5f, -1.0f, 2.0f, 0.25f};
  static final float[] ROW2 = {-0.3f, 0.8f, 0.1f, -2.0f};
  static final OnnxModels.Categorical CATEGORICAL = OnnxModels.Categorical.of(7);

  @BeforeAll
  static void start() throws Exception {
    loops = new BlockedThreads();
    edge =
        Edge.start(
            EdgeConfig.defaults()
                .withHost("127.0.0.1")
                .withHttpPort(0)
                .withMaxBodyBytes(64 * 1024)
                .withWorkers(2, 16),
            null,
            loops.vertx);
    edge.deploy("mlp", 1, V1.onnx(), true);
    edge.deploy("mlp", 2, V2.onnx(), false); // loaded, no traffic
    edge.deploy("typed", 1, OnnxModels.typed(), true);
    edge.deploy("categorical", 1, CATEGORICAL.onnx(), true);
    http = new Http(edge.port());
  }

  @AfterAll
  static void stop() {
    edge.close();
    loops.close();
  }

  @AfterEach
  void eventLoopsNeverBlocked() {
    loops.assertNoneBlocked();
  }

  @Test
  void serverRoutes() throws Exception {
    Http.Response live = http.get("/v2/health/live");
    assertThat(live.status()).isEqualTo(200);
    assertThat(live.json().getBoolean("live")).isTrue();
    Http.Response ready = http.get("/v2/health/ready");
    assertThat(ready.status()).isEqualTo(200);
    assertThat(ready.json().getBoolean("ready")).isTrue();
    Http.Response meta = http.get("/v2");
    assertThat(meta.status()).isEqualTo(200);
    assertThat(meta.json().getString("name")).isEqualTo("streamforge-edge");
    assertThat(meta.json().getJsonArray("extensions")).contains("model_repository");
    Http.Response none = http.get("/v2/nothing");
    assertThat(none.status()).isEqualTo(404);
    assertThat(none.error()).contains("/v2/nothing");
  }

  @Test
  void modelMetadataVersionedAndNot() throws Exception {
    Http.Response m = http.get("/v2/models/mlp");
    assertThat(m.status()).isEqualTo(200);
    JsonObject meta = m.json();
    assertThat(meta.getString("name")).isEqualTo("mlp");
    assertThat(meta.getJsonArray("versions")).containsExactly("1", "2");
    assertThat(meta.getString("model_version")).isEqualTo("1");
    assertThat(m.header("x-model-version")).isEqualTo("1");
    JsonObject input = meta.getJsonArray("inputs").getJsonObject(0);
    assertThat(input.getString("name")).isEqualTo("input");
    assertThat(input.getString("datatype")).isEqualTo("FP32");
    assertThat(input.getJsonArray("shape")).isEqualTo(new JsonArray().add(-1).add(4));
    assertThat(meta.getJsonArray("outputs").stream().map(o -> ((JsonObject) o).getString("name")))
        .containsExactlyInAnyOrder("probabilities", "logits");

    Http.Response v2 = http.get("/v2/models/mlp/versions/2");
    assertThat(v2.status()).isEqualTo(200);
    assertThat(v2.json().getString("model_version")).isEqualTo("2");
    assertThat(v2.header("x-model-version")).isEqualTo("2");

    assertThat(http.get("/v2/models/nope").status()).isEqualTo(404);
    assertThat(http.get("/v2/models/nope").error()).contains("unknown model 'nope'");
    assertThat(http.get("/v2/models/mlp/versions/7").error()).contains("no version 7");
    assertThat(http.get("/v2/models/mlp/versions/7").status()).isEqualTo(404);
    assertThat(http.get("/v2/models/mlp/versions/x").status()).isEqualTo(404);
  }

  @Test
  void modelReadyVersionedAndNot() throws Exception {
    Http.Response r = http.get("/v2/models/mlp/ready");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().getBoolean("ready")).isTrue();
    assertThat(r.json().getString("model_version")).isEqualTo("1");
    Http.Response r2 = http.get("/v2/models/mlp/versions/2/ready");
    assertThat(r2.status()).isEqualTo(200);
    assertThat(r2.header("x-model-version")).isEqualTo("2");
    assertThat(http.get("/v2/models/nope/ready").status()).isEqualTo(404);
    assertThat(http.get("/v2/models/mlp/versions/9/ready").status()).isEqualTo(404);
    assertThat(http.get("/v2/models/mlp/versions/9/ready").error()).contains("no version 9");
  }

  @Test
  void inferUnversionedMatchesTheModelComputedInJava() throws Exception {
    Http.Response r = http.post("/v2/models/mlp/infer", Http.mlpRequest("req-1", ROW, ROW2));
    assertThat(r.status()).isEqualTo(200);
    JsonObject body = r.json();
    assertThat(body.getString("id")).isEqualTo("req-1");
    assertThat(body.getString("model_name")).isEqualTo("mlp");
    assertThat(body.getString("model_version")).isEqualTo("1");
    assertThat(r.header("x-model-version")).isEqualTo("1");
    assertThat(r.header("x-model-variant")).isEqualTo("fp32");
    JsonArray outputs = body.getJsonArray("outputs");
    assertThat(outputs).hasSize(2);
    JsonObject probs = output(outputs, "probabilities");
    assertThat(probs.getString("datatype")).isEqualTo("FP32");
    assertThat(probs.getJsonArray("shape")).isEqualTo(new JsonArray().add(2).add(3));
    assertRows(probs.getJsonArray("data"), V1.probabilities(ROW), V1.probabilities(ROW2));
    assertRows(output(outputs, "logits").getJsonArray("data"), V1.logits(ROW), V1.logits(ROW2));
  }

  @Test
  void inferVersionedAnswersFromThatVersion() throws Exception {
    Http.Response r = http.post("/v2/models/mlp/versions/2/infer", Http.mlpRequest(null, ROW));
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().getString("model_version")).isEqualTo("2");
    assertThat(r.json().containsKey("id")).isFalse();
    assertThat(r.header("x-model-version")).isEqualTo("2");
    assertRows(
        output(r.json().getJsonArray("outputs"), "logits").getJsonArray("data"), V2.logits(ROW));
    Http.Response missing =
        http.post("/v2/models/mlp/versions/5/infer", Http.mlpRequest(null, ROW));
    assertThat(missing.status()).isEqualTo(404);
    assertThat(missing.error()).contains("no version 5");
    Http.Response unknown = http.post("/v2/models/zzz/infer", Http.mlpRequest(null, ROW));
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(unknown.error()).contains("unknown model 'zzz'");
  }

  @Test
  void requestedOutputsParametersAndNestedData() throws Exception {
    JsonObject req =
        new JsonObject()
            .put("id", "nested")
            .put("parameters", new JsonObject().put("trace", "abc").put("n", 3))
            .put(
                "inputs",
                new JsonArray()
                    .add(
                        new JsonObject()
                            .put("name", "input")
                            .put("datatype", "FP32")
                            .put("shape", new JsonArray().add(2).add(4))
                            .put(
                                "data",
                                new JsonArray()
                                    .add(new JsonArray().add(0.5).add(-1.0).add(2.0).add(0.25))
                                    .add(new JsonArray().add(-0.3).add(0.8).add(0.1).add(-2.0)))))
            .put(
                "outputs",
                new JsonArray()
                    .add(
                        new JsonObject()
                            .put("name", "logits")
                            .put("parameters", new JsonObject().put("note", "x"))));
    Http.Response r = http.post("/v2/models/mlp/infer", req.encode());
    assertThat(r.status()).isEqualTo(200);
    JsonObject body = r.json();
    assertThat(body.getJsonObject("parameters"))
        .isEqualTo(new JsonObject().put("trace", "abc").put("n", 3));
    JsonArray outputs = body.getJsonArray("outputs");
    assertThat(outputs).hasSize(1);
    assertThat(outputs.getJsonObject(0).getString("name")).isEqualTo("logits");
    assertThat(outputs.getJsonObject(0).getJsonObject("parameters").getString("note"))
        .isEqualTo("x");
    assertRows(outputs.getJsonObject(0).getJsonArray("data"), V1.logits(ROW), V1.logits(ROW2));
  }

  @Test
  void everyServedDatatype() throws Exception {
    JsonObject req =
        new JsonObject()
            .put(
                "inputs",
                new JsonArray()
                    .add(tensor("f64", "FP64", new JsonArray().add(1.5).add(-2.25)))
                    .add(tensor("i64", "INT64", new JsonArray().add(9007199254740993L).add(-7)))
                    .add(tensor("i32", "INT32", new JsonArray().add(2147483647).add(-3)))
                    .add(tensor("flag", "BOOL", new JsonArray().add(true).add(false))));
    Http.Response r = http.post("/v2/models/typed/infer", req.encode());
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    JsonArray outputs = r.json().getJsonArray("outputs");
    assertThat(output(outputs, "f64_out").getString("datatype")).isEqualTo("FP64");
    assertThat(output(outputs, "f64_out").getJsonArray("data"))
        .isEqualTo(new JsonArray().add(3.0).add(-4.5));
    assertThat(output(outputs, "i64_out").getString("datatype")).isEqualTo("INT64");
    assertThat(output(outputs, "i64_out").getJsonArray("data").getLong(0))
        .isEqualTo(9007199254740993L);
    assertThat(output(outputs, "i32_out").getJsonArray("data"))
        .isEqualTo(new JsonArray().add(2147483647).add(-3));
    assertThat(output(outputs, "flag_out").getString("datatype")).isEqualTo("BOOL");
    assertThat(output(outputs, "flag_out").getJsonArray("data"))
        .isEqualTo(new JsonArray().add(false).add(true));
  }

  @Test
  void stringInputsAreServedAsBytes() throws Exception {
    Http.Response m = http.get("/v2/models/categorical");
    assertThat(m.status()).isEqualTo(200);
    JsonArray inputs = m.json().getJsonArray("inputs");
    assertThat(output(inputs, "features").getString("datatype")).isEqualTo("FP32");
    assertThat(output(inputs, "color").getString("datatype")).isEqualTo("BYTES");
    assertThat(output(inputs, "color").getJsonArray("shape"))
        .isEqualTo(new JsonArray().add(-1).add(1));
    assertThat(output(inputs, "size").getString("datatype")).isEqualTo("BYTES");
    assertThat(output(m.json().getJsonArray("outputs"), "color_echo").getString("datatype"))
        .isEqualTo("BYTES");

    // Three rows; the string inputs first, one flat and one nested; the fields of a tensor in any
    // order; an unknown category ("grün", not ASCII either) encodes as zeros.
    String body =
        "{\"id\":\"cat\",\"inputs\":["
            + "{\"data\":[\"blue\",\"grün\",\"red\"],\"shape\":[3,1],\"name\":\"color\","
            + "\"datatype\":\"BYTES\"},"
            + "{\"name\":\"size\",\"datatype\":\"BYTES\",\"shape\":[3,1],"
            + "\"data\":[[\"S\"],[\"L\"],[\"M\"]]},"
            + "{\"name\":\"features\",\"datatype\":\"FP32\",\"shape\":[3,2],"
            + "\"data\":[0.5,-1,2.0,0.25,0,3]}]}";
    for (String path :
        new String[] {"/v2/models/categorical/infer", "/v2/models/categorical/versions/1/infer"}) {
      Http.Response r = http.post(path, body);
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      assertThat(r.json().getString("id")).isEqualTo("cat");
      JsonArray outputs = r.json().getJsonArray("outputs");
      JsonObject scores = output(outputs, "scores");
      assertThat(scores.getJsonArray("shape")).isEqualTo(new JsonArray().add(3).add(2));
      assertRows(
          scores.getJsonArray("data"),
          CATEGORICAL.scores(0.5f, -1f, "blue", "S"),
          CATEGORICAL.scores(2f, 0.25f, "grün", "L"),
          CATEGORICAL.scores(0f, 3f, "red", "M"));
      JsonObject echo = output(outputs, "color_echo");
      assertThat(echo.getString("datatype")).isEqualTo("BYTES");
      assertThat(echo.getJsonArray("data"))
          .isEqualTo(new JsonArray().add("blue").add("grün").add("red"));
    }
  }

  @Test
  void repositoryIndexListsEveryVersionAndState() throws Exception {
    Http.Response r = http.post("/v2/repository/index", "{}");
    assertThat(r.status()).isEqualTo(200);
    JsonArray index = r.array();
    assertThat(
            index.stream()
                .map(
                    o ->
                        ((JsonObject) o).getString("name")
                            + ":"
                            + ((JsonObject) o).getString("version")
                            + ":"
                            + ((JsonObject) o).getString("state")))
        .contains("mlp:1:READY", "mlp:2:READY", "typed:1:READY");
  }

  @Test
  void aModelThatCannotLoadIsListedUnavailableAndNeverServed() throws Exception {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> edge.deploy("mlp", 3, new byte[] {1, 2, 3, 4}, true))
        .isInstanceOf(io.streamforge.serving.model.ModelLoadException.class)
        .hasMessageContaining("mlp:3:fp32");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> edge.deploy("mlp", 4, V2.onnx(5), true))
        .isInstanceOf(io.streamforge.serving.model.ModelLoadException.class)
        .hasMessageContaining("changes the inputs");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> edge.deploy("half", 1, OnnxModels.halfPrecision(), true))
        .isInstanceOf(io.streamforge.serving.model.ModelLoadException.class)
        .hasMessageContaining("FLOAT16");
    Http.Response r = http.post("/v2/models/mlp/infer", Http.mlpRequest(null, ROW));
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("x-model-version")).isEqualTo("1");
    JsonArray index = http.post("/v2/repository/index", "").array();
    JsonObject v3 =
        index.stream()
            .map(o -> (JsonObject) o)
            .filter(o -> o.getString("name").equals("mlp") && o.getString("version").equals("3"))
            .findFirst()
            .orElseThrow();
    assertThat(v3.getString("state")).isEqualTo("UNAVAILABLE");
    assertThat(v3.getString("reason")).contains("cannot be loaded");
    assertThat(http.post("/v2/models/mlp/versions/3/infer", Http.mlpRequest(null, ROW)).status())
        .isEqualTo(404);
    assertThat(http.get("/metrics").body())
        .contains(
            "streamforge_edge_model_load_failures_total{model=\"mlp\",variant=\"fp32\",version=\"3\"} 1.0");
  }

  @Test
  void metricsExposition() throws Exception {
    http.post("/v2/models/mlp/infer", Http.mlpRequest(null, ROW));
    http.post("/v2/models/mlp/infer", "{bad");
    Http.Response m = http.get("/metrics");
    assertThat(m.status()).isEqualTo(200);
    assertThat(m.header("content-type")).startsWith("text/plain");
    assertThat(m.body())
        .contains(
            "streamforge_edge_requests_total{model=\"mlp\",status=\"200\",variant=\"fp32\",version=\"1\"}")
        .contains(
            "streamforge_edge_requests_total{model=\"mlp\",status=\"400\",variant=\"fp32\",version=\"1\"}")
        .contains(
            "streamforge_edge_request_duration_seconds_bucket{model=\"mlp\",variant=\"fp32\",version=\"1\",le=\"0.001\"}")
        .contains("streamforge_edge_queue_depth")
        .contains("streamforge_edge_batch_size")
        .contains(
            "streamforge_edge_model_load_seconds{model=\"mlp\",variant=\"fp32\",version=\"1\"}");
  }

  @Test
  void adminApiIsDisabledWithoutAToken() throws Exception {
    Http.Response r =
        http.post(
            "/admin/models/mlp/rollout", "{\"action\":\"promote\"}", "authorization", "Bearer x");
    assertThat(r.status()).isEqualTo(404);
    assertThat(r.error()).contains("disabled");
  }

  @Test
  void routeChangesAreVisibleImmediately() throws Exception {
    edge.route("mlp", new RoutePlan(1, 2, 100, false, null));
    try {
      Http.Response r = http.post("/v2/models/mlp/infer", Http.mlpRequest(null, ROW));
      assertThat(r.header("x-model-version")).isEqualTo("2");
    } finally {
      edge.route("mlp", new RoutePlan(1, 2, 0, false, null));
    }
    assertThat(
            http.post("/v2/models/mlp/infer", Http.mlpRequest(null, ROW)).header("x-model-version"))
        .isEqualTo("1");
  }

  @Test
  void whileNotReadyHealthAndInferenceAnswer503() throws Exception {
    java.util.concurrent.atomic.AtomicBoolean ready =
        new java.util.concurrent.atomic.AtomicBoolean();
    io.streamforge.serving.http.EdgeServer server =
        new io.streamforge.serving.http.EdgeServer(
            loops.vertx,
            EdgeConfig.defaults().withHost("127.0.0.1").withHttpPort(0),
            edge.repository(),
            ready::get,
            null);
    int port = server.start().toCompletionStage().toCompletableFuture().get();
    try {
      Http notReady = new Http(port);
      assertThat(notReady.get("/v2/health/live").status()).isEqualTo(200);
      Http.Response health = notReady.get("/v2/health/ready");
      assertThat(health.status()).isEqualTo(503);
      assertThat(health.error()).contains("not ready");
      Http.Response infer = notReady.post("/v2/models/mlp/infer", Http.mlpRequest(null, ROW));
      assertThat(infer.status()).isEqualTo(503);
      assertThat(infer.error()).contains("not ready");
      ready.set(true);
      assertThat(notReady.get("/v2/health/ready").status()).isEqualTo(200);
      assertThat(notReady.post("/v2/models/mlp/infer", Http.mlpRequest(null, ROW)).status())
          .isEqualTo(200);
    } finally {
      server.stop().toCompletionStage().toCompletableFuture().get();
    }
  }

  static JsonObject tensor(String name, String datatype, JsonArray data) {
    return new JsonObject()
        .put("name", name)
        .put("datatype", datatype)
        .put("shape", new JsonArray().add(1).add(2))
        .put("data", data);
  }

  static JsonObject output(JsonArray outputs, String name) {
    return outputs.stream()
        .map(o -> (JsonObject) o)
        .filter(o -> o.getString("name").equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no output " + name + " in " + outputs));
  }

  static void assertRows(JsonArray data, double[]... rows) {
    int n = 0;
    for (double[] row : rows) {
      n += row.length;
    }
    assertThat(data).hasSize(n);
    int i = 0;
    for (double[] row : rows) {
      for (double v : row) {
        assertThat(data.getDouble(i++)).isCloseTo(v, within(1e-5));
      }
    }
  }
}
