package io.streamforge.serving;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamforge.serving.http.InferenceCodec;
import io.streamforge.serving.model.DataType;
import io.streamforge.serving.model.ModelId;
import io.streamforge.serving.model.ModelSession;
import io.streamforge.serving.model.Tensor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The streaming request decoder and response encoder on their own (no HTTP): field order, nesting,
 * number conversions per datatype, strings, and the errors, checked against real model signatures.
 */
class InferenceCodecTest {
  static ModelSession typed;
  static ModelSession categorical;

  @BeforeAll
  static void load() throws Exception {
    typed = ModelSession.load(new ModelId("typed", 1, "fp32"), OnnxModels.typed(), "", 1, null);
    categorical =
        ModelSession.load(
            new ModelId("categorical", 1, "fp32"),
            OnnxModels.Categorical.of(7).onnx(),
            "",
            1,
            null);
  }

  @AfterAll
  static void close() {
    typed.retire();
    categorical.retire();
  }

  static InferenceCodec.Request decode(ModelSession session, String body) {
    return InferenceCodec.decode(Buffer.buffer(body), session);
  }

  static String typedBody(String f64, String i64, String i32, String flag) {
    return "{\"inputs\":["
        + tensor("f64", "FP64", f64)
        + ","
        + tensor("i64", "INT64", i64)
        + ","
        + tensor("i32", "INT32", i32)
        + ","
        + tensor("flag", "BOOL", flag)
        + "]}";
  }

  static String tensor(String name, String datatype, String data) {
    return "{\"name\":\""
        + name
        + "\",\"datatype\":\""
        + datatype
        + "\",\"shape\":[1,2],\"data\":"
        + data
        + "}";
  }

  static Tensor input(InferenceCodec.Request r, String name) {
    return r.inputs().stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow();
  }

  static String error(ModelSession session, String body) {
    try {
      decode(session, body);
    } catch (EdgeException e) {
      assertThat(e.status()).isEqualTo(400);
      return e.getMessage();
    }
    throw new AssertionError("decoded without error: " + body);
  }

  @Test
  void numbersConvertPerDatatype() {
    InferenceCodec.Request r =
        decode(
            typed,
            typedBody("[1, 2.5]", "[9007199254740993, -2.0]", "[[-3], [7]]", "[true,false]"));
    assertThat((double[]) input(r, "f64").data()).containsExactly(1.0, 2.5);
    assertThat((long[]) input(r, "i64").data()).containsExactly(9007199254740993L, -2L);
    assertThat((int[]) input(r, "i32").data()).containsExactly(-3, 7);
    assertThat((boolean[]) input(r, "flag").data()).containsExactly(true, false);
    assertThat(input(r, "i32").shape()).containsExactly(1, 2);
    assertThat(r.id()).isNull();
    assertThat(r.parameters()).isNull();
    assertThat(r.outputs()).isEmpty();
  }

  @Test
  void aTensorsFieldsMayComeInAnyOrderAndUnknownFieldsAreIgnored() {
    String body =
        "{\"extra\":{\"a\":[1,{\"b\":null}]},\"inputs\":["
            + "{\"data\":[[\"blue\"]],\"shape\":[1,1],\"datatype\":\"BYTES\",\"name\":\"size\"},"
            + "{\"shape\":[1,1],\"data\":[\"red\"],\"name\":\"color\",\"x\":1,\"datatype\":\"BYTES\"},"
            + "{\"datatype\":\"FP32\",\"data\":[0.5,-1e-3],\"name\":\"features\",\"shape\":[1,2]}"
            + "],\"id\":\"order\"}";
    InferenceCodec.Request r = decode(categorical, body);
    assertThat(r.id()).isEqualTo("order");
    assertThat(input(r, "size").datatype()).isEqualTo(DataType.BYTES);
    assertThat((String[]) input(r, "size").data()).containsExactly("blue");
    assertThat((String[]) input(r, "color").data()).containsExactly("red");
    assertThat((float[]) input(r, "features").data()).containsExactly(0.5f, -1e-3f);
  }

