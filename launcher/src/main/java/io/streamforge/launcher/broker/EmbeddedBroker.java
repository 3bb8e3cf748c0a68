package io.streamforge.launcher.broker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Exit;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Apache Kafka broker in KRaft mode, in this JVM: one node that is both broker and
 * controller, on a log directory that is formatted on first start and reused afterwards, so a
 * restart on the same data directory keeps every topic and record.
 *
 * <p>Kafka answers a fatal fault by exiting the JVM. Here that exit is logged first; to keep the
 * broker far from the heap limit its caches are kept small (notably the log cleaner's dedupe
 * buffer, 128 MiB by default) and the launcher runs with a heap sized for broker and apps.
 */
public final class EmbeddedBroker implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedBroker.class);
  private static final String CONTROLLER = "CONTROLLER";

  private final Path logDir;
  private final int port;
  private final int controllerPort;
  private final KafkaRaftServer server;
  private volatile boolean stopped;

  private EmbeddedBroker(Path logDir, int port, int controllerPort, KafkaRaftServer server) {
    this.logDir = logDir;
    this.port = port;
    this.controllerPort = controllerPort;
    this.server = server;
  }

  /**
   * Starts a broker.
   *
   * @param dataDir holds the log directory; created and formatted if new
   * @param port client port on localhost (0: any free port)
   * @param controllerPort controller port (0: any free port)
   * @param overrides further broker configs, applied last
   */
  public static EmbeddedBroker start(
      Path dataDir, int port, int controllerPort, Map<String, String> overrides)
      throws IOException {
    Objects.requireNonNull(dataDir, "dataDir");
    Path logDir = dataDir.toAbsolutePath().resolve("kafka-logs");
    Files.createDirectories(logDir);
    int clientPort = port == 0 ? freePort() : port;
    int ctrlPort = controllerPort == 0 ? freePort() : controllerPort;
    Map<String, String> props = config(logDir, clientPort, ctrlPort);
    props.putAll(overrides);

    if (!Files.exists(logDir.resolve("meta.properties"))) {
      format(logDir, props);
    }
    installExitLogging();
    Properties p = new Properties();
    p.putAll(props);
    KafkaConfig config = KafkaConfig.fromProps(p, false);
    KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
    long t0 = System.nanoTime();
    try {
      server.startup();
    } catch (RuntimeException e) {
      // A half-started server keeps controller and raft threads and the log-dir lock: stop them.
      try {
        server.shutdown();
        server.awaitShutdown();
      } catch (RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw new IOException(
          "cannot start the Kafka broker on port "
              + clientPort
              + " (controller "
              + ctrlPort
              + "): "
              + e.getMessage(),
          e);
    }
    EmbeddedBroker broker = new EmbeddedBroker(logDir, clientPort, ctrlPort, server);
    log.info(
        "Kafka broker (KRaft) listening on localhost:{} (controller :{}), data in {}, started in"
            + " {} ms",
        clientPort,
        ctrlPort,
        logDir,
        (System.nanoTime() - t0) / 1_000_000);
    return broker;
  }

  /** The broker's configuration: one combined node, replication factors of 1. */
  static Map<String, String> config(Path logDir, int port, int controllerPort) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("process.roles", "broker,controller");
    p.put("node.id", "1");
    p.put("controller.quorum.voters", "1@localhost:" + controllerPort);
    p.put(
        "listeners",
        "PLAINTEXT://localhost:" + port + "," + CONTROLLER + "://localhost:" + controllerPort);
    p.put("advertised.listeners", "PLAINTEXT://localhost:" + port);
    p.put("controller.listener.names", CONTROLLER);
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT," + CONTROLLER + ":PLAINTEXT");
    p.put("log.dirs", logDir.toString());
    p.put("num.partitions", "3");
    p.put("auto.create.topics.enable", "false");
    p.put("offsets.topic.replication.factor", "1");
    p.put("offsets.topic.num.partitions", "6");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("transaction.state.log.num.partitions", "6");
    p.put("share.coordinator.state.topic.replication.factor", "1");
    p.put("share.coordinator.state.topic.min.isr", "1");
    p.put("min.insync.replicas", "1");
    p.put("default.replication.factor", "1");
    p.put("group.initial.rebalance.delay.ms", "0");
    p.put("log.cleaner.dedupe.buffer.size", Long.toString(8L << 20));
    p.put("log.cleaner.threads", "1");
    p.put("message.max.bytes", Integer.toString(32 << 20));
    p.put("replica.fetch.max.bytes", Integer.toString(32 << 20));
    p.put("num.network.threads", "2");
    p.put("socket.receive.buffer.bytes", Integer.toString(4 << 20));
    p.put("socket.send.buffer.bytes", Integer.toString(4 << 20));
    p.put("num.io.threads", "4");
    p.put("log.segment.bytes", Integer.toString(256 << 20));
    return p;
  }

  private static void format(Path logDir, Map<String, String> props) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8)) {
      new Formatter()
          .setPrintStream(print)
          .setNodeId(Integer.parseInt(props.get("node.id")))
          .setClusterId(Uuid.randomUuid().toString())
          .setDirectories(List.of(logDir.toString()))
          .setMetadataLogDirectory(logDir.toString())
          .setControllerListenerName(CONTROLLER)
          .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
          .setIgnoreFormatted(true)
          .run();
    } catch (Exception e) {
      throw new IOException(
          "cannot format Kafka log directory " + logDir + ": " + e.getMessage(), e);
    }
    log.info(
        "formatted new Kafka log directory {}: {}",
        logDir,
        out.toString(StandardCharsets.UTF_8).trim());
  }

  private static void installExitLogging() {
    Exit.setExitProcedure(
        (code, message) -> {
          log.error("Kafka requested JVM exit with status {}: {}", code, message);
          Runtime.getRuntime().exit(code);
        });
    Exit.setHaltProcedure(
        (code, message) -> {
          log.error("Kafka requested JVM halt with status {}: {}", code, message);
          Runtime.getRuntime().halt(code);
        });
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress("localhost", 0));
      return s.getLocalPort();
    }
  }

  public String bootstrapServers() {
    return "localhost:" + port;
  }

  public int port() {
    return port;
  }

  public int controllerPort() {
    return controllerPort;
  }

  public Path logDir() {
    return logDir;
  }

  /** Blocks until the broker has shut down. */
  public void awaitShutdown() {
    server.awaitShutdown();
  }

  /** Stops the broker cleanly (flushing logs, so the next start is fast). */
  @Override
  public synchronized void close() {
    if (stopped) {
      return;
    }
    stopped = true;
    log.info("stopping Kafka broker on localhost:{}", port);
    server.shutdown();
    server.awaitShutdown();
  }
}
