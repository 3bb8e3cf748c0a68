package io.streamforge.launcher.cli;

import io.streamforge.arrowio.dataset.KafkaClients;
import io.streamforge.launcher.UserException;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine.Option;

/** How a command reaches Kafka: bootstrap servers plus an optional client properties file. */
public final class ConnectionOptions {
  @Option(
      names = "--bootstrap-servers",
      paramLabel = "HOST:PORT[,...]",
      defaultValue = "${env:STREAMFORGE_BOOTSTRAP_SERVERS:-localhost:9092}",
      description =
          "Kafka bootstrap servers (env STREAMFORGE_BOOTSTRAP_SERVERS; default: ${DEFAULT-VALUE}).")
  String bootstrapServers;

  @Option(
      names = "--client-config",
      paramLabel = "FILE",
      defaultValue = "${env:STREAMFORGE_CLIENT_CONFIG}",
      description =
          "Kafka client properties (SASL, TLS, ...) applied to every client"
              + " (env STREAMFORGE_CLIENT_CONFIG).")
  Path clientConfig;

  /** The clients' common settings. */
  public KafkaClients clients() {
    return clients(bootstrapServers);
  }

  /** The common settings with another bootstrap address (an embedded broker's). */
  public KafkaClients clients(String bootstrap) {
    Map<String, Object> common = new HashMap<>();
    if (clientConfig != null) {
      Properties p = new Properties();
      try (Reader r = Files.newBufferedReader(clientConfig)) {
        p.load(r);
      } catch (IOException e) {
        throw new UserException(
            "cannot read --client-config " + clientConfig + ": " + e.getMessage());
      }
      p.forEach((k, v) -> common.put(String.valueOf(k), v));
    }
    common.put("bootstrap.servers", bootstrap);
    return new KafkaClients(common);
  }

  /** For the start-up configuration print. */
  public String describe() {
    return "bootstrap.servers="
        + bootstrapServers
        + (clientConfig == null ? "" : ", client config " + clientConfig);
  }
}
