package io.streamforge.serving.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The plain-body tokenizer gives exactly Jackson's tokens and values for every body it accepts, and
 * gives up on everything Jackson would refuse (and on the few things it leaves to Jackson).
 */
class PlainJsonTokensTest {
  private static final JsonFactory JACKSON = new JsonFactory();

  /**
   * Tokenizes with both, the plain reader twice (token by token, and with its bulk number reading
   * wherever it may be used); true when the plain reader accepted the body (then all agreed).
   */
  static boolean sameAsJackson(String json) throws Exception {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    List<String> plain = new ArrayList<>();
    List<String> bulk = new ArrayList<>();
    try {
      PlainJsonTokens t = new PlainJsonTokens(bytes);
      JsonToken token;
      while ((token = t.nextToken()) != null) {
        plain.add(describe(token, t));
      }
      PlainJsonTokens b = new PlainJsonTokens(bytes);
      JsonTokens.NumberSink sink =
          new JsonTokens.NumberSink() {
            @Override
            public void addLong(long v) {
              bulk.add("int:" + v + ":" + (v == (int) v ? "Integer" : "Long"));
            }

            @Override
            public void addDouble(double v) {
              bulk.add("float:" + Double.doubleToRawLongBits(v));
            }
          };
      while (true) {
        b.readNumbers(sink);
        if ((token = b.nextToken()) == null) {
          break;
        }
        bulk.add(describe(token, b));
      }
    } catch (PlainJsonTokens.Unsupported e) {
      return false;
    }
    assertThat(bulk).as(json).isEqualTo(plain);
    List<String> jackson = new ArrayList<>();
    try (JsonParser p = JACKSON.createParser(bytes)) {
      JsonTokens t = JsonTokens.of(p);
      JsonToken token;
      while ((token = t.nextToken()) != null) {
        jackson.add(describe(token, t));
      }
    }
    assertThat(plain).as(json).isEqualTo(jackson);
    return true;
  }

