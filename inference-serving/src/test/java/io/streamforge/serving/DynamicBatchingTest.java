package io.streamforge.serving;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Dynamic batching: concurrent requests of different row counts are run together and each gets
 * exactly its own rows back; off by default.
 */
class DynamicBatchingTest {
  static final OnnxModels.Mlp V1 = OnnxModels.Mlp.of(1);

  /** Event loops whose blocked-thread checker fails the test. */
  private BlockedThreads loops;

  @BeforeEach
  void loops() {
    loops = new BlockedThreads();
  }

  @AfterEach
  void closeLoops() {
    loops.close();
  }

  /** An edge on localhost with two workers; batching as the test sets it. */
  private static EdgeConfig base() {
    return EdgeConfig.defaults().withHost("127.0.0.1").withHttpPort(0).withWorkers(2, 512);
  }

  private Edge start(EdgeConfig config) throws Exception {
    return Edge.start(config, null, loops.vertx);
  }

  static float[] row(int i) {
    return new float[] {i * 0.1f, -i * 0.05f, 1 - i * 0.01f, (i % 7) * 0.3f};
  }

  /** Sends 200 concurrent requests of 1 to 3 rows, half asking only for logits; checks each. */
  static void sendAndCheck(Http http) throws Exception {
    List<CompletableFuture<Http.Response>> all = new ArrayList<>();
    List<float[][]> sent = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      int rows = 1 + i % 3;
      float[][] x = new float[rows][];
      for (int r = 0; r < rows; r++) {
        x[r] = row(i * 3 + r);
      }
      sent.add(x);
      String body = Http.mlpRequest("r" + i, x);
      if (i % 2 == 1) {
        JsonObject o = new JsonObject(body);
        o.put("outputs", new JsonArray().add(new JsonObject().put("name", "logits")));
        body = o.encode();
      }
      all.add(http.postAsync("/v2/models/mlp/infer", body));
    }
    for (int i = 0; i < all.size(); i++) {
      Http.Response r = all.get(i).join();
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      JsonObject b = r.json();
      assertThat(b.getString("id")).isEqualTo("r" + i);
      float[][] x = sent.get(i);
      JsonArray outputs = b.getJsonArray("outputs");
      assertThat(outputs).hasSize(i % 2 == 1 ? 1 : 2);
      JsonObject logits = EdgeConformanceTest.output(outputs, "logits");
      assertThat(logits.getJsonArray("shape")).isEqualTo(new JsonArray().add(x.length).add(3));
      double[][] expected = new double[x.length][];
      for (int k = 0; k < x.length; k++) {
        expected[k] = V1.logits(x[k]);
      }
      EdgeConformanceTest.assertRows(logits.getJsonArray("data"), expected);
    }
  }

  /** count and sum of the batch-size histogram of mlp version 1. */
  static double[] batchSizes(Http http) throws Exception {
    return batchSizes(http, "mlp");
  }

  /** count and sum of the batch-size histogram of a model's version 1. */
  static double[] batchSizes(Http http, String model) throws Exception {
    String metrics = http.get("/metrics").body();
    double[] out = new double[2];
    Matcher c =
        Pattern.compile(
                "streamforge_edge_batch_size_count\\{model=\"" + model + "\",version=\"1\"} (\\S+)")
            .matcher(metrics);
    Matcher s =
        Pattern.compile(
                "streamforge_edge_batch_size_sum\\{model=\"" + model + "\",version=\"1\"} (\\S+)")
            .matcher(metrics);
    assertThat(c.find()).isTrue();
    assertThat(s.find()).isTrue();
    out[0] = Double.parseDouble(c.group(1));
    out[1] = Double.parseDouble(s.group(1));
    return out;
  }

  @Test
  void concurrentRequestsAreBatchedAndSplitBack() throws Exception {
    try (Edge edge = start(base().withBatching(16, Duration.ofMillis(5)))) {
      edge.deploy("mlp", 1, V1.onnx(), true);
      Http http = new Http(edge.port());
      sendAndCheck(http);
      double[] sizes = batchSizes(http);
      // fewer model runs than requests: some ran in batches
      assertThat(sizes[1]).isEqualTo(200.0);
      assertThat(sizes[0]).isLessThan(200.0);
      loops.assertNoneBlocked();
    }
  }

  /**
   * String (BYTES) inputs are concatenated too: 120 concurrent requests of 1 to 3 rows, with known
   * and unknown categories, batched, each answer its own rows.
   */
  @Test
  void stringInputsAreBatchedAndSplitBack() throws Exception {
    OnnxModels.Categorical model = OnnxModels.Categorical.of(7);
    String[] colors = {"red", "green", "blue", "other"};
    String[] sizes = {"S", "M", "L", ""};
    try (Edge edge = start(base().withBatching(16, Duration.ofMillis(5)))) {
      edge.deploy("categorical", 1, model.onnx(), true);
      Http http = new Http(edge.port());
      List<CompletableFuture<Http.Response>> all = new ArrayList<>();
      List<double[][]> expected = new ArrayList<>();
      List<JsonArray> echoes = new ArrayList<>();
      for (int i = 0; i < 120; i++) {
        int rows = 1 + i % 3;
        JsonArray features = new JsonArray();
        JsonArray color = new JsonArray();
        JsonArray size = new JsonArray();
        double[][] want = new double[rows][];
        for (int r = 0; r < rows; r++) {
          int k = i * 3 + r;
          float f0 = k * 0.1f;
          float f1 = 1 - k * 0.02f;
          features.add(f0).add(f1);
          color.add(colors[k % 4]);
          size.add(new JsonArray().add(sizes[(k / 4) % 4]));
          want[r] = model.scores(f0, f1, colors[k % 4], sizes[(k / 4) % 4]);
        }
        expected.add(want);
        echoes.add(color);
        JsonObject body =
            new JsonObject()
                .put("id", "c" + i)
                .put(
                    "inputs",
                    new JsonArray()
                        .add(tensor("features", "FP32", rows, 2, features))
                        .add(tensor("color", "BYTES", rows, 1, color))
                        .add(tensor("size", "BYTES", rows, 1, size)));
        all.add(http.postAsync("/v2/models/categorical/infer", body.encode()));
      }
      for (int i = 0; i < all.size(); i++) {
        Http.Response r = all.get(i).join();
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().getString("id")).isEqualTo("c" + i);
        JsonArray outputs = r.json().getJsonArray("outputs");
        EdgeConformanceTest.assertRows(
            EdgeConformanceTest.output(outputs, "scores").getJsonArray("data"), expected.get(i));
        assertThat(EdgeConformanceTest.output(outputs, "color_echo").getJsonArray("data"))
            .isEqualTo(echoes.get(i));
      }
      double[] sizesSeen = batchSizes(http, "categorical");
      assertThat(sizesSeen[1]).isEqualTo(120.0);
      assertThat(sizesSeen[0]).isLessThan(120.0);
      loops.assertNoneBlocked();
    }
  }

  /**
   * At low load a request waits for no other: the timer flushes a batch of one after the maximum
   * delay, well before the batch is full.
   */
  @Test
  void aLoneRequestIsFlushedByTheTimer() throws Exception {
    try (Edge edge = start(base().withBatching(64, Duration.ofMillis(20)))) {
      edge.deploy("mlp", 1, V1.onnx(), true);
      Http http = new Http(edge.port());
      for (int i = 0; i < 3; i++) {
        Http.Response r = http.post("/v2/models/mlp/infer", Http.mlpRequest("lone" + i, row(i)));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        EdgeConformanceTest.assertRows(
            EdgeConformanceTest.output(r.json().getJsonArray("outputs"), "logits")
                .getJsonArray("data"),
            V1.logits(row(i)));
      }
      assertThat(batchSizes(http)).containsExactly(3.0, 3.0); // three runs of one request
      loops.assertNoneBlocked();
    }
  }

  /**
   * A model whose first dimension is fixed cannot batch: with batching on it runs request by
   * request.
   */
  @Test
  void aModelThatCannotBatchRunsAlone() throws Exception {
    try (Edge edge = start(base().withBatching(16, Duration.ofMillis(5)))) {
      edge.deploy("fixed", 1, OnnxModels.fixedShape(), true);
      Http http = new Http(edge.port());
      List<CompletableFuture<Http.Response>> all = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        JsonArray data = new JsonArray().add(i).add(i + 0.5).add(-i).add(1);
        JsonObject body =
            new JsonObject()
                .put("id", "f" + i)
                .put("inputs", new JsonArray().add(tensor("x", "FP32", 2, 2, data)));
        all.add(http.postAsync("/v2/models/fixed/infer", body.encode()));
      }
      for (int i = 0; i < all.size(); i++) {
        Http.Response r = all.get(i).join();
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().getString("id")).isEqualTo("f" + i);
        EdgeConformanceTest.assertRows(
            r.json().getJsonArray("outputs").getJsonObject(0).getJsonArray("data"),
            new double[] {2.0 * i, 2 * i + 1, -2.0 * i, 2});
      }
      assertThat(batchSizes(http, "fixed")).containsExactly(40.0, 40.0); // 40 runs of one
      loops.assertNoneBlocked();
    }
  }

  static JsonObject tensor(String name, String datatype, int rows, int width, JsonArray data) {
    return new JsonObject()
        .put("name", name)
        .put("datatype", datatype)
        .put("shape", new JsonArray().add(rows).add(width))
        .put("data", data);
  }

  @Test
  void offByDefault() throws Exception {
    try (Edge edge = start(base())) {
      edge.deploy("mlp", 1, V1.onnx(), true);
      Http http = new Http(edge.port());
      sendAndCheck(http);
      double[] sizes = batchSizes(http);
      assertThat(sizes[0]).isEqualTo(200.0);
      assertThat(sizes[1]).isEqualTo(200.0);
    }
  }
}
