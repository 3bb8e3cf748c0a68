package io.streamforge.serving;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Each bad input gets its status and a JSON error, and the edge is healthy afterwards. */
class EdgeBadInputTest {
  static BlockedThreads loops;
  static Edge edge;
  static Http http;
  static final float[] ROW = {0.5f, -1.0f, 2.0f, 0.25f};

  @BeforeAll
  static void start() throws Exception {
    loops = new BlockedThreads();
    edge =
        Edge.start(
            EdgeConfig.defaults()
                .withHost("127.0.0.1")
                .withHttpPort(0)
                .withMaxBodyBytes(16 * 1024)
                .withWorkers(1, 2),
            null,
            loops.vertx);
    edge.deploy("mlp", 1, OnnxModels.Mlp.of(1).onnx(), true);
    edge.deploy("categorical", 1, OnnxModels.Categorical.of(7).onnx(), true);
    http = new Http(edge.port());
  }

  @AfterAll
  static void stop() {
    edge.close();
    loops.close();
  }

  @AfterEach
  void healthyAfterwards() throws Exception {
    assertThat(http.get("/v2/health/live").status()).isEqualTo(200);
    assertThat(http.get("/v2/health/ready").status()).isEqualTo(200);
    Http.Response ok = http.post("/v2/models/mlp/infer", Http.mlpRequest("after", ROW));
    assertThat(ok.status()).isEqualTo(200);
    assertThat(ok.json().getString("id")).isEqualTo("after");
    loops.assertNoneBlocked();
  }

  static JsonObject input(String datatype, JsonArray shape, JsonArray data) {
    return new JsonObject()
        .put("name", "input")
        .put("datatype", datatype)
        .put("shape", shape)
        .put("data", data);
  }

  static String body(JsonObject... inputs) {
    JsonArray a = new JsonArray();
    for (JsonObject i : inputs) {
      a.add(i);
    }
    return new JsonObject().put("inputs", a).encode();
  }

  static JsonArray shape(long... dims) {
    JsonArray a = new JsonArray();
    for (long d : dims) {
      a.add(d);
    }
    return a;
  }

  static JsonArray four() {
    return new JsonArray().add(1).add(2).add(3).add(4);
  }

  static List<Arguments> badInputs() {
    return List.of(
        Arguments.of("malformed JSON", "{\"inputs\": [", 400, "malformed JSON"),
        Arguments.of("empty body", "", 400, "empty"),
        Arguments.of("not an object", "[1,2]", 400, "JSON object"),
        Arguments.of("no inputs", "{\"id\":\"x\"}", 400, "'inputs'"),
        Arguments.of("missing input", "{\"inputs\": []}", 400, "missing input 'input'"),
        Arguments.of(
            "unknown input",
            body(input("FP32", shape(1, 4), four()).put("name", "other")),
            400,
            "unknown input 'other'"),
        Arguments.of(
            "input twice",
            body(input("FP32", shape(1, 4), four()), input("FP32", shape(1, 4), four())),
            400,
            "twice"),
        Arguments.of("wrong rank", body(input("FP32", shape(4), four())), 400, "shape"),
        Arguments.of(
            "wrong dimension", body(input("FP32", shape(2, 2), four())), 400, "expects [-1, 4]"),
        Arguments.of(
            "wrong datatype", body(input("FP64", shape(1, 4), four())), 400, "expects FP32"),
        Arguments.of(
            "unsupported datatype", body(input("FP16", shape(1, 4), four())), 400, "not supported"),
        Arguments.of(
            "unknown datatype", body(input("FLOAT", shape(1, 4), four())), 400, "unknown datatype"),
        Arguments.of(
            "data shorter than shape",
            body(input("FP32", shape(2, 4), four())),
            400,
            "has 4 values, its shape [2, 4] needs 8"),
        Arguments.of(
            "strings in data",
            body(input("FP32", shape(1, 4), new JsonArray().add("a").add(2).add(3).add(4))),
            400,
            "a string"),
        Arguments.of(
            "negative dimension", body(input("FP32", shape(-1, 4), four())), 400, "non-negative"),
        Arguments.of(
            "unknown requested output",
            new JsonObject()
                .put("inputs", new JsonArray().add(input("FP32", shape(1, 4), four())))
                .put("outputs", new JsonArray().add(new JsonObject().put("name", "nope")))
                .encode(),
            400,
            "unknown output 'nope'"));
  }

  static JsonObject strings(String name, String datatype, JsonArray data) {
    return new JsonObject()
        .put("name", name)
        .put("datatype", datatype)
        .put("shape", shape(1, 1))
        .put("data", data);
  }