  @Test
  void floatsAreReadAsJsonNumbersThenRounded() {
    String body =
        "{\"inputs\":[{\"name\":\"features\",\"datatype\":\"FP32\",\"shape\":[1,2],"
            + "\"data\":[0.1, 16777217]},"
            + "{\"name\":\"color\",\"datatype\":\"BYTES\",\"shape\":[1,1],\"data\":[\"\"]},"
            + "{\"name\":\"size\",\"datatype\":\"BYTES\",\"shape\":[1,1],\"data\":[\"\\u00fc\\n\"]}]}";
    InferenceCodec.Request r = decode(categorical, body);
    assertThat((float[]) input(r, "features").data()).containsExactly(0.1f, 16777216f);
    assertThat((String[]) input(r, "color").data()).containsExactly("");
    assertThat((String[]) input(r, "size").data()).containsExactly("ü\n");
  }

  @Test
  void valuesOfTheWrongKindAreRefusedNamingThem() {
    assertThat(error(typed, typedBody("[1, 2]", "[1.5, 2]", "[1, 2]", "[true, true]")))
        .isEqualTo("input 'i64' is INT64 but holds 1.5");
    assertThat(error(typed, typedBody("[1, 2]", "[1, 2]", "[3000000000, 2]", "[true, true]")))
        .isEqualTo("input 'i32': 3000000000 is out of range for INT32");
    assertThat(
            error(
                typed, typedBody("[1, 2]", "[18446744073709551616, 2]", "[1, 2]", "[true, true]")))
        .isEqualTo("input 'i64': 18446744073709551616 is out of range for INT64");
    assertThat(error(typed, typedBody("[1, 2]", "[1e30, 2]", "[1, 2]", "[true, true]")))
        .isEqualTo("input 'i64': 1.0E30 is out of range for INT64");
    assertThat(error(typed, typedBody("[1, 2]", "[1, 2]", "[1, 2]", "[1, true]")))
        .isEqualTo("input 'flag' is BOOL but holds 1");
    assertThat(error(typed, typedBody("[\"x\", 2]", "[1, 2]", "[1, 2]", "[true, true]")))
        .isEqualTo("input 'f64' is FP64 but holds a string");
    assertThat(error(typed, typedBody("[{\"a\":1}, 2]", "[1, 2]", "[1, 2]", "[true, true]")))
        .isEqualTo("input 'f64' is FP64 but holds {\"a\":1}");
    assertThat(error(typed, typedBody("[null, 2]", "[1, 2]", "[1, 2]", "[true, true]")))
        .isEqualTo("input 'f64' is FP64 but holds null");
  }

  @Test
  void shapesAndNesting() {
    assertThat(error(typed, typedBody("[1, 2, 3]", "[1, 2]", "[1, 2]", "[true, true]")))
        .isEqualTo("input 'f64' has 3 values, its shape [1, 2] needs 2");
    String deep = "[".repeat(40) + "1" + "]".repeat(40);
    assertThat(error(typed, typedBody(deep, "[1, 2]", "[1, 2]", "[true, true]")))
        .isEqualTo("input 'f64': data is nested too deeply");
    assertThat(
            error(
                typed,
                typedBody("[1, 2]", "[1, 2]", "[1, 2]", "[true, true]")
                    .replace(
                        "\"shape\":[1,2],\"data\":[1, 2]}", "\"shape\":[1,2.5],\"data\":[1, 2]}")))
        .isEqualTo("input 'f64': shape must be non-negative integers");
    assertThat(
            error(
                typed,
                typedBody("[1, 2]", "[1, 2]", "[1, 2]", "[true, true]")
                    .replaceFirst("\"shape\":\\[1,2\\],", "")))
        .isEqualTo("input 'f64' has no shape");
  }

  @Test
  void malformedJsonComesBeforeAnyOtherError() {
    assertThat(error(typed, "{\"inputs\":[{\"name\":\"nope\"}]")).startsWith("malformed JSON");
    assertThat(error(typed, "{\"inputs\":[]} {}")).startsWith("malformed JSON");
    assertThat(error(typed, "   ")).startsWith("malformed JSON");
    assertThat(error(typed, "[1,2]")).isEqualTo("request body must be a JSON object");
    assertThat(error(typed, "{\"id\":3,\"inputs\":[]}")).isEqualTo("'id' must be a string");
    assertThat(error(typed, "{\"parameters\":[],\"inputs\":[]}"))
        .isEqualTo("'parameters' must be a JSON object");
    assertThat(error(typed, "{\"inputs\":{}}")).isEqualTo("'inputs' must be an array of tensors");
    assertThat(error(typed, "{\"inputs\":[1]}")).isEqualTo("each input must be a JSON object");
    // comments, as Vert.x's own JSON allows them
    assertThat(error(typed, "{/* no inputs */ \"inputs\":[]}")).isEqualTo("missing input 'f64'");
  }

