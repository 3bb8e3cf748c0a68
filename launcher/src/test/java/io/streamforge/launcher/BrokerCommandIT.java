package io.streamforge.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamforge.testkit.Datasets;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code streamforge broker} as its own process, stopped and restarted on the same data. */
class BrokerCommandIT {

  @Test
  void theBrokerCommandServesClientsAndKeepsDataAcrossARestart(@TempDir Path dir) throws Exception {
    int port = freePort();
    int controllerPort = freePort();
    String bootstrap = "localhost:" + port;

    Process first = startBroker(dir, port, controllerPort);
    try {
      Cli.Result publish =
          Cli.run(
              "publish",
              Datasets.file("iris.csv").toString(),
              "--dataset",
              "iris",
              "--label",
              "label",
              "--bootstrap-servers",
              bootstrap);
      assertThat(publish.exitCode()).as(publish.err()).isZero();
      Cli.Result topics = Cli.run("topics", "list", "--bootstrap-servers", bootstrap);
      assertThat(topics.out()).contains("dataset.manifests", "datasets.iris", "metrics", "models");
    } finally {
      stop(first);
    }
    assertThat(first.exitValue()).as("a clean stop on SIGTERM").isIn(0, 143);

    Process second = startBroker(dir, port, controllerPort);
    try {
      Cli.Result show = Cli.run("datasets", "show", "iris", "--bootstrap-servers", bootstrap);
      assertThat(show.exitCode()).as(show.err()).isZero();
      assertThat(show.out()).contains("version        1 (SEALED)").contains("150 in");
    } finally {
      stop(second);
    }
  }

  private static Process startBroker(Path dir, int port, int controllerPort) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("--add-opens=java.base/java.nio=ALL-UNNAMED");
    cmd.add("-Xmx512m");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Main.class.getName());
    cmd.addAll(
        List.of(
            "broker",
            "--port",
            Integer.toString(port),
            "--controller-port",
            Integer.toString(controllerPort),
            "--data-dir",
            dir.toString()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    StringBuilder seen = new StringBuilder();
    String line;
    while ((line = out.readLine()) != null) {
      seen.append(line).append('\n');
      if (line.contains("Kafka broker ready at localhost:" + port)) {
        // keep draining so the child never blocks on a full pipe
        Thread drain =
            new Thread(
                () -> {
                  try {
                    while (out.readLine() != null) {
                      // discard
                    }
                  } catch (java.io.IOException ignored) {
                    // the process ended
                  }
                });
        drain.setDaemon(true);
        drain.start();
        return p;
      }
    }
    throw new AssertionError("broker exited before it was ready:\n" + seen);
  }

  private static void stop(Process p) throws Exception {
    p.destroy(); // SIGTERM: the shutdown hook stops the broker cleanly
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor();
      throw new AssertionError("broker did not stop within 60 s of SIGTERM");
    }
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
