package io.streamforge.launcher.cli;

import io.streamforge.arrowio.dataset.KafkaClients;
import io.streamforge.launcher.broker.EmbeddedBroker;
import io.streamforge.schemas.TopicAdmin;
import io.streamforge.schemas.Topics;
import io.streamforge.serving.Edge;
import io.streamforge.serving.EdgeConfig;
import io.streamforge.streams.orchestrator.OrchestratorConfig;
import io.streamforge.training.core.JobTrainer;
import io.streamforge.training.worker.TrainingWorker;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The whole platform in one JVM: the embedded broker (or an external cluster), every Streams app
 * with the workflow API, training workers and the edge. {@code demo} and {@code up} run it; closing
 * it stops the pieces in reverse order, each finishing what it has in hand.
 */
final class Platform implements AutoCloseable {
  /**
   * @param dataDir broker data; the Streams apps keep their state under it too
   * @param external bootstrap servers of a cluster to use instead of an embedded broker, or null
   */
  record Options(
      Path dataDir,
      String external,
      int port,
      int controllerPort,
      int httpPort,
      int apiPort,
      int workers,
      String adminToken) {}

  private final List<AutoCloseable> pieces = new ArrayList<>();
  private final List<Thread> workerThreads = new ArrayList<>();
  final KafkaClients clients;
  final Edge edge;
  final StreamsCommand.Running streams;
  final String bootstrapServers;

  private Platform(
      KafkaClients clients, Edge edge, StreamsCommand.Running streams, String bootstrapServers) {
    this.clients = clients;
    this.edge = edge;
    this.streams = streams;
    this.bootstrapServers = bootstrapServers;
  }

  static Platform start(Options o, ConnectionOptions connection, PrintStream out) throws Exception {
    List<AutoCloseable> started = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    try {
      String bootstrap = o.external();
      if (bootstrap == null) {
        out.println("-- starting the embedded Kafka broker (KRaft) in " + o.dataDir());
        EmbeddedBroker broker =
            EmbeddedBroker.start(o.dataDir(), o.port(), o.controllerPort(), Map.of());
        started.add(broker);
        bootstrap = broker.bootstrapServers();
      }
      KafkaClients clients = connection.clients(bootstrap);
      TopicAdmin.ensure(clients.admin(), Topics.ALL);
      out.println("   Kafka at " + bootstrap);
      out.println("-- starting the Streams apps (orchestrator and agents)");
      StreamsCommand.Running streams =
          StreamsCommand.Running.start(
              clients,
              o.dataDir().resolve("streams"),
              List.of(),
              OrchestratorConfig.defaults(),
              "0.0.0.0",
              o.apiPort());
      started.add(streams);
      out.println(
          "   "
              + String.join(", ", streams.apps().names())
              + "; workflow API on http://localhost:"
              + streams.api().port()
              + "/api/workflows");
      for (int i = 0; i < o.workers(); i++) {
        TrainingWorker w =
            new TrainingWorker(clients, TrainingWorker.DEFAULT_GROUP, new JobTrainer());
        Thread t = new Thread(w, "training-worker-" + i);
        t.start();
        threads.add(t);
        started.add(
            () -> {
              w.close();
              t.join(60_000);
            });
      }
      out.println("-- " + o.workers() + " training worker(s) in the group on training.jobs");
      Edge edge =
          Edge.start(
              EdgeConfig.defaults().withHttpPort(o.httpPort()).withAdminToken(o.adminToken()),
              clients,
              null);
      started.add(edge);
      edge.awaitReady(Duration.ofMinutes(2));
      out.println(
          "-- the edge serves on http://localhost:"
              + edge.port()
              + " (dashboard: http://localhost:"
              + edge.port()
              + "/dashboard/)");
      Platform p = new Platform(clients, edge, streams, bootstrap);
      p.pieces.addAll(started);
      p.workerThreads.addAll(threads);
      return p;
    } catch (Exception | Error e) {
      closeAll(started);
      throw e;
    }
  }

  @Override
  public void close() {
    closeAll(pieces);
    pieces.clear();
  }

  private static void closeAll(List<AutoCloseable> pieces) {
    for (int i = pieces.size() - 1; i >= 0; i--) {
      try {
        pieces.get(i).close();
      } catch (Exception e) {
        org.slf4j.LoggerFactory.getLogger(Platform.class).warn("closing a piece failed", e);
      }
    }
  }
}