  static JsonObject features() {
    return new JsonObject()
        .put("name", "features")
        .put("datatype", "FP32")
        .put("shape", shape(1, 2))
        .put("data", new JsonArray().add(1).add(2));
  }

  /** Bad inputs for a model with string (BYTES) inputs. */
  static List<Arguments> badStringInputs() {
    JsonArray red = new JsonArray().add("red");
    JsonArray small = new JsonArray().add("S");
    return List.of(
        Arguments.of(
            "FP32 data for a BYTES input",
            body(
                features(),
                strings("color", "FP32", new JsonArray().add(1.0)),
                strings("size", "BYTES", small)),
            "input 'color' has datatype FP32, the model expects BYTES"),
        Arguments.of(
            "a number in BYTES data",
            body(
                features(),
                strings("color", "BYTES", new JsonArray().add(3)),
                strings("size", "BYTES", small)),
            "input 'color' is BYTES, whose data must be JSON strings, but holds 3"),
        Arguments.of(
            "null in BYTES data",
            body(
                features(),
                strings("color", "BYTES", red),
                strings("size", "BYTES", new JsonArray().addNull())),
            "input 'size' is BYTES, whose data must be JSON strings, but holds null"),
        Arguments.of(
            "BYTES for a float input",
            body(
                features().put("datatype", "BYTES").put("data", new JsonArray().add("a").add("b")),
                strings("color", "BYTES", red),
                strings("size", "BYTES", small)),
            "input 'features' has datatype BYTES, the model expects FP32"),
        Arguments.of(
            "strings shorter than the shape",
            body(
                features(),
                strings("color", "BYTES", red).put("shape", shape(2, 1)),
                strings("size", "BYTES", small)),
            "input 'color' has 1 values, its shape [2, 1] needs 2"),
        Arguments.of(
            "a string input missing",
            body(features(), strings("color", "BYTES", red)),
            "missing input 'size'"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badStringInputs")
  void badStringInput(String what, String body, String message) throws Exception {
    Http.Response r = http.post("/v2/models/categorical/infer", body);
    assertThat(r.status()).as(r.body()).isEqualTo(400);
    assertThat(r.error()).isEqualTo(message);
    assertThat(r.header("x-model-version")).isEqualTo("1");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badInputs")
  void badInput(String what, String body, int status, String message) throws Exception {
    Http.Response r = http.post("/v2/models/mlp/infer", body);
    assertThat(r.status()).as(r.body()).isEqualTo(status);
    assertThat(r.error()).contains(message);
    assertThat(r.header("x-model-version")).isEqualTo("1");
  }

  @Test
  void bodyOverTheLimitIs413() throws Exception {
    float[][] rows = new float[2000][];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = ROW;
    }
    Http.Response r = http.post("/v2/models/mlp/infer", Http.mlpRequest(null, rows));
    assertThat(r.status()).isEqualTo(413);
    assertThat(r.error()).contains("exceeds 16384 bytes");
  }

  @Test
  void unknownModelAndVersionAre404() throws Exception {
    Http.Response m = http.post("/v2/models/none/infer", Http.mlpRequest(null, ROW));
    assertThat(m.status()).isEqualTo(404);
    assertThat(m.error()).contains("unknown model 'none'");
    Http.Response v = http.post("/v2/models/mlp/versions/3/infer", Http.mlpRequest(null, ROW));
    assertThat(v.status()).isEqualTo(404);
    assertThat(v.error()).contains("no version 3");
  }

  @Test
  void overloadIsAnswered503NotQueued() throws Exception {
    // One worker and two queue slots: a burst of large requests overflows the pool.
    float[][] rows = new float[300][];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = ROW;
    }
    String big = Http.mlpRequest(null, rows);
    List<CompletableFuture<Http.Response>> all = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      all.add(http.postAsync("/v2/models/mlp/infer", big));
    }
    int ok = 0;
    int overloaded = 0;
    for (CompletableFuture<Http.Response> f : all) {
      Http.Response r = f.join();
      if (r.status() == 200) {
        ok++;
      } else {
        assertThat(r.status()).as(r.body()).isEqualTo(503);
        assertThat(r.error()).contains("overloaded");
        assertThat(r.header("retry-after")).isEqualTo("1");
        overloaded++;
      }
    }
    assertThat(ok).isPositive();
    assertThat(overloaded).isPositive();
    assertThat(http.get("/metrics").body())
        .contains("streamforge_edge_requests_total{model=\"mlp\",status=\"503\"");
  }
}
