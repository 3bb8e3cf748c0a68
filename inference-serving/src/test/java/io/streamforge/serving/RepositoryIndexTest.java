package io.streamforge.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamforge.serving.model.ModelLoadException;
import io.streamforge.serving.model.ModelRepository;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /v2/repository/index} lists every loaded version and the newest unavailable ones
 * (unloaded or failed), so that it does not grow with every version an edge ever served.
 */
class RepositoryIndexTest {
  private static final int KEPT = ModelRepository.UNAVAILABLE_KEPT;

  @Test
  void keepsTheNewestUnavailableVersionsOfEachModel() throws Exception {
    try (Edge edge =
        Edge.start(EdgeConfig.defaults().withHost("127.0.0.1").withHttpPort(0), null, null)) {
      Http http = new Http(edge.port());
      byte[] onnx = OnnxModels.Mlp.of(1).onnx();
      int served = KEPT + 8;
      for (int v = 1; v <= served; v++) {
        edge.deploy("mlp", v, onnx, true); // each swap unloads the version before
      }
      edge.deploy("other", 1, onnx, true);
      edge.deploy("other", 2, onnx, true);
      int broken = served + 1;
      assertThatThrownBy(
              () -> edge.deploy("mlp", broken, "not onnx".getBytes(StandardCharsets.UTF_8), true))
          .isInstanceOf(ModelLoadException.class);

      List<JsonObject> index =
          http.post("/v2/repository/index", "").array().stream().map(o -> (JsonObject) o).toList();
      List<String> mlp =
          index.stream()
              .filter(o -> o.getString("name").equals("mlp"))
              .map(o -> o.getString("version") + ":" + o.getString("state"))
              .toList();
      // the serving version, then the newest KEPT unavailable ones: the failed load among them
      List<String> expected =
          IntStream.rangeClosed(served - KEPT + 1, broken)
              .mapToObj(v -> v + ":" + (v == served ? "READY" : "UNAVAILABLE"))
              .toList();
      assertThat(mlp).containsExactlyElementsOf(expected);
      assertThat(
              index.stream()
                  .filter(o -> o.getString("version").equals(Integer.toString(broken)))
                  .findFirst()
                  .orElseThrow()
                  .getString("reason"))
          .contains("cannot be loaded");
      // another model's history is its own
      assertThat(
              index.stream()
                  .filter(o -> o.getString("name").equals("other"))
                  .map(o -> o.getString("version") + ":" + o.getString("state")))
          .containsExactly("1:UNAVAILABLE", "2:READY");
      assertThat(
              http.post(
                      "/v2/models/mlp/infer",
                      Http.mlpRequest(null, new float[] {0.5f, -1f, 2f, 0.25f}))
                  .status())
          .isEqualTo(200);
    }
  }
}
