package io.streamforge.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamforge.arrowio.dataset.KafkaClients;
import io.streamforge.serving.Edge;
import io.streamforge.serving.EdgeConfig;
import io.streamforge.testkit.SharedKafka;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A CSV with a text column through the commands users run: {@code publish}, {@code train} (the
 * column one-hot encoded), and the edge serving the model, which takes the raw strings as an OIP
 * {@code BYTES} input.
 */
@ExtendWith(SharedKafka.class)
class TextFeaturesIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @Test
  void aTextColumnIsTrainedOnAndServedAsBytes(SharedKafka.Cluster cluster) throws Exception {
    String dataset = cluster.uniqueName("pets");
    String[] sounds = {"meow", "woof", "tweet"};
    Random rnd = new Random(9);
    StringBuilder csv = new StringBuilder("weight,sound,label\n");
    for (int i = 0; i < 600; i++) {
      int k = rnd.nextInt(3);
      csv.append(
          String.format(
              java.util.Locale.ROOT, "%.3f,%s,%d%n", rnd.nextDouble() * 10, sounds[k], k));
    }
    Path file = dir.resolve("pets.csv");
    Files.writeString(file, csv);
    String bootstrap = cluster.bootstrapServers();

    Cli.Result published =
        Cli.run("publish", file.toString(), "--dataset", dataset, "--bootstrap-servers", bootstrap);
    assertThat(published.exitCode()).as(published.err()).isZero();
    Cli.Result trained =
        Cli.run(
            "train",
            "--dataset",
            dataset,
            "--label",
            "label",
            "--epochs",
            "10",
            "--with-worker",
            "--bootstrap-servers",
            bootstrap);
    assertThat(trained.exitCode()).as(trained.err()).isZero();
    assertThat(trained.out()).contains("val_accuracy");

    try (Edge edge =
        Edge.start(EdgeConfig.defaults().withHttpPort(0), KafkaClients.of(bootstrap), null)) {
      HttpClient http = HttpClient.newHttpClient();
      URI base = URI.create("http://localhost:" + edge.port() + "/v2/models/" + dataset);
      JsonNode meta = awaitModel(http, base);
      assertThat(meta.path("inputs").toString())
          .contains("{\"name\":\"features\",\"datatype\":\"FP32\",\"shape\":[-1,1]}")
          .contains("{\"name\":\"sound\",\"datatype\":\"BYTES\",\"shape\":[-1,1]}");
      HttpResponse<String> ok =
          post(
              http,
              base.resolve(base.getPath() + "/infer"),
              "{\"inputs\":[{\"name\":\"features\",\"datatype\":\"FP32\",\"shape\":[3,1],"
                  + "\"data\":[2.0,5.0,8.0]},{\"name\":\"sound\",\"datatype\":\"BYTES\","
                  + "\"shape\":[3,1],\"data\":[\"tweet\",\"meow\",\"woof\"]}],"
                  + "\"outputs\":[{\"name\":\"label\"}]}");
      assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
      JsonNode label = JSON.readTree(ok.body()).path("outputs").get(0);
      assertThat(label.path("name").asText()).isEqualTo("label");
      assertThat(label.path("data").toString()).isEqualTo("[2.0,0.0,1.0]");
      HttpResponse<String> wrongType =
          post(
              http,
              base.resolve(base.getPath() + "/infer"),
              "{\"inputs\":[{\"name\":\"features\",\"datatype\":\"FP32\",\"shape\":[1,1],"
                  + "\"data\":[2.0]},{\"name\":\"sound\",\"datatype\":\"FP32\","
                  + "\"shape\":[1,1],\"data\":[1.0]}]}");
      assertThat(wrongType.statusCode()).isEqualTo(400);
      assertThat(wrongType.body()).contains("'sound'").contains("BYTES");
    }
  }

  private static JsonNode awaitModel(HttpClient http, URI uri) throws Exception {
    long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      HttpResponse<String> r =
          http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() == 200) {
        return JSON.readTree(r.body());
      }
      if (System.nanoTime() > end) {
        throw new AssertionError(
            "model not served within 60 s: " + r.statusCode() + " " + r.body());
      }
      Thread.sleep(200);
    }
  }

  private static HttpResponse<String> post(HttpClient http, URI uri, String body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(uri)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
