package io.streamforge.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.streamforge.serving.metrics.EdgeMetrics;
import io.streamforge.serving.model.ModelId;
import io.streamforge.serving.model.RoutePlan;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Weighted, sticky and shadow canary routing over real HTTP. */
class CanaryRoutingTest {
  static BlockedThreads loops;
  static Edge edge;
  static Http http;
  static final OnnxModels.Mlp V1 = OnnxModels.Mlp.of(1);
  static final OnnxModels.Mlp V2 = OnnxModels.Mlp.of(2);
  static final float[] ROW = {0.5f, -1.0f, 2.0f, 0.25f};

  @BeforeAll
  static void start() throws Exception {
    loops = new BlockedThreads();
    edge =
        Edge.start(
            EdgeConfig.defaults().withHost("127.0.0.1").withHttpPort(0).withWorkers(2, 256),
            null,
            loops.vertx);
    edge.deploy("mlp", 1, V1.onnx(), true);
    edge.deploy("mlp", 2, V2.onnx(), false);
    http = new Http(edge.port());
  }

  @AfterAll
  static void stop() {
    edge.close();
    loops.close();
  }

  @AfterEach
  void noBlocking() {
    loops.assertNoneBlocked();
  }

  /** Sends {@code n} requests, at most 32 at a time, and returns the answers. */
  static List<Http.Response> send(int n, java.util.function.IntFunction<String[]> headers)
      throws Exception {
    String body = Http.mlpRequest(null, ROW);
    Semaphore window = new Semaphore(32);
    List<CompletableFuture<Http.Response>> all = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      window.acquire();
      all.add(
          http.postAsync("/v2/models/mlp/infer", body, headers.apply(i))
              .whenComplete((r, e) -> window.release()));
    }
    List<Http.Response> out = new ArrayList<>(n);
    for (CompletableFuture<Http.Response> f : all) {
      out.add(f.join());
    }
    return out;
  }

  @Test
  void weightTenGivesTheCanaryTenPercent() throws Exception {
    edge.route("mlp", new RoutePlan(1, 2, 10, false, null));
    List<Http.Response> answers = send(10_000, i -> new String[0]);
    int canary = 0;
    for (Http.Response r : answers) {
      assertThat(r.status()).isEqualTo(200);
      String v = r.header("x-model-version");
      assertThat(v).isIn("1", "2");
      assertThat(r.json().getString("model_version")).isEqualTo(v);
      if (v.equals("2")) {
        canary++;
      }
    }
    assertThat(canary * 100.0 / answers.size()).isCloseTo(10.0, within(1.5));
  }

  @Test
  void fractionalWeights() throws Exception {
    edge.route("mlp", new RoutePlan(1, 2, 0.5, false, null));
    long canary =
        send(4000, i -> new String[0]).stream()
            .filter(r -> r.header("x-model-version").equals("2"))
            .count();
    assertThat(canary * 100.0 / 4000).isCloseTo(0.5, within(0.5));
  }

  @Test
  void aStickyKeyAlwaysGetsTheSameVersion() throws Exception {
    edge.route("mlp", new RoutePlan(1, 2, 30, false, "x-user"));
    Map<String, String> versionOf = new HashMap<>();
    List<Http.Response> answers = send(3000, i -> new String[] {"x-user", "user-" + (i % 300)});
    for (int i = 0; i < answers.size(); i++) {
      String key = "user-" + (i % 300);
      String v = answers.get(i).header("x-model-version");
      String before = versionOf.putIfAbsent(key, v);
      if (before != null) {
        assertThat(v).as("version for %s", key).isEqualTo(before);
      }
    }
    long canaryKeys = versionOf.values().stream().filter("2"::equals).count();
    assertThat(canaryKeys).isBetween(45L, 135L); // about 30% of 300 keys
    // raising the weight only moves keys to the canary
    edge.route("mlp", new RoutePlan(1, 2, 60, false, "x-user"));
    List<Http.Response> later = send(300, i -> new String[] {"x-user", "user-" + i});
    for (int i = 0; i < 300; i++) {
      if (versionOf.get("user-" + i).equals("2")) {
        assertThat(later.get(i).header("x-model-version")).isEqualTo("2");
      }
    }
  }

  @Test
  void shadowTrafficNeverChangesAResponse() throws Exception {
    edge.metrics().drain();
    edge.route("mlp", new RoutePlan(1, 2, 100, true, null));
    List<Http.Response> answers = send(500, i -> new String[0]);
    double[] expected = V1.logits(ROW);
    for (Http.Response r : answers) {
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.header("x-model-version")).isEqualTo("1");
      EdgeConformanceTest.assertRows(
          EdgeConformanceTest.output(r.json().getJsonArray("outputs"), "logits")
              .getJsonArray("data"),
          expected);
    }
    // the canary did run on copies
    Thread.sleep(200);
    Map<ModelId, EdgeMetrics.Aggregate> windows = edge.metrics().drain();
    EdgeMetrics.Aggregate canary = windows.get(new ModelId("mlp", 2, "fp32"));
    assertThat(canary).isNotNull();
    assertThat(canary.count()).isGreaterThan(100);
    assertThat(canary.errors()).isZero();
    assertThat(windows.get(new ModelId("mlp", 1, "fp32")).count()).isEqualTo(500);
  }
}
