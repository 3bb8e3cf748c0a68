package io.streamforge.launcher.cli;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The demo's callers: real rows of the dataset sent to the edge over HTTP, a few dozen a second, so
 * that the canary analysis has traffic to judge. They count answers per version and errors.
 */
final class DemoCallers implements AutoCloseable {
  private final List<String> bodies;
  private final URI uri;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Thread thread;
  final AtomicLong answered = new AtomicLong();
  final AtomicLong errors = new AtomicLong();
  final Map<String, AtomicLong> byVersion = new ConcurrentHashMap<>();

  /** Rows of a header-less CSV whose last column is the label. */
  DemoCallers(Path csv, int features, int port, String model, Duration pause) throws IOException {
    this.bodies =
        Files.readAllLines(csv).stream()
            .filter(l -> !l.isBlank())
            .limit(200)
            .map(l -> body(l, features))
            .toList();
    this.uri = URI.create("http://localhost:" + port + "/v2/models/" + model + "/infer");
    this.thread = new Thread(() -> run(pause), "demo-callers");
    thread.setDaemon(true);
    thread.start();
  }

  static String body(String csvLine, int features) {
    String[] cells = csvLine.split(",");
    StringBuilder data = new StringBuilder();
    for (int i = 0; i < features; i++) {
      if (i > 0) {
        data.append(',');
      }
      data.append(cells[i].trim());
    }
    return "{\"inputs\":[{\"name\":\"features\",\"datatype\":\"FP32\",\"shape\":[1,"
        + features
        + "],\"data\":["
        + data
        + "]}]}";
  }

  /** The first row as a curl command line, for the user to try. */
  String curl() {
    return "curl -s " + uri + " -d '" + bodies.get(0) + "'";
  }

  private void run(Duration pause) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    int i = 0;
    while (running.get()) {
      try {
        HttpResponse<Void> r =
            http.send(
                HttpRequest.newBuilder(uri)
                    .timeout(Duration.ofSeconds(5))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(bodies.get(i++ % bodies.size())))
                    .build(),
                HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() == 200) {
          answered.incrementAndGet();
          String v = r.headers().firstValue("x-model-version").orElse("?");
          String variant = r.headers().firstValue("x-model-variant").orElse("");
          byVersion
              .computeIfAbsent(
                  "v" + v + (variant.isEmpty() ? "" : " " + variant), k -> new AtomicLong())
              .incrementAndGet();
        } else if (r.statusCode() != 404) {
          errors.incrementAndGet(); // 404: no model served yet
        }
        Thread.sleep(pause.toMillis());
      } catch (IOException e) {
        errors.incrementAndGet();
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  @Override
  public void close() throws InterruptedException {
    running.set(false);
    thread.interrupt();
    thread.join(5_000);
  }
}
