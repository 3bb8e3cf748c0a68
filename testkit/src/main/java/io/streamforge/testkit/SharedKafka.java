package io.streamforge.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Apache Kafka cluster (KRaft, one combined broker and controller) shared by every test in
 * the JVM: started on first use by {@link KafkaClusterTestKit}, stopped when the test run ends.
 *
 * <p>Use it as a JUnit extension, {@code @ExtendWith(SharedKafka.class)}, and take a {@link
 * SharedKafka.Cluster} parameter; or call {@link #cluster()} directly. Tests keep out of each
 * other's way by naming their topics and datasets with {@link Cluster#uniqueName(String)}.
 */
public final class SharedKafka implements BeforeAllCallback, ParameterResolver {
  private static final Logger log = LoggerFactory.getLogger(SharedKafka.class);
  private static final Object LOCK = new Object();
  private static Cluster cluster;

  /** The running cluster, started on first call. */
  public static Cluster cluster() {
    synchronized (LOCK) {
      if (cluster == null) {
        cluster = start();
        Runtime.getRuntime().addShutdownHook(new Thread(cluster::stop, "shared-kafka-stop"));
      }
      return cluster;
    }
  }

  private static Cluster start() {
    long t0 = System.nanoTime();
    try {
      Path base = Files.createTempDirectory("streamforge-test-kafka-");
      TestKitNodes nodes =
          new TestKitNodes.Builder()
              .setCombined(true)
              .setNumBrokerNodes(1)
              .setNumControllerNodes(1)
              .setBaseDirectory(base)
              .build();
      KafkaClusterTestKit kit =
          new KafkaClusterTestKit.Builder(nodes)
              .setConfigProp("offsets.topic.replication.factor", "1")
              .setConfigProp("offsets.topic.num.partitions", "3")
              .setConfigProp("transaction.state.log.replication.factor", "1")
              .setConfigProp("transaction.state.log.min.isr", "1")
              .setConfigProp("transaction.state.log.num.partitions", "3")
              .setConfigProp("share.coordinator.state.topic.replication.factor", "1")
              .setConfigProp("share.coordinator.state.topic.min.isr", "1")
              .setConfigProp("log.cleaner.dedupe.buffer.size", Long.toString(2L << 20))
              .setConfigProp("group.initial.rebalance.delay.ms", "0")
              .setConfigProp("num.partitions", "1")
              .setConfigProp("message.max.bytes", Integer.toString(32 << 20))
              .setConfigProp("auto.create.topics.enable", "false")
              .setDeleteOnClose(true)
              .build();
      kit.format();
      kit.startup();
      kit.waitForReadyBrokers();
      Cluster c = new Cluster(kit);
      log.info(
          "shared Kafka cluster ready at {} in {} ms",
          c.bootstrapServers(),
          (System.nanoTime() - t0) / 1_000_000);
      return c;
    } catch (Exception e) {
      throw new IllegalStateException("cannot start the shared Kafka test cluster", e);
    }
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    cluster();
  }

  @Override
  public boolean supportsParameter(ParameterContext p, ExtensionContext e) {
    return p.getParameter().getType() == Cluster.class;
  }

  @Override
  public Object resolveParameter(ParameterContext p, ExtensionContext e) {
    return cluster();
  }

  /** A handle on the running cluster. */
  public static final class Cluster {
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private final KafkaClusterTestKit kit;

    Cluster(KafkaClusterTestKit kit) {
      this.kit = kit;
    }

    public String bootstrapServers() {
      return kit.bootstrapServers();
    }

    /** Client properties that reach the cluster. */
    public Properties clientProperties() {
      Properties p = new Properties();
      p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
      return p;
    }

    /** A new admin client; the caller closes it. */
    public Admin admin() {
      return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()));
    }

    /** {@code prefix-N-xxxxxx}: unique within the test run, valid as a topic or dataset name. */
    public String uniqueName(String prefix) {
      return prefix
          + "-"
          + COUNTER.incrementAndGet()
          + "-"
          + UUID.randomUUID().toString().substring(0, 6);
    }

    void stop() {
      try {
        kit.close();
      } catch (Exception e) {
        log.warn("error stopping the shared Kafka cluster", e);
      }
    }
  }
}
