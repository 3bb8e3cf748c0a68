package io.streamforge.launcher.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code streamforge up}: the platform without the demo workflow. */
@Command(
    name = "up",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the platform in this JVM — an embedded Kafka broker (unless --external), every"
          + " Streams app with the workflow API, training workers and the edge — until Ctrl-C.",
      "Then publish, submit and call models with the other commands."
    })
public final class UpCommand implements Callable<Integer> {
  @Option(
      names = "--data-dir",
      defaultValue = "${env:STREAMFORGE_DATA_DIR:-.streamforge/data}",
      description = "Broker and Streams state (default ${DEFAULT-VALUE}).")
  Path dataDir;

  @Option(
      names = "--external",
      description = "Use the cluster of --bootstrap-servers instead of an embedded broker.")
  boolean external;

  @Option(
      names = "--port",
      defaultValue = "${env:STREAMFORGE_BROKER_PORT:-9092}",
      description = "Embedded broker port (default ${DEFAULT-VALUE}).")
  int port;

  @Option(
      names = "--controller-port",
      defaultValue = "${env:STREAMFORGE_CONTROLLER_PORT:-9093}",
      description = "KRaft controller port (default ${DEFAULT-VALUE}).")
  int controllerPort;

  @Option(
      names = "--http-port",
      defaultValue = "${env:STREAMFORGE_HTTP_PORT:-8080}",
      description = "Edge HTTP port (default ${DEFAULT-VALUE}).")
  int httpPort;

  @Option(
      names = "--api-port",
      defaultValue = "${env:STREAMFORGE_API_PORT:-8090}",
      description = "Workflow API port (default ${DEFAULT-VALUE}).")
  int apiPort;

  @Option(
      names = "--workers",
      defaultValue = "1",
      description = "Training workers in this JVM (default ${DEFAULT-VALUE}).")
  int workers;

  @Option(
      names = "--admin-token",
      defaultValue = "${env:STREAMFORGE_ADMIN_TOKEN}",
      description = "Edge admin API token; none: disabled.")
  String adminToken;

  @Mixin ConnectionOptions connection;

  @Override
  public Integer call() throws Exception {
    System.out.printf(
        "== StreamForge up: %s, data dir %s, edge :%d, API :%d, %d worker(s)%n",
        external ? connection.describe() : "embedded broker :" + port,
        dataDir.toAbsolutePath(),
        httpPort,
        apiPort,
        workers);
    Platform p =
        Platform.start(
            new Platform.Options(
                dataDir,
                external ? connection.bootstrapServers : null,
                port,
                controllerPort,
                httpPort,
                apiPort,
                workers,
                adminToken),
            connection,
            System.out);
    Runtime.getRuntime().addShutdownHook(new Thread(p::close, "up-shutdown"));
    System.out.println("== up (Ctrl-C stops it)");
    new CountDownLatch(1).await();
    return 0;
  }
}
