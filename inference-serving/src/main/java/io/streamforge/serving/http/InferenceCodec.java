package io.streamforge.serving.http;

import io.streamforge.serving.EdgeException;
import io.streamforge.serving.model.DataType;
import io.streamforge.serving.model.ModelSession;
import io.streamforge.serving.model.Tensor;
import io.streamforge.serving.model.TensorSpec;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
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
 */
public final class InferenceCodec {
  private InferenceCodec() {}

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
    JsonObject json;
    try {
      Object parsed = io.vertx.core.json.Json.decodeValue(body);
      if (!(parsed instanceof JsonObject o)) {
        throw EdgeException.badRequest("request body must be a JSON object");
      }
      json = o;
    } catch (DecodeException e) {
      throw EdgeException.badRequest("malformed JSON: " + firstLine(e.getMessage()));
    }
    String id = optionalString(json, "id");
    JsonObject parameters = optionalObject(json, "parameters");
    JsonArray inputs = json.getValue("inputs") instanceof JsonArray a ? a : null;
    if (inputs == null) {
      throw EdgeException.badRequest("'inputs' must be an array of tensors");
    }
    Map<String, TensorSpec> specs = new HashMap<>();
    for (TensorSpec s : session.inputs()) {
      specs.put(s.name(), s);
    }
    List<Tensor> tensors = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (Object o : inputs) {
      if (!(o instanceof JsonObject t)) {
        throw EdgeException.badRequest("each input must be a JSON object");
      }
      String name = optionalString(t, "name");
      if (name == null) {
        throw EdgeException.badRequest("an input has no name");
      }
      TensorSpec spec = specs.get(name);
      if (spec == null) {
        throw EdgeException.badRequest(
            "unknown input '" + name + "' (the model takes " + specs.keySet() + ")");
      }
      if (!seen.add(name)) {
        throw EdgeException.badRequest("input '" + name + "' is given twice");
      }
      tensors.add(tensor(t, spec));
    }
    for (String name : specs.keySet()) {
      if (!seen.contains(name)) {
        throw EdgeException.badRequest("missing input '" + name + "'");
      }
    }
    List<String> outputs = new ArrayList<>();
    Map<String, JsonObject> outputParameters = new HashMap<>();
    Object requested = json.getValue("outputs");
    if (requested != null) {
      if (!(requested instanceof JsonArray a)) {
        throw EdgeException.badRequest("'outputs' must be an array");
      }
      Set<String> known = new HashSet<>();
      session.outputs().forEach(s -> known.add(s.name()));
      for (Object o : a) {
        if (!(o instanceof JsonObject r) || !(r.getValue("name") instanceof String name)) {
          throw EdgeException.badRequest("each requested output needs a name");
        }
        if (!known.contains(name)) {
          throw EdgeException.badRequest(
              "unknown output '" + name + "' (the model has " + known + ")");
        }
        JsonObject p = optionalObject(r, "parameters");
        if (p != null && Boolean.TRUE.equals(p.getValue("binary_data"))) {
          throw EdgeException.badRequest("binary_data outputs are not supported");
        }
        if (!outputs.contains(name)) {
          outputs.add(name);
        }
        if (p != null) {
          outputParameters.put(name, p);
        }
      }
    }
    return new Request(id, parameters, tensors, outputs, outputParameters);
  }

  private static Tensor tensor(JsonObject t, TensorSpec spec) {
    String name = spec.name();
    DataType type = DataType.parse(t.getValue("datatype") instanceof String s ? s : null);
    if (type != spec.datatype()) {
      throw EdgeException.badRequest(
          "input '" + name + "' has datatype " + type + ", the model expects " + spec.datatype());
    }
    if (!(t.getValue("shape") instanceof JsonArray shapeJson)) {
      throw EdgeException.badRequest("input '" + name + "' has no shape");
    }
    long[] shape = new long[shapeJson.size()];
    for (int i = 0; i < shape.length; i++) {
      if (!(shapeJson.getValue(i) instanceof Number n)
          || n.doubleValue() != Math.rint(n.doubleValue())
          || n.longValue() < 0) {
        throw EdgeException.badRequest("input '" + name + "': shape must be non-negative integers");
      }
      shape[i] = n.longValue();
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
    if (t.getValue("parameters") instanceof JsonObject p
        && p.getValue("binary_data_size") != null) {
      throw EdgeException.badRequest("binary tensor data is not supported");
    }
    if (!(t.getValue("data") instanceof JsonArray data)) {
      throw EdgeException.badRequest("input '" + name + "' has no data array");
    }
    long elements;
    try {
      elements = Tensor.elements(shape);
    } catch (ArithmeticException e) {
      throw EdgeException.badRequest("input '" + name + "': shape is too large");
    }
    List<Object> flat = new ArrayList<>((int) Math.min(elements, 1 << 20));
    flatten(name, data, flat, 0);
    if (flat.size() != elements) {
      throw EdgeException.badRequest(
          "input '"
              + name
              + "' has "
              + flat.size()
              + " values, its shape "
              + Arrays.toString(shape)
              + " needs "
              + elements);
    }
    return new Tensor(name, type, shape, convert(name, type, flat));
  }

  private static void flatten(String name, JsonArray array, List<Object> out, int depth) {
    if (depth > 32) {
      throw EdgeException.badRequest("input '" + name + "': data is nested too deeply");
    }
    for (Object o : array) {
      if (o instanceof JsonArray nested) {
        flatten(name, nested, out, depth + 1);
      } else {
        out.add(o);
      }
    }
  }

  private static Object convert(String name, DataType type, List<Object> values) {
    int n = values.size();
    switch (type) {
      case FP32 -> {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
          a[i] = number(name, type, values.get(i)).floatValue();
        }
        return a;
      }
      case FP64 -> {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
          a[i] = number(name, type, values.get(i)).doubleValue();
        }
        return a;
      }
      case INT64 -> {
        long[] a = new long[n];
        for (int i = 0; i < n; i++) {
          a[i] = integral(name, type, values.get(i), Long.MIN_VALUE, Long.MAX_VALUE);
        }
        return a;
      }
      case INT32 -> {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
          a[i] = (int) integral(name, type, values.get(i), Integer.MIN_VALUE, Integer.MAX_VALUE);
        }
        return a;
      }
      case BOOL -> {
        boolean[] a = new boolean[n];
        for (int i = 0; i < n; i++) {
          if (!(values.get(i) instanceof Boolean b)) {
            throw EdgeException.badRequest(
                "input '" + name + "' is BOOL but holds " + describe(values.get(i)));
          }
          a[i] = b;
        }
        return a;
      }
      default -> throw new IllegalStateException(type.name());
    }
  }

  private static Number number(String name, DataType type, Object v) {
    if (v instanceof Number n) {
      return n;
    }
    throw EdgeException.badRequest("input '" + name + "' is " + type + " but holds " + describe(v));
  }

  private static long integral(String name, DataType type, Object v, long min, long max) {
    Number n = number(name, type, v);
    if (n instanceof Double || n instanceof Float || n instanceof java.math.BigDecimal) {
      double d = n.doubleValue();
      if (d != Math.rint(d)) {
        throw EdgeException.badRequest("input '" + name + "' is " + type + " but holds " + n);
      }
    }
    if (n instanceof java.math.BigInteger b && b.bitLength() > 63) {
      throw EdgeException.badRequest("input '" + name + "': " + n + " is out of range for " + type);
    }
    long l = n.longValue();
    if (l < min || l > max) {
      throw EdgeException.badRequest("input '" + name + "': " + n + " is out of range for " + type);
    }
    return l;
  }

  private static String describe(Object v) {
    return v == null ? "null" : v instanceof String ? "a string" : String.valueOf(v);
  }

  private static String optionalString(JsonObject json, String key) {
    Object v = json.getValue(key);
    if (v == null) {
      return null;
    }
    if (!(v instanceof String s)) {
      throw EdgeException.badRequest("'" + key + "' must be a string");
    }
    return s;
  }

  private static JsonObject optionalObject(JsonObject json, String key) {
    Object v = json.getValue(key);
    if (v == null) {
      return null;
    }
    if (!(v instanceof JsonObject o)) {
      throw EdgeException.badRequest("'" + key + "' must be a JSON object");
    }
    return o;
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  /** The response body. */
  public static JsonObject encode(
      String model, ModelSession session, Request request, List<Tensor> outputs) {
    JsonObject out =
        new JsonObject()
            .put("model_name", model)
            .put("model_version", Integer.toString(session.id().version()));
    if (request.id() != null) {
      out.put("id", request.id());
    }
    if (request.parameters() != null) {
      out.put("parameters", request.parameters());
    }
    JsonArray tensors = new JsonArray();
    for (Tensor t : outputs) {
      JsonArray shape = new JsonArray();
      for (long d : t.shape()) {
        shape.add(d);
      }
      JsonArray data = new JsonArray(new ArrayList<>(t.size()));
      for (int i = 0; i < t.size(); i++) {
        data.add(t.get(i));
      }
      JsonObject tensor =
          new JsonObject()
              .put("name", t.name())
              .put("datatype", t.datatype().name())
              .put("shape", shape)
              .put("data", data);
      JsonObject p = request.outputParameters().get(t.name());
      if (p != null) {
        tensor.put("parameters", p);
      }
      tensors.add(tensor);
    }
    out.put("outputs", tensors);
    return out;
  }
}