  static String describe(JsonToken token, JsonTokens t) throws Exception {
    return switch (token) {
      case FIELD_NAME -> "name:" + t.currentName();
      case VALUE_STRING -> "string:" + t.getText();
      case VALUE_NUMBER_INT ->
          "int:" + t.getLongValue() + ":" + t.getNumberValue().getClass().getSimpleName();
      case VALUE_NUMBER_FLOAT -> "float:" + Double.doubleToRawLongBits(t.getDoubleValue());
      default -> token.name();
    };
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "0",
        "-0",
        "0.0",
        "-0.0",
        "0.1",
        "0.25",
        "1e-7",
        "1E+2",
        "123456789012345678",
        "-123456789012345678",
        "2147483648",
        "-2147483649",
        "1.7976931348623157e308",
        "4.9e-324",
        "2.2250738585072014E-308",
        "9007199254740993.0",
        "9007199254740993e0",
        "0.30000000000000004",
        "3.4028235E38",
        "1.4E-45",
        "0.000000000000000000000000001",
        "1.0000000000000000000000000001",
        "123456789.123456789123",
        "1e400",
        "-1e400",
        "1e-400",
        "12345678901234567.5",
        "8.98846567431158e307"
      })
  void numbersAsJacksonReadsThem(String number) throws Exception {
    assertThat(sameAsJackson("[" + number + "]")).as(number).isTrue();
  }

  @Test
  void randomNumbersAsJacksonReadsThem() throws Exception {
    SplittableRandom random = new SplittableRandom(7);
    StringBuilder json = new StringBuilder("[");
    for (int i = 0; i < 20_000; i++) {
      if (i > 0) {
        json.append(',');
      }
      switch (i % 5) {
        case 0 ->
            json.append(
                Float.toString(
                    (float) (random.nextGaussian() * Math.pow(10, random.nextInt(-20, 20)))));
        case 1 ->
            json.append(
                Double.toString(random.nextGaussian() * Math.pow(10, random.nextInt(-300, 300))));
        case 2 -> json.append(random.nextLong(-999_999_999_999_999_999L, 999_999_999_999_999_999L));
        case 3 -> {
          // a decimal with up to 20 digits and an optional exponent
          json.append(random.nextBoolean() ? "-" : "").append(random.nextInt(0, 1000)).append('.');
          int digits = random.nextInt(1, 20);
          for (int d = 0; d < digits; d++) {
            json.append(random.nextInt(10));
          }
          if (random.nextBoolean()) {
            json.append(random.nextBoolean() ? 'e' : 'E').append(random.nextInt(-40, 40));
          }
        }
        default ->
            json.append(String.format(java.util.Locale.ROOT, "%.6f", random.nextDouble() * 100));
      }
    }
    json.append(']');
    assertThat(sameAsJackson(json.toString())).isTrue();
  }

  @Test
  void dataArraysMixingNumbersAndOtherValues() throws Exception {
    assertThat(
            sameAsJackson(
                "[[1, 2.5 , -3e2,\n4], [\"a\", 5, [6, [7]], true, 8, null, {\"k\": [9, 10]}, 11],"
                    + " [], [ ], [0], -0.0, 12]"))
        .isTrue();
    assertThat(sameAsJackson("{\"a\": [1, 2], \"b\": 3, \"c\": [4, {\"d\": 5}]}")).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"[1, 2,]", "[1 2]", "[1, , 2]", "[1, 2", "[1, 01]", "[,1]", "[1,]]"})
  void bulkNumbersGiveUpWhereTokensDo(String json) {
    assertThatThrownBy(
            () -> {
              PlainJsonTokens t = new PlainJsonTokens(json.getBytes(StandardCharsets.UTF_8));
              JsonTokens.NumberSink ignore =
                  new JsonTokens.NumberSink() {
                    @Override
                    public void addLong(long v) {}

                    @Override
                    public void addDouble(double v) {}
                  };
              do {
                t.readNumbers(ignore);
              } while (t.nextToken() != null);
            })
        .as(json)
        .isInstanceOf(PlainJsonTokens.Unsupported.class);
  }

  @Test
  void requestBodiesAsJacksonReadsThem() throws Exception {
    assertThat(
            sameAsJackson(
                "{ \"id\" : \"r-1\", \"parameters\": {\"a\": [1, 2.5, true, false, null, {}], \"b\": {}},\n"
                    + "\t\"inputs\": [{\"name\": \"x\", \"datatype\": \"FP32\", \"shape\": [2, 2],\r\n"
                    + " \"data\": [[1, 2], [3.5, -4e1]]}, {\"name\":\"s\",\"datatype\":\"BYTES\","
                    + "\"shape\":[2,1],\"data\":[\"grün\", \"\\u00fc\"]}],"
                    + " \"outputs\": [{\"name\": \"y\"}], \"extra\": [[], [[]], {\"k\": []}] }"))
        .isFalse(); // an escape in a string: left to Jackson
    assertThat(
            sameAsJackson(
                "{ \"id\" : \"r-1\", \"parameters\": {\"a\": [1, 2.5, true, false, null, {}], \"b\": {}},\n"
                    + "\t\"inputs\": [{\"name\": \"x\", \"datatype\": \"FP32\", \"shape\": [2, 2],\r\n"
                    + " \"data\": [[1, 2], [3.5, -4e1]]}, {\"name\":\"s\",\"datatype\":\"BYTES\","
                    + "\"shape\":[2,1],\"data\":[\"grün\", \"日本\", \"\"]}],"
                    + " \"outputs\": [{\"name\": \"y\"}], \"extra\": [[], [[]], {\"k\": []}] }  "))
        .isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "[1,]",
        "{\"a\":1,}",
        "[01]",
        "[1.]",
        "[.5]",
        "[+1]",
        "[1 2]",
        "[\"a\\nb\"]",
        "[NaN]",
        "/*c*/{}",
        "{\"a\" 1}",
        "[tru]",
        "[1]]",
        "{}{}",
        "[1e]",
        "[-]",
        "[1.5.2]",
        "{\"a\":}",
        "[\"unterminated]",
        "[\"tab\there\"]",
        "{a:1}",
        "['a']",
        "[1}",
        "{\"a\":1]",
        "[",
        "[12345678901234567890]",
        "[\u00ff]"
      })
  void givesUpOnWhatItDoesNotRead(String json) {
    assertThatThrownBy(
            () -> {
              PlainJsonTokens t = new PlainJsonTokens(json.getBytes(StandardCharsets.UTF_8));
              while (t.nextToken() != null) {
                // read to the end
              }
            })
        .as(json)
        .isInstanceOf(PlainJsonTokens.Unsupported.class);
  }

  @Test
  void invalidUtf8IsLeftToJackson() {
    byte[] bytes = {'[', '"', (byte) 0xC3, '"', ']'};
    assertThatThrownBy(
            () -> {
              PlainJsonTokens t = new PlainJsonTokens(bytes);
              while (t.nextToken() != null) {
                // read to the end
              }
            })
        .isInstanceOf(PlainJsonTokens.Unsupported.class);
  }

  @Test
  void skipChildrenSkipsToTheMatchingEnd() {
    PlainJsonTokens t =
        new PlainJsonTokens("{\"a\":[1,[2,{\"b\":3}]],\"c\":4}".getBytes(StandardCharsets.UTF_8));
    assertThat(t.nextToken()).isEqualTo(JsonToken.START_OBJECT);
    assertThat(t.nextToken()).isEqualTo(JsonToken.FIELD_NAME);
    assertThat(t.nextToken()).isEqualTo(JsonToken.START_ARRAY);
    t.skipChildren();
    assertThat(t.currentToken()).isEqualTo(JsonToken.END_ARRAY);
    assertThat(t.nextToken()).isEqualTo(JsonToken.FIELD_NAME);
    assertThat(t.currentName()).isEqualTo("c");
    assertThat(t.nextToken()).isEqualTo(JsonToken.VALUE_NUMBER_INT);
    assertThat(t.getLongValue()).isEqualTo(4);
    assertThat(t.nextToken()).isEqualTo(JsonToken.END_OBJECT);
    assertThat(t.nextToken()).isNull();
  }

  /** Both readers of {@link InferenceCodec} end in the same error for a body that is not plain. */
  @Test
  void bodiesThatAreNotPlainGetJacksonsError() {
    for (String body : List.of("{\"inputs\": [", "{\"inputs\": [1,]}", "{} x", "[1] [2]")) {
      String plain =
          message(() -> InferenceCodec.read(body.getBytes(StandardCharsets.UTF_8), true));
      String jackson =
          message(() -> InferenceCodec.read(body.getBytes(StandardCharsets.UTF_8), false));
      assertThat(plain).as(body).isEqualTo(jackson).startsWith("malformed JSON");
    }
  }

  static String message(Runnable r) {
    try {
      r.run();
    } catch (io.streamforge.serving.EdgeException e) {
      return e.getMessage();
    }
    throw new AssertionError("no error");
  }
}
