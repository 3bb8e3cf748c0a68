package io.streamforge.serving;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The edge driven asynchronously by a Vert.x WebClient on the edge's own Vert.x instance (the
 * client shares its event loops, so a handler that blocked would stall the client too).
 */
@ExtendWith(VertxExtension.class)
class EdgeWebClientTest {
  static final OnnxModels.Mlp V1 = OnnxModels.Mlp.of(1);
  BlockedThreads loops;
  Edge edge;
  WebClient client;

  @BeforeEach
  void start() throws Exception {
    loops = new BlockedThreads();
    edge =
        Edge.start(
            EdgeConfig.defaults().withHost("127.0.0.1").withHttpPort(0).withWorkers(2, 64),
            null,
            loops.vertx);
    edge.deploy("mlp", 1, V1.onnx(), true);
    client =
        WebClient.create(
            loops.vertx,
            new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(edge.port()));
  }

  @AfterEach
  void stop() {
    client.close();
    edge.close();
    loops.close();
    loops.assertNoneBlocked();
  }

  private static void awaitAndRethrow(VertxTestContext test) throws Exception {
    assertThat(test.awaitCompletion(30, TimeUnit.SECONDS)).isTrue();
    if (test.failed()) {
      throw new AssertionError(test.causeOfFailure());
    }
  }

  @Test
  void concurrentInferencesEachEchoTheirIdAndRows(Vertx unused, VertxTestContext test)
      throws Exception {
    int n = 40;
    Checkpoint answered = test.checkpoint(n);
    for (int i = 0; i < n; i++) {
      float[] row = {i, -i * 0.5f, 1, 0.1f * i};
      String id = "wc-" + i;
      client
          .post("/v2/models/mlp/infer")
          .sendBuffer(Buffer.buffer(Http.mlpRequest(id, row)))
          .onComplete(
              test.succeeding(
                  r ->
                      test.verify(
                          () -> {
                            assertThat(r.statusCode()).isEqualTo(200);
                            assertThat(r.getHeader("x-model-version")).isEqualTo("1");
                            JsonObject body = r.bodyAsJsonObject();
                            assertThat(body.getString("id")).isEqualTo(id);
                            EdgeConformanceTest.assertRows(
                                EdgeConformanceTest.output(body.getJsonArray("outputs"), "logits")
                                    .getJsonArray("data"),
                                V1.logits(row));
                            answered.flag();
                          })));
    }
    awaitAndRethrow(test);
  }

  @Test
  void errorsAreJsonOnEveryKindOfFailure(Vertx unused, VertxTestContext test) throws Exception {
    Checkpoint done = test.checkpoint(3);
    client
        .get("/v2/models/missing/ready")
        .send()
        .onComplete(
            test.succeeding(
                r ->
                    test.verify(
                        () -> {
                          assertThat(r.statusCode()).isEqualTo(404);
                          assertThat(r.bodyAsJsonObject().getString("error"))
                              .contains("unknown model");
                          done.flag();
                        })));
    client
        .delete("/v2/models/mlp/infer")
        .send()
        .onComplete(
            test.succeeding(
                r ->
                    test.verify(
                        () -> {
                          assertThat(r.statusCode()).isEqualTo(405);
                          assertThat(r.bodyAsJsonObject().getString("error"))
                              .contains("not allowed");
                          done.flag();
                        })));
    client
        .post("/v2/models/mlp/infer")
        .sendBuffer(Buffer.buffer("{\"inputs\": 3}"))
        .onComplete(
            test.succeeding(
                r ->
                    test.verify(
                        () -> {
                          assertThat(r.statusCode()).isEqualTo(400);
                          assertThat(r.bodyAsJsonObject().getString("error")).contains("inputs");
                          done.flag();
                        })));
    awaitAndRethrow(test);
  }
}
