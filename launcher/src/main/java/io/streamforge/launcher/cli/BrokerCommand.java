package io.streamforge.launcher.cli;

import io.streamforge.launcher.broker.EmbeddedBroker;
import io.streamforge.schemas.TopicAdmin;
import io.streamforge.schemas.Topics;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code streamforge broker}: a real Kafka broker (KRaft) in this process. */
@Command(
    name = "broker",
    mixinStandardHelpOptions = true,
    description = {
      "Runs an Apache Kafka broker in KRaft mode in this process until Ctrl-C.",
      "Restarting on the same --data-dir keeps every topic and record."
    })
public final class BrokerCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(BrokerCommand.class);

  @Option(
      names = "--port",
      defaultValue = "${env:STREAMFORGE_BROKER_PORT:-9092}",
      description =
          "Client port on localhost (env STREAMFORGE_BROKER_PORT; default ${DEFAULT-VALUE}).")
  int port;

  @Option(
      names = "--controller-port",
      defaultValue = "${env:STREAMFORGE_CONTROLLER_PORT:-9093}",
      description = "KRaft controller port (default ${DEFAULT-VALUE}).")
  int controllerPort;

  @Option(
      names = "--data-dir",
      defaultValue = "${env:STREAMFORGE_DATA_DIR:-.streamforge/data}",
      description =
          "Where the broker keeps its logs (env STREAMFORGE_DATA_DIR; default ${DEFAULT-VALUE}).")
  Path dataDir;

  @Option(
      names = "--config",
      paramLabel = "KEY=VALUE",
      description =
          "Extra broker configuration, repeatable (e.g. --config log.retention.hours=24).")
  Map<String, String> overrides = new HashMap<>();

  @Option(names = "--no-topics", description = "Do not create the platform's topics at start.")
  boolean noTopics;

  @Override
  public Integer call() throws Exception {
    log.info(
        "configuration: port={}, controller-port={}, data-dir={}, overrides={}",
        port,
        controllerPort,
        dataDir.toAbsolutePath(),
        overrides);
    EmbeddedBroker broker = EmbeddedBroker.start(dataDir, port, controllerPort, overrides);
    Runtime.getRuntime().addShutdownHook(new Thread(broker::close, "broker-shutdown"));
    if (!noTopics) {
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
        TopicAdmin.ensure(admin, Topics.ALL);
      }
    }
    System.out.println("Kafka broker ready at " + broker.bootstrapServers() + " (Ctrl-C to stop)");
    System.out.flush();
    broker.awaitShutdown();
    return 0;
  }
}
