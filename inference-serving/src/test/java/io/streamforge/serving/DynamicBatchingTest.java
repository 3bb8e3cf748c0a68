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
import org.junit.jupiter.api.Test;

/**
 * Dynamic batching: concurrent requests of different row counts are run together and each gets
 * exactly its own rows back; off by default.
 */
class DynamicBatchingTest {
  static final OnnxModels.Mlp V1 = OnnxModels.Mlp.of(1);

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
    String metrics = http.get("/metrics").body();
    double[] out = new double[2];
    Matcher c =
        Pattern.compile("streamforge_edge_batch_size_count\\{model=\"mlp\",version=\"1\"} (\\S+)")
            .matcher(metrics);
    Matcher s =
        Pattern.compile("streamforge_edge_batch_size_sum\\{model=\"mlp\",version=\"1\"} (\\S+)")
            .matcher(metrics);
    assertThat(c.find()).isTrue();
    assertThat(s.find()).isTrue();
    out[0] = Double.parseDouble(c.group(1));
    out[1] = Double.parseDouble(s.group(1));
    return out;
  }

  @Test
  void concurrentRequestsAreBatchedAndSplitBack() throws Exception {
    BlockedThreads loops = new BlockedThreads();
    try (Edge edge =
        Edge.start(
            EdgeConfig.defaults()
                .withHost("127.0.0.1")
                .withHttpPort(0)
                .withWorkers(2, 512)
                .withBatching(16, Duration.ofMillis(5)),
            null,
            loops.vertx)) {
      edge.deploy("mlp", 1, V1.onnx(), true);
      Http http = new Http(edge.port());
      sendAndCheck(http);
      double[] sizes = batchSizes(http);
      // fewer model runs than requests: some ran in batches
      assertThat(sizes[1]).isEqualTo(200.0);
      assertThat(sizes[0]).isLessThan(200.0);
      loops.assertNoneBlocked();
    } finally {
      loops.close();
    }
  }

  @Test
  void offByDefault() throws Exception {
    BlockedThreads loops = new BlockedThreads();
    try (Edge edge =
        Edge.start(
            EdgeConfig.defaults().withHost("127.0.0.1").withHttpPort(0).withWorkers(2, 512),
            null,
            loops.vertx)) {
      edge.deploy("mlp", 1, V1.onnx(), true);
      Http http = new Http(edge.port());
      sendAndCheck(http);
      double[] sizes = batchSizes(http);
      assertThat(sizes[0]).isEqualTo(200.0);
      assertThat(sizes[1]).isEqualTo(200.0);
    } finally {
      loops.close();
    }
  }
}
