package io.streamforge.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamforge.serving.model.ModelId;
import io.streamforge.serving.model.RoutePlan;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Two variants of one version side by side: routes name version and variant. */
class VariantRoutingTest {
  static BlockedThreads loops;
  static Edge edge;
  static Http http;
  static final float[] ROW = {0.5f, -1.0f, 2.0f, 0.25f};
  static final OnnxModels.Mlp FP32 = OnnxModels.Mlp.of(1);
  static final OnnxModels.Variant INT8 = OnnxModels.variant(FP32, false);
  static final OnnxModels.Variant TERNARY = OnnxModels.variant(FP32, true);

  @BeforeAll
  static void start() throws Exception {
    loops = new BlockedThreads();
    edge =
        Edge.start(
            EdgeConfig.defaults().withHost("127.0.0.1").withHttpPort(0).withWorkers(2, 64),
            null,
            loops.vertx);
    edge.deploy("mlp", 1, FP32.onnx(), true);
    edge.deploy("mlp", 1, "int8-weight", INT8.onnx(), false);
    edge.deploy("mlp", 1, "ternary", TERNARY.onnx(), false);
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

  private static Http.Response infer(String path) throws Exception {
    return http.post(path, Http.mlpRequest(null, ROW));
  }

  @Test
  void aCanaryCanBeAnotherVariantOfTheStableVersion() throws Exception {
    edge.route("mlp", new RoutePlan(1, 1, 50, false, null, null, "int8-weight"));
    Map<String, Integer> byVariant = new HashMap<>();
    for (int i = 0; i < 400; i++) {
      Http.Response r = infer("/v2/models/mlp/infer");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.header("x-model-version")).isEqualTo("1");
      String variant = r.header("x-model-variant");
      byVariant.merge(variant, 1, Integer::sum);
      EdgeConformanceTest.assertRows(
          EdgeConformanceTest.output(r.json().getJsonArray("outputs"), "logits")
              .getJsonArray("data"),
          (variant.equals("fp32") ? FP32 : INT8.dequantized()).logits(ROW));
    }
    assertThat(byVariant.keySet()).containsExactlyInAnyOrder("fp32", "int8-weight");
    assertThat(byVariant.get("int8-weight")).isBetween(120, 280);
    // the versioned route answers with the variant the route gives the stable version
    assertThat(infer("/v2/models/mlp/versions/1/infer").header("x-model-variant"))
        .isEqualTo("fp32");
    // the metadata lists the version once
    assertThat(http.get("/v2/models/mlp").json().getJsonArray("versions").getList())
        .containsExactly("1");
  }

  @Test
  void aPlanNamingTheBaseVariantExplicitlyIsThePlanThatNamesNone() {
    RoutePlan implicit = new RoutePlan(1, 1, 10, false, null, null, null);
    assertThat(implicit.canary()).as("same version, same (base) variant: no canary").isNull();
    RoutePlan explicit = new RoutePlan(1, 1, 10, false, null, "fp32", "fp32");
    assertThat(explicit.canary()).isNull();
    assertThat(new RoutePlan(2, 1, 10, false, null, null, "ternary").withBase("fp32"))
        .isEqualTo(new RoutePlan(2, 1, 10, false, null, "fp32", "ternary"));
    assertThat(new RoutePlan(1, null, 0, false, null, null, "ternary").canaryVariant()).isNull();
    assertThat(RoutePlan.only(3, "int8-static").stableId("m", "fp32"))
        .isEqualTo(new ModelId("m", 3, "int8-static"));
  }

  @Test
  void aStableVariantTakesAllTrafficAndOthersOfTheVersionAreUnloaded() throws Exception {
    edge.deploy("other", 1, FP32.onnx(), true);
    edge.deploy("other", 1, "ternary", TERNARY.onnx(), false);
    edge.route("other", RoutePlan.only(1, "ternary"));
    Http.Response r = infer("/v2/models/other/infer");
    assertThat(r.header("x-model-variant")).isEqualTo("ternary");
    EdgeConformanceTest.assertRows(
        EdgeConformanceTest.output(r.json().getJsonArray("outputs"), "logits").getJsonArray("data"),
        TERNARY.dequantized().logits(ROW));
    assertThat(edge.repository().served("other").orElseThrow().session(1, "fp32")).isNull();
    assertThatThrownBy(() -> edge.route("other", RoutePlan.only(1, "int8-weight")))
        .hasMessageContaining("other:1:int8-weight is not loaded");
  }
}
