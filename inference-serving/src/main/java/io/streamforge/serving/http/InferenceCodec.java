package io.streamforge.serving.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import io.streamforge.serving.EdgeException;
import io.streamforge.serving.model.DataType;
import io.streamforge.serving.model.ModelSession;
import io.streamforge.serving.model.Tensor;
import io.streamforge.serving.model.TensorSpec;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Open Inference Protocol v2 bodies: decodes and checks an inference request against a model's
 * signature, encodes the response.
 *
 * <p>Both directions stream: the request is read token by token straight into the tensors'
 * primitive arrays (no tree of JSON objects, no boxed numbers), and the response is written with
 * Jackson's generator. Decoding a body through {@code JsonObject} was the largest share of the
 * edge's own CPU per request for a small model. The tokens come from {@link PlainJsonTokens} for
 * plain bodies and from Jackson's parser for every other body (one reader over both, {@link
 * JsonTokens}). Every check happens after the whole body has been read, in a fixed order, so a body
 * with several problems always gets the same error, and malformed JSON is reported as such before
 * anything else.
 */
public final class InferenceCodec {
  private InferenceCodec() {}

  /** As Vert.x's own JSON: comments allowed; the fast (and exact) double parser. */
  private static final JsonFactory JSON =
      JsonFactory.builder()
          .enable(JsonReadFeature.ALLOW_JAVA_COMMENTS)
          .enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER)
          .build();

  /** Deepest nesting of a tensor's {@code data} arrays. */
  private static final int MAX_DATA_DEPTH = 32;

  /** A checked inference request. */
  public record Request(
      String id,
      JsonObject parameters,
      List<Tensor> inputs,
      List<String> outputs,
      Map<String, JsonObject> outputParameters) {}

  /**
   * Parses and checks a request body.
   *
   * @throws EdgeException 400 naming what is wrong
   */
  public static Request decode(Buffer body, ModelSession session) {
    if (body == null || body.length() == 0) {
      throw EdgeException.badRequest("request body is empty");
    }
    return read(body.getBytes(), true).check(session.inputs(), session.outputs());
  }

  /**
   * Reads a body: with {@link PlainJsonTokens} when {@code plain} (falling back to Jackson on
   * anything that reader leaves), else with Jackson only.
   */
  static Body read(byte[] bytes, boolean plain) {
    if (plain) {
      try {
        return Body.read(new PlainJsonTokens(bytes));
      } catch (PlainJsonTokens.Unsupported e) {
        // not a plain body: Jackson reads it, or says what is wrong with it
      } catch (IOException e) {
        throw new UncheckedIOException(e); // the plain reader does no I/O
      }
    }
    try (JsonParser p = JSON.createParser(bytes)) {
      return Body.read(JsonTokens.of(p));
    } catch (IOException e) {
      throw EdgeException.badRequest("malformed JSON: " + firstLine(e.getMessage()));
    }
  }

  /** What a request body holds, as read; {@link #check} validates it against a model. */
  static final class Body {
    boolean badId;
    String id;
    boolean badParameters;
    JsonObject parameters;
    List<RawInput> inputs; // null: absent or not an array
    boolean badOutputs;
    List<RawOutput> outputs; // null: absent

    static Body read(JsonTokens p) throws IOException {
      JsonToken t = p.nextToken();
      if (t == null) {
        throw EdgeException.badRequest("malformed JSON: no content");
      }
      Body b = new Body();
      boolean object = t == JsonToken.START_OBJECT;
      if (object) {
        b.readFields(p);
      } else {
        p.skipChildren();
      }
      if (p.nextToken() != null) {
        throw EdgeException.badRequest("malformed JSON: content after the JSON value");
      }
      if (!object) {
        throw EdgeException.badRequest("request body must be a JSON object");
      }
      return b;
    }

    private void readFields(JsonTokens p) throws IOException {
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String key = p.currentName();
        JsonToken t = p.nextToken();
        switch (key) {
          case "id" -> {
            badId = t != JsonToken.VALUE_STRING && t != JsonToken.VALUE_NULL;
            id = t == JsonToken.VALUE_STRING ? p.getText() : null;
            p.skipChildren();
          }
          case "parameters" -> {
            badParameters = t != JsonToken.START_OBJECT && t != JsonToken.VALUE_NULL;
            parameters = t == JsonToken.START_OBJECT ? readObject(p) : null;
            p.skipChildren();
          }
          case "inputs" -> {
            inputs = null;
            if (t == JsonToken.START_ARRAY) {
              inputs = new ArrayList<>(2);
              while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                inputs.add(t == JsonToken.START_OBJECT ? RawInput.read(p) : RawInput.NOT_OBJECT);
                p.skipChildren();
              }
            } else {
              p.skipChildren();
            }
          }
          case "outputs" -> {
            badOutputs = t != JsonToken.START_ARRAY && t != JsonToken.VALUE_NULL;
            outputs = null;
            if (t == JsonToken.START_ARRAY) {
              outputs = new ArrayList<>(2);
              while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                outputs.add(t == JsonToken.START_OBJECT ? RawOutput.read(p) : RawOutput.NOT_OBJECT);
                p.skipChildren();
              }
            } else {
              p.skipChildren();
            }
          }
          default -> p.skipChildren();
        }
      }
    }

    Request check(List<TensorSpec> specs, List<TensorSpec> outputSpecs) {
      if (badId) {
        throw EdgeException.badRequest("'id' must be a string");
      }
      if (badParameters) {
        throw EdgeException.badRequest("'parameters' must be a JSON object");
      }
      if (inputs == null) {
        throw EdgeException.badRequest("'inputs' must be an array of tensors");
      }
      List<Tensor> tensors = new ArrayList<>(inputs.size());
      Set<String> seen = new HashSet<>();
      for (RawInput raw : inputs) {
        if (raw == RawInput.NOT_OBJECT) {
          throw EdgeException.badRequest("each input must be a JSON object");
        }
        if (raw.badName) {
          throw EdgeException.badRequest("'name' must be a string");
        }
        if (raw.name == null) {
          throw EdgeException.badRequest("an input has no name");
        }
        TensorSpec spec = spec(specs, raw.name);
        if (spec == null) {
          throw EdgeException.badRequest(
              "unknown input '" + raw.name + "' (the model takes " + names(specs) + ")");
        }
        if (!seen.add(raw.name)) {
          throw EdgeException.badRequest("input '" + raw.name + "' is given twice");
        }
        tensors.add(raw.tensor(spec));
      }
      for (TensorSpec s : specs) {
        if (!seen.contains(s.name())) {
          throw EdgeException.badRequest("missing input '" + s.name() + "'");
        }
      }
      if (badOutputs) {
        throw EdgeException.badRequest("'outputs' must be an array");
      }
      List<String> requested = new ArrayList<>();
      Map<String, JsonObject> outputParameters = Map.of();
      if (outputs != null) {
        outputParameters = new HashMap<>();
        for (RawOutput o : outputs) {
          if (o == RawOutput.NOT_OBJECT || o.name == null) {
            throw EdgeException.badRequest("each requested output needs a name");
          }
          if (spec(outputSpecs, o.name) == null) {
            throw EdgeException.badRequest(
                "unknown output '" + o.name + "' (the model has " + names(outputSpecs) + ")");
          }
          if (o.badParameters) {
            throw EdgeException.badRequest("'parameters' must be a JSON object");
          }
          if (o.parameters != null && Boolean.TRUE.equals(o.parameters.getValue("binary_data"))) {
            throw EdgeException.badRequest("binary_data outputs are not supported");
          }
          if (!requested.contains(o.name)) {
            requested.add(o.name);
          }
          if (o.parameters != null) {
            outputParameters.put(o.name, o.parameters);
          }
        }
      }
      return new Request(id, parameters, tensors, requested, outputParameters);
    }
  }

  private static TensorSpec spec(List<TensorSpec> specs, String name) {
    for (TensorSpec s : specs) {
      if (s.name().equals(name)) {
        return s;
      }
    }
    return null;
  }

  private static List<String> names(List<TensorSpec> specs) {
    return specs.stream().map(TensorSpec::name).toList();
  }

  /** One requested output, as read. */
  private static final class RawOutput {
    static final RawOutput NOT_OBJECT = new RawOutput();
    String name; // null: missing or not a string
    boolean badParameters;
    JsonObject parameters;

    static RawOutput read(JsonTokens p) throws IOException {
      RawOutput o = new RawOutput();
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String key = p.currentName();
        JsonToken t = p.nextToken();
        if (key.equals("name")) {
          o.name = t == JsonToken.VALUE_STRING ? p.getText() : null;
        } else if (key.equals("parameters")) {
          o.badParameters = t != JsonToken.START_OBJECT && t != JsonToken.VALUE_NULL;
          o.parameters = t == JsonToken.START_OBJECT ? readObject(p) : null;
        }
        p.skipChildren();
      }
      return o;
    }
  }

  /** One input tensor, as read: its fields may come in any order. */
  private static final class RawInput {
    static final RawInput NOT_OBJECT = new RawInput();
    boolean badName;
    String name;
    String datatype; // null: missing or not a string
    boolean hasShape;
    boolean badShape;
    long[] shape;
    boolean binaryData;
    Values data; // null: missing or not an array

    static RawInput read(JsonTokens p) throws IOException {
      RawInput r = new RawInput();
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String key = p.currentName();
        JsonToken t = p.nextToken();
        switch (key) {
          case "name" -> {
            r.badName = t != JsonToken.VALUE_STRING && t != JsonToken.VALUE_NULL;
            r.name = t == JsonToken.VALUE_STRING ? p.getText() : null;
          }
          case "datatype" -> r.datatype = t == JsonToken.VALUE_STRING ? p.getText() : null;
          case "shape" -> {
            r.hasShape = t == JsonToken.START_ARRAY;
            r.badShape = false;
            if (r.hasShape) {
              r.readShape(p);
            }
          }
          case "parameters" -> {
            r.binaryData = false;
            if (t == JsonToken.START_OBJECT) {
              r.binaryData = readObject(p).getValue("binary_data_size") != null;
            }
          }
          case "data" -> {
            r.data = null;
            if (t == JsonToken.START_ARRAY) {
              r.data = new Values();
              readData(p, r.data, 0);
            }
          }
          default -> {}
        }
        p.skipChildren();
      }
      return r;
    }

    private void readShape(JsonTokens p) throws IOException {
      long[] dims = new long[4];
      int n = 0;
      JsonToken t;
      while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
        long d = -1;
        if (t == JsonToken.VALUE_NUMBER_INT) {
          d = p.isBigInteger() ? -1 : p.getLongValue();
        } else if (t == JsonToken.VALUE_NUMBER_FLOAT) {
          double v = p.getDoubleValue();
          d = v == Math.rint(v) && v < 0x1p63 ? (long) v : -1;
        } else {
          p.skipChildren();
        }
        if (d < 0) {
          badShape = true;
        }
        if (n == dims.length) {
          dims = Arrays.copyOf(dims, n * 2);
        }
        dims[n++] = d;
      }
      shape = Arrays.copyOf(dims, n);
    }

    Tensor tensor(TensorSpec spec) {
      DataType type = DataType.parse(datatype);
      if (type != spec.datatype()) {
        throw EdgeException.badRequest(
            "input '" + name + "' has datatype " + type + ", the model expects " + spec.datatype());
      }
      if (!hasShape) {
        throw EdgeException.badRequest("input '" + name + "' has no shape");
      }
      if (badShape) {
        throw EdgeException.badRequest("input '" + name + "': shape must be non-negative integers");
      }
      long[] expected = spec.shape();
      if (expected.length != shape.length) {
        throw EdgeException.badRequest(
            "input '"
                + name
                + "' has shape "
                + Arrays.toString(shape)
                + ", the model expects "
                + Arrays.toString(expected));
      }
      for (int i = 0; i < shape.length; i++) {
        if (expected[i] >= 0 && expected[i] != shape[i]) {
          throw EdgeException.badRequest(
              "input '"
                  + name
                  + "' has shape "
                  + Arrays.toString(shape)
                  + ", the model expects "
                  + Arrays.toString(expected)
                  + " (-1: any size)");
        }
      }
      if (binaryData) {
        throw EdgeException.badRequest("binary tensor data is not supported");
      }
      if (data == null) {
        throw EdgeException.badRequest("input '" + name + "' has no data array");
      }
      int elements;
      try {
        elements = Tensor.elements(shape);
      } catch (ArithmeticException e) {
        throw EdgeException.badRequest("input '" + name + "': shape is too large");
      }
      if (data.tooDeep) {
        throw EdgeException.badRequest("input '" + name + "': data is nested too deeply");
      }
      if (data.n != elements) {
        throw EdgeException.badRequest(
            "input '"
                + name
                + "' has "
                + data.n
                + " values, its shape "
                + Arrays.toString(shape)
                + " needs "
                + elements);
      }
      return new Tensor(name, type, shape, data.convert(name, type));
    }
  }

  /** Reads the elements of a (possibly nested) data array in row-major order. */
  private static void readData(JsonTokens p, Values out, int depth) throws IOException {
    if (depth > MAX_DATA_DEPTH) {
      out.tooDeep = true;
      p.skipChildren();
      return;
    }
    JsonToken t;
    while (true) {
      p.readNumbers(out);
      if ((t = p.nextToken()) == JsonToken.END_ARRAY) {
        return;
      }
      switch (t) {
        case VALUE_NUMBER_FLOAT ->
            out.add(Values.DOUBLE, Double.doubleToRawLongBits(p.getDoubleValue()));
        case VALUE_NUMBER_INT -> {
          if (p.isBigInteger()) {
            out.addOther(Values.BIG, p.getBigIntegerValue());
          } else {
            out.add(Values.LONG, p.getLongValue());
          }
        }
        case START_ARRAY -> readData(p, out, depth + 1);
        case VALUE_STRING -> out.addOther(Values.STRING, p.getText());
        case VALUE_TRUE -> out.add(Values.TRUE, 1);
        case VALUE_FALSE -> out.add(Values.FALSE, 0);
        case VALUE_NULL -> out.add(Values.NULL, 0);
        case START_OBJECT -> out.addOther(Values.OBJECT, readObject(p));
        default -> throw EdgeException.badRequest("malformed JSON: unexpected " + t);
      }
    }
  }

  /**
   * A tensor's elements as read, before the datatype is known (JSON does not order a tensor's
   * fields): a kind per element and its value's bits (a long, a double's bits, or an index into the
   * other values: strings, big integers, objects).
   */
  private static final class Values implements JsonTokens.NumberSink {
    static final byte LONG = 0;
    static final byte DOUBLE = 1;
    static final byte TRUE = 2;
    static final byte FALSE = 3;
    static final byte NULL = 4;
    static final byte STRING = 5;
    static final byte BIG = 6;
    static final byte OBJECT = 7;

    byte[] kinds = new byte[16];
    long[] bits = new long[16];
    List<Object> others;
    int n;
    boolean tooDeep;

    @Override
    public void addLong(long value) {
      add(LONG, value);
    }

    @Override
    public void addDouble(double value) {
      add(DOUBLE, Double.doubleToRawLongBits(value));
    }

    void add(byte kind, long value) {
      if (n == kinds.length) {
        kinds = Arrays.copyOf(kinds, n * 2);
        bits = Arrays.copyOf(bits, n * 2);
      }
      kinds[n] = kind;
      bits[n++] = value;
    }

    void addOther(byte kind, Object value) {
      if (others == null) {
        others = new ArrayList<>();
      }
      others.add(value);
      add(kind, others.size() - 1);
    }

    Object convert(String name, DataType type) {
      switch (type) {
        case FP32 -> {
          float[] a = new float[n];
          for (int i = 0; i < n; i++) {
            a[i] =
                switch (kinds[i]) {
                  case DOUBLE -> (float) Double.longBitsToDouble(bits[i]);
                  case LONG -> (float) bits[i];
                  case BIG -> ((BigInteger) other(i)).floatValue();
                  default -> throw holds(name, type, i);
                };
          }
          return a;
        }
        case FP64 -> {
          double[] a = new double[n];
          for (int i = 0; i < n; i++) {
            a[i] =
                switch (kinds[i]) {
                  case DOUBLE -> Double.longBitsToDouble(bits[i]);
                  case LONG -> (double) bits[i];
                  case BIG -> ((BigInteger) other(i)).doubleValue();
                  default -> throw holds(name, type, i);
                };
          }
          return a;
        }
        case INT64 -> {
          long[] a = new long[n];
          for (int i = 0; i < n; i++) {
            a[i] = integral(name, type, i, Long.MIN_VALUE, Long.MAX_VALUE);
          }
          return a;
        }
        case INT32 -> {
          int[] a = new int[n];
          for (int i = 0; i < n; i++) {
            a[i] = (int) integral(name, type, i, Integer.MIN_VALUE, Integer.MAX_VALUE);
          }
          return a;
        }
        case BOOL -> {
          boolean[] a = new boolean[n];
          for (int i = 0; i < n; i++) {
            if (kinds[i] != TRUE && kinds[i] != FALSE) {
              throw holds(name, type, i);
            }
            a[i] = kinds[i] == TRUE;
          }
          return a;
        }
        case BYTES -> {
          String[] a = new String[n];
          for (int i = 0; i < n; i++) {
            if (kinds[i] != STRING) {
              throw EdgeException.badRequest(
                  "input '"
                      + name
                      + "' is BYTES, whose data must be JSON strings, but holds "
                      + describe(i));
            }
            a[i] = (String) other(i);
          }
          return a;
        }
        default -> throw new IllegalStateException(type.name());
      }
    }

    private long integral(String name, DataType type, int i, long min, long max) {
      long l;
      switch (kinds[i]) {
        case LONG -> l = bits[i];
        case DOUBLE -> {
          double d = Double.longBitsToDouble(bits[i]);
          if (d != Math.rint(d)) {
            throw EdgeException.badRequest(
                "input '" + name + "' is " + type + " but holds " + describe(i));
          }
          if (d < -0x1p63 || d >= 0x1p63) {
            throw outOfRange(name, type, i);
          }
          l = (long) d;
        }
        case BIG -> throw outOfRange(name, type, i);
        default -> throw holds(name, type, i);
      }
      if (l < min || l > max) {
        throw outOfRange(name, type, i);
      }
      return l;
    }

    private EdgeException holds(String name, DataType type, int i) {
      return EdgeException.badRequest(
          "input '" + name + "' is " + type + " but holds " + describe(i));
    }

    private EdgeException outOfRange(String name, DataType type, int i) {
      return EdgeException.badRequest(
          "input '" + name + "': " + describe(i) + " is out of range for " + type);
    }

    private Object other(int i) {
      return others.get((int) bits[i]);
    }

    private String describe(int i) {
      return switch (kinds[i]) {
        case LONG -> Long.toString(bits[i]);
        case DOUBLE -> Double.toString(Double.longBitsToDouble(bits[i]));
        case TRUE -> "true";
        case FALSE -> "false";
        case NULL -> "null";
        case STRING -> "a string";
        default -> String.valueOf(other(i));
      };
    }
  }

  /** Reads the object at the parser's START_OBJECT as Vert.x's JSON would. */
  private static JsonObject readObject(JsonTokens p) throws IOException {
    JsonObject o = new JsonObject();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String key = p.currentName();
      p.nextToken();
      o.put(key, readValue(p));
    }
    return o;
  }

  private static Object readValue(JsonTokens p) throws IOException {
    return switch (p.currentToken()) {
      case START_OBJECT -> readObject(p);
      case START_ARRAY -> {
        JsonArray a = new JsonArray();
        while (p.nextToken() != JsonToken.END_ARRAY) {
          a.add(readValue(p));
        }
        yield a;
      }
      case VALUE_STRING -> p.getText();
      case VALUE_NUMBER_INT -> p.getNumberValue();
      case VALUE_NUMBER_FLOAT -> p.getDoubleValue();
      case VALUE_TRUE -> Boolean.TRUE;
      case VALUE_FALSE -> Boolean.FALSE;
      case VALUE_NULL -> null;
      default -> throw EdgeException.badRequest("malformed JSON: unexpected " + p.currentToken());
    };
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  /**
   * The response body: {@code model_name}, {@code model_version}, {@code id} and {@code parameters}
   * when the request had them, and the outputs (with their requested parameters).
   */
  public static Buffer encode(
      String model, ModelSession session, Request request, List<Tensor> outputs) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
    try (JsonGenerator g = JSON.createGenerator(bytes)) {
      g.writeStartObject();
      g.writeStringField("model_name", model);
      g.writeStringField("model_version", Integer.toString(session.id().version()));
      if (request.id() != null) {
        g.writeStringField("id", request.id());
      }
      if (request.parameters() != null) {
        g.writeFieldName("parameters");
        g.writeRawValue(request.parameters().encode());
      }
      g.writeArrayFieldStart("outputs");
      for (Tensor t : outputs) {
        g.writeStartObject();
        g.writeStringField("name", t.name());
        g.writeStringField("datatype", t.datatype().name());
        g.writeArrayFieldStart("shape");
        for (long d : t.shape()) {
          g.writeNumber(d);
        }
        g.writeEndArray();
        g.writeArrayFieldStart("data");
        writeData(g, t.data());
        g.writeEndArray();
        JsonObject p = request.outputParameters().get(t.name());
        if (p != null) {
          g.writeFieldName("parameters");
          g.writeRawValue(p.encode());
        }
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return Buffer.buffer(bytes.toByteArray());
  }

  private static void writeData(JsonGenerator g, Object data) throws IOException {
    if (data instanceof float[] a) {
      for (float v : a) {
        g.writeNumber(v);
      }
    } else if (data instanceof double[] a) {
      for (double v : a) {
        g.writeNumber(v);
      }
    } else if (data instanceof long[] a) {
      for (long v : a) {
        g.writeNumber(v);
      }
    } else if (data instanceof int[] a) {
      for (int v : a) {
        g.writeNumber(v);
      }
    } else if (data instanceof boolean[] a) {
      for (boolean v : a) {
        g.writeBoolean(v);
      }
    } else if (data instanceof String[] a) {
      for (String v : a) {
        g.writeString(v);
      }
    } else {
      throw new IllegalStateException("unsupported data " + data.getClass());
    }
  }
}
