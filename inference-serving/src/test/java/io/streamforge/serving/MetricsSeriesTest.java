package io.streamforge.serving;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamforge.serving.model.ModelSession;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A version's Prometheus series leave {@code /metrics} once its session has closed, so that the
 * exposition does not grow with every version an edge ever served; the serving version's stay, and
 * every request a retired version answered was counted before its series went.
 */
class MetricsSeriesTest {
  private static final float[] ROW = {0.5f, -1.0f, 2.0f, 0.25f};

  @Test
  void retiredVersionsLeaveTheExposition() throws Exception {
    try (Edge edge =
        Edge.start(EdgeConfig.defaults().withHost("127.0.0.1").withHttpPort(0), null, null)) {
      Http http = new Http(edge.port());
      List<ModelSession> sessions = new ArrayList<>();
      for (int v = 1; v <= 3; v++) {
        sessions.add(edge.deploy("mlp", v, OnnxModels.Mlp.of(v).onnx(), true));
        for (int i = 0; i < 3; i++) {
          assertThat(http.post("/v2/models/mlp/infer", Http.mlpRequest(null, ROW)).status())
              .isEqualTo(200);
        }
      }
      assertThat(http.post("/v2/models/nope/infer", Http.mlpRequest(null, ROW)).status())
          .isEqualTo(404);
      // versions 1 and 2 were retired by the swaps; their series go once their sessions close
      long deadline = System.nanoTime() + 10_000_000_000L;
      String scrape = http.get("/metrics").body();
      while ((scrape.contains("version=\"1\"") || scrape.contains("version=\"2\""))
          && System.nanoTime() < deadline) {
        Thread.sleep(20);
        scrape = http.get("/metrics").body();
      }
      assertThat(sessions.get(0).isClosed()).isTrue();
      assertThat(sessions.get(1).isClosed()).isTrue();
      assertThat(scrape).doesNotContain("version=\"1\"").doesNotContain("version=\"2\"");
      assertThat(scrape)
          .contains(
              "streamforge_edge_requests_total{model=\"mlp\",status=\"200\",variant=\"fp32\","
                  + "version=\"3\"} 3.0")
          .contains("streamforge_edge_request_duration_seconds_count{model=\"mlp\",")
          .contains(
              "streamforge_edge_model_load_seconds{model=\"mlp\",variant=\"fp32\",version=\"3\"}")
          // requests that chose no version stay counted under the model alone
          .contains("model=\"nope\"");
    }
  }

  @Test
  void aVersionReloadedInPlaceKeepsItsSeries() throws Exception {
    try (Edge edge =
        Edge.start(EdgeConfig.defaults().withHost("127.0.0.1").withHttpPort(0), null, null)) {
      Http http = new Http(edge.port());
      byte[] onnx = OnnxModels.Mlp.of(1).onnx();
      ModelSession first = edge.deploy("mlp", 1, onnx, true);
      for (int i = 0; i < 2; i++) {
        assertThat(http.post("/v2/models/mlp/infer", Http.mlpRequest(null, ROW)).status())
            .isEqualTo(200);
      }
      // runs after the edge's own follow-up of the close (they run in the order given)
      java.util.concurrent.CountDownLatch followedUp = new java.util.concurrent.CountDownLatch(1);
      first.whenClosed(followedUp::countDown);
      edge.deploy("mlp", 1, onnx, true); // the same version again: the first session is replaced
      assertThat(followedUp.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      assertThat(first.isClosed()).isTrue();
      assertThat(http.post("/v2/models/mlp/infer", Http.mlpRequest(null, ROW)).status())
          .isEqualTo(200);
      assertThat(http.get("/metrics").body())
          .contains(
              "streamforge_edge_requests_total{model=\"mlp\",status=\"200\",variant=\"fp32\","
                  + "version=\"1\"} 3.0")
          .contains(
              "streamforge_edge_model_load_seconds{model=\"mlp\",variant=\"fp32\",version=\"1\"}");
    }
  }
}
