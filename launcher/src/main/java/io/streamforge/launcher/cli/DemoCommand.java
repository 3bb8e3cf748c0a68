package io.streamforge.launcher.cli;

import io.streamforge.arrowio.dataset.DatasetCatalog;
import io.streamforge.arrowio.dataset.KafkaClients;
import io.streamforge.launcher.UserException;
import io.streamforge.launcher.broker.EmbeddedBroker;
import io.streamforge.schemas.TopicAdmin;
import io.streamforge.schemas.Topics;
import io.streamforge.schemas.records.DatasetManifest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code streamforge demo}: the platform on the embedded default. For now: an embedded broker, the
 * platform topics, the bundled digits dataset published and shown. Later issues grow it into the
 * whole workflow.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Starts an embedded Kafka broker, creates the platform topics, publishes the bundled digits"
          + " dataset (unless a sealed version of it is already there) and shows its manifest and"
          + " first rows; then keeps the broker up for other commands until Ctrl-C.",
      "The data directory survives restarts: the next start comes back with its datasets."
    })
public final class DemoCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(DemoCommand.class);

  @Option(
      names = "--data-dir",
      defaultValue = "${env:STREAMFORGE_DATA_DIR:-.streamforge/data}",
      description = "Where the embedded broker keeps its data (default ${DEFAULT-VALUE}).")
  Path dataDir;

  @Option(
      names = "--port",
      defaultValue = "${env:STREAMFORGE_BROKER_PORT:-9092}",
      description = "Broker port on localhost; 0 for any free port (default ${DEFAULT-VALUE}).")
  int port;

  @Option(
      names = "--controller-port",
      defaultValue = "${env:STREAMFORGE_CONTROLLER_PORT:-9093}",
      description = "KRaft controller port; 0 for any free port (default ${DEFAULT-VALUE}).")
  int controllerPort;

  @Option(
      names = "--dataset-file",
      description = "File to publish (default: the bundled datasets/digits.csv).")
  Path datasetFile;

  @Option(
      names = "--exit-when-done",
      description = "Exit 0 once the demo has run instead of keeping the broker up.")
  boolean exitWhenDone;

  @Mixin ConnectionOptions connection;

  @Override
  public Integer call() throws Exception {
    Path file = datasetFile != null ? datasetFile : bundled("digits.csv");
    log.info(
        "configuration: data-dir={}, port={}, controller-port={}, dataset-file={},"
            + " exit-when-done={}",
        dataDir.toAbsolutePath(),
        port,
        controllerPort,
        file,
        exitWhenDone);
    System.out.println("== StreamForge demo");
    System.out.println("-- starting the embedded Kafka broker (KRaft) in " + dataDir);
    try (EmbeddedBroker broker = EmbeddedBroker.start(dataDir, port, controllerPort, Map.of())) {
      KafkaClients clients = connection.clients(broker.bootstrapServers());
      TopicAdmin.ensure(clients.admin(), Topics.ALL);
      System.out.println("   broker ready at " + broker.bootstrapServers());

      String dataset = "digits";
      Optional<DatasetManifest> existing = DatasetCatalog.load(clients).latestSealed(dataset);
      if (existing.isPresent() && datasetFile == null) {
        System.out.printf(
            "-- dataset %s version %d is already published (%,d rows); not publishing again%n",
            dataset, existing.get().version(), existing.get().rowCount());
      } else {
        System.out.println("-- publishing " + file + " as dataset '" + dataset + "'");
        PublishCommand publish = new PublishCommand();
        publish.connection = connection;
        publish.connection.bootstrapServers = broker.bootstrapServers();
        publish.file = file;
        publish.dataset = dataset;
        publish.label = "c64";
        publish.noHeader = true;
        publish.batchRows = 512;
        publish.codec = "zstd";
        publish.onError = "fail";
        publish.format = "auto";
        publish.inferRows = 10_000;
        publish.partitions = 3;
        publish.publish(System.out);
      }
      System.out.println("-- the manifest and the first rows, read back from Kafka");
      DatasetsCommand.show(clients, dataset, null, 5, System.out);

      if (exitWhenDone) {
        System.out.println("== demo done");
        return 0;
      }
      System.out.println();
      System.out.println(
          "== the broker stays up at " + broker.bootstrapServers() + "; try, in another terminal:");
      System.out.println("   bin/streamforge datasets");
      System.out.println(
          "   bin/streamforge publish datasets/iris.csv --dataset iris --label label");
      System.out.println("   bin/streamforge datasets show iris");
      System.out.println(
          "   Ctrl-C stops it; the next start on the same data directory keeps the data.");
      CountDownLatch stop = new CountDownLatch(1);
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    broker.close();
                    stop.countDown();
                  },
                  "demo-shutdown"));
      stop.await();
    }
    return 0;
  }

  /** A bundled dataset, under {@code $STREAMFORGE_HOME/datasets} or the working directory's. */
  static Path bundled(String name) {
    String home = System.getProperty("streamforge.home", System.getenv("STREAMFORGE_HOME"));
    for (Path dir :
        new Path[] {home == null ? null : Path.of(home, "datasets"), Path.of("datasets")}) {
      if (dir != null && Files.isRegularFile(dir.resolve(name))) {
        return dir.resolve(name);
      }
    }
    throw new UserException(
        "bundled dataset "
            + name
            + " not found (looked in $STREAMFORGE_HOME/datasets and ./datasets)");
  }
}
