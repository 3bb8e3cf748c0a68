package io.streamforge.serving;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** Real HTTP to an edge on localhost (java.net.http, keep-alive). */
final class Http {
  final HttpClient client =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  final String base;

  Http(int port) {
    base = "http://localhost:" + port;
  }

  record Response(int status, Map<String, java.util.List<String>> headers, String body) {
    JsonObject json() {
      return new JsonObject(body);
    }

    JsonArray array() {
      return new JsonArray(body);
    }

    String header(String name) {
      return headers.getOrDefault(name, java.util.List.of()).stream().findFirst().orElse(null);
    }

    /** The error message of a {"error": "..."} body; fails on any other body. */
    String error() {
      Object v = Json.decodeValue(Buffer.buffer(body));
      if (!(v instanceof JsonObject o)
          || o.size() != 1
          || !(o.getValue("error") instanceof String s)) {
        throw new AssertionError("not an error body: " + body);
      }
      return s;
    }
  }

  Response get(String path) throws IOException, InterruptedException {
    return send(HttpRequest.newBuilder(URI.create(base + path)).GET().build());
  }

  Response post(String path, String body, String... headers)
      throws IOException, InterruptedException {
    return send(postRequest(path, body, headers));
  }

  CompletableFuture<Response> postAsync(String path, String body, String... headers) {
    return client
        .sendAsync(postRequest(path, body, headers), HttpResponse.BodyHandlers.ofString())
        .thenApply(r -> new Response(r.statusCode(), r.headers().map(), r.body()));
  }

  HttpRequest postRequest(String path, String body, String... headers) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(Duration.ofSeconds(30))
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i + 1 < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return b.build();
  }

  private Response send(HttpRequest request) throws IOException, InterruptedException {
    HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
    return new Response(r.statusCode(), r.headers().map(), r.body());
  }

  /** An MLP request for rows of 4 floats. */
  static String mlpRequest(String id, float[]... rows) {
    JsonArray data = new JsonArray();
    for (float[] row : rows) {
      for (float v : row) {
        data.add(v);
      }
    }
    JsonObject o =
        new JsonObject()
            .put(
                "inputs",
                new JsonArray()
                    .add(
                        new JsonObject()
                            .put("name", "input")
                            .put("datatype", "FP32")
                            .put("shape", new JsonArray().add(rows.length).add(4))
                            .put("data", data)));
    if (id != null) {
      o.put("id", id);
    }
    return o.encode();
  }
}
