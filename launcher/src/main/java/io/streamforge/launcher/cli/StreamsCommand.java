package io.streamforge.launcher.cli;

import io.streamforge.arrowio.dataset.KafkaClients;
import io.streamforge.streams.StreamsApps;
import io.streamforge.streams.api.WorkflowApi;
import io.streamforge.streams.orchestrator.OrchestratorConfig;
import io.streamforge.streams.orchestrator.OrchestratorTopology;
import io.streamforge.streams.support.StreamsSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.producer.KafkaProducer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code streamforge streams}: the orchestrator and the agents as Kafka Streams apps. */
@Command(
    name = "streams",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the workflow orchestrator and the agents (Kafka Streams apps, exactly-once) in this"
          + " process, and the workflow API (POST/GET /api/workflows) when the orchestrator is"
          + " among them.",
      "Apps: orchestrator, task-analysis, preprocessing, architect, optimizer, debugger,"
          + " conversion, ensembler, deployer. Stops on Ctrl-C / SIGTERM."
    })
public final class StreamsCommand implements Callable<Integer> {
  @Mixin ConnectionOptions connection;

  @Option(
      names = "--apps",
      split = ",",
      paramLabel = "NAME",
      description = "Only these apps (comma-separated; default: all).")
  List<String> apps = List.of();

  @Option(
      names = "--state-dir",
      defaultValue = "${env:STREAMFORGE_STATE_DIR:-.streamforge/streams}",
      description =
          "Local state of the apps (env STREAMFORGE_STATE_DIR; default ${DEFAULT-VALUE}).")
  Path stateDir;

  @Option(
      names = "--api-port",
      defaultValue = "${env:STREAMFORGE_API_PORT:-8090}",
      description =
          "Port of the workflow API; 0 for any free port (env STREAMFORGE_API_PORT;"
              + " default ${DEFAULT-VALUE}).")
  int apiPort;

  @Option(
      names = "--api-host",
      defaultValue = "${env:STREAMFORGE_API_HOST:-0.0.0.0}",
      description = "Interface of the workflow API (default ${DEFAULT-VALUE}).")
  String apiHost;

  @Option(
      names = "--trial-epochs",
      defaultValue = "12",
      description =
          "Epochs of each search trial unless a request says otherwise (default ${DEFAULT-VALUE}).")
  int trialEpochs;

  @Option(
      names = "--final-epochs",
      defaultValue = "30",
      description =
          "Epochs of the final training unless a request says otherwise (default ${DEFAULT-VALUE}).")
  int finalEpochs;

  @Override
  public Integer call() throws Exception {
    KafkaClients clients = connection.clients();
    OrchestratorConfig config = OrchestratorConfig.defaults().withEpochs(trialEpochs, finalEpochs);
    System.err.printf(
        "streams: %s, apps %s, state dir %s, API %s:%d, trial epochs %d, final epochs %d%n",
        connection.describe(),
        apps.isEmpty() ? "all" : String.join(",", apps),
        stateDir.toAbsolutePath(),
        apiHost,
        apiPort,
        trialEpochs,
        finalEpochs);
    try (Running r = Running.start(clients, stateDir, apps, config, apiHost, apiPort)) {
      CountDownLatch stop = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown, "streams-shutdown"));
      System.err.println(
          "streams: running "
              + String.join(", ", r.apps().names())
              + (r.api() == null ? "" : "; workflow API on port " + r.api().port()));
      stop.await();
    }
    return 0;
  }

  /** The apps and the API, started together, closed together (the launcher's demo uses it too). */
  public record Running(StreamsApps apps, WorkflowApi api, KafkaProducer<String, byte[]> producer)
      implements AutoCloseable {
    public static Running start(
        KafkaClients clients,
        Path stateDir,
        List<String> names,
        OrchestratorConfig config,
        String apiHost,
        int apiPort)
        throws java.io.IOException {
      StreamsApps apps =
          StreamsApps.start(
              StreamsSettings.of(clients, stateDir), config, names, Duration.ofMinutes(2));
      KafkaProducer<String, byte[]> producer = null;
      WorkflowApi api = null;
      try {
        if (apps.app(OrchestratorTopology.APP) != null) {
          producer = new KafkaProducer<>(clients.producer("streamforge-workflow-api"));
          api = new WorkflowApi(apps.app(OrchestratorTopology.APP), producer, apiHost, apiPort);
        }
      } catch (java.io.IOException | RuntimeException e) {
        if (producer != null) {
          producer.close();
        }
        apps.close();
        throw e;
      }
      return new Running(apps, api, producer);
    }

    @Override
    public void close() {
      if (api != null) {
        api.close();
      }
      if (producer != null) {
        producer.close();
      }
      apps.close();
    }
  }
}