  @Test
  void requestedOutputsAndParameters() {
    String inputs = typedBody("[1, 2]", "[1, 2]", "[1, 2]", "[true, true]");
    String body =
        inputs.substring(0, inputs.length() - 1)
            + ",\"parameters\":{\"trace\":\"t\",\"n\":[1,2.5,{\"k\":null}]},"
            + "\"outputs\":[{\"name\":\"i32_out\",\"parameters\":{\"p\":1}},{\"name\":\"f64_out\"},"
            + "{\"name\":\"i32_out\"}]}";
    InferenceCodec.Request r = decode(typed, body);
    assertThat(r.outputs()).containsExactly("i32_out", "f64_out");
    assertThat(r.outputParameters().get("i32_out")).isEqualTo(new JsonObject().put("p", 1));
    assertThat(r.parameters())
        .isEqualTo(
            new JsonObject()
                .put("trace", "t")
                .put("n", new JsonArray().add(1).add(2.5).add(new JsonObject().putNull("k"))));
    String unknown = body.replace("\"f64_out\"", "\"nope\"");
    assertThat(error(typed, unknown))
        .isEqualTo("unknown output 'nope' (the model has [f64_out, i64_out, i32_out, flag_out])");
    String binary = body.replace("{\"p\":1}", "{\"binary_data\":true}");
    assertThat(error(typed, binary)).isEqualTo("binary_data outputs are not supported");
  }

  @Test
  void responsesEncodeEveryDatatype() {
    InferenceCodec.Request r =
        decode(
            typed,
            typedBody("[1, 2]", "[1, 2]", "[1, 2]", "[true, true]")
                .replace("{\"inputs\"", "{\"id\":\"e\",\"parameters\":{\"a\":[1]},\"inputs\""));
    List<Tensor> outputs =
        List.of(
            new Tensor("f", DataType.FP32, new long[] {1, 3}, new float[] {0.1f, -2.5f, 1e-7f}),
            new Tensor("d", DataType.FP64, new long[] {2}, new double[] {0.1, 1e300}),
            new Tensor("l", DataType.INT64, new long[] {1}, new long[] {9007199254740993L}),
            new Tensor("i", DataType.INT32, new long[] {1}, new int[] {-7}),
            new Tensor("b", DataType.BOOL, new long[] {2}, new boolean[] {true, false}),
            new Tensor("s", DataType.BYTES, new long[] {2, 1}, new String[] {"a\"b", "grün"}));
    JsonObject body = new JsonObject(InferenceCodec.encode("typed", typed, r, outputs));
    assertThat(body.getString("model_name")).isEqualTo("typed");
    assertThat(body.getString("model_version")).isEqualTo("1");
    assertThat(body.getString("id")).isEqualTo("e");
    assertThat(body.getJsonObject("parameters"))
        .isEqualTo(new JsonObject().put("a", new JsonArray().add(1)));
    JsonArray out = body.getJsonArray("outputs");
    assertThat(out.getJsonObject(0).getJsonArray("shape")).isEqualTo(new JsonArray().add(1).add(3));
    assertThat(
            out.getJsonObject(0).getJsonArray("data").stream().map(o -> ((Number) o).floatValue()))
        .containsExactly(0.1f, -2.5f, 1e-7f);
    assertThat(out.getJsonObject(1).getJsonArray("data"))
        .isEqualTo(new JsonArray().add(0.1).add(1e300));
    assertThat(out.getJsonObject(2).getJsonArray("data").getLong(0)).isEqualTo(9007199254740993L);
    assertThat(out.getJsonObject(3).getJsonArray("data")).isEqualTo(new JsonArray().add(-7));
    assertThat(out.getJsonObject(4).getJsonArray("data"))
        .isEqualTo(new JsonArray().add(true).add(false));
    assertThat(out.getJsonObject(5).getString("datatype")).isEqualTo("BYTES");
    assertThat(out.getJsonObject(5).getJsonArray("data"))
        .isEqualTo(new JsonArray().add("a\"b").add("grün"));
  }
}
