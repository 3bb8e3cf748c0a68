package io.streamforge.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamforge.arrowio.dataset.DatasetPublisher;
import io.streamforge.arrowio.dataset.KafkaClients;
import io.streamforge.arrowio.models.ModelRegistry;
import io.streamforge.arrowio.read.BatchSources;
import io.streamforge.arrowio.read.CsvOptions;
import io.streamforge.arrowio.read.ReadOptions;
import io.streamforge.schemas.records.ModelEvent;
import io.streamforge.schemas.records.Phase;
import io.streamforge.schemas.records.PhaseTransition;
import io.streamforge.schemas.records.WorkflowRequest;
import io.streamforge.serving.Edge;
import io.streamforge.serving.EdgeConfig;
import io.streamforge.streams.StreamsApps;
import io.streamforge.streams.api.Submissions;
import io.streamforge.streams.api.WorkflowWatcher;
import io.streamforge.streams.orchestrator.OrchestratorConfig;
import io.streamforge.streams.support.Json;
import io.streamforge.streams.support.Payloads;
import io.streamforge.streams.support.StreamsSettings;
import io.streamforge.testkit.Datasets;
import io.streamforge.testkit.SharedKafka;
import io.streamforge.training.core.JobTrainer;
import io.streamforge.training.worker.TrainingWorker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole AutoML workflow on a real broker, with the Streams apps, a training worker and the edge
 * in this JVM: publish iris → submit → every phase → the model STABLE at the edge; the Streams apps
 * are stopped and started again in the middle of the search, and the workflow goes on.
 */
@ExtendWith(SharedKafka.class)
class WorkflowIT {
  @TempDir Path stateDir;

  @Test
  void aWorkflowRunsEveryPhaseToAStableModelAcrossAnOrchestratorRestart() throws Exception {
    SharedKafka.Cluster cluster = SharedKafka.cluster();
    KafkaClients clients = KafkaClients.of(cluster.bootstrapServers());
    String dataset = cluster.uniqueName("wfiris");
    String model = cluster.uniqueName("wfmodel");
    try (BufferAllocator allocator = new RootAllocator()) {
      publish(clients, allocator, dataset, Datasets.file("iris.csv"));
    }
    StreamsSettings settings = StreamsSettings.of(clients, stateDir);
    OrchestratorConfig config = OrchestratorConfig.defaults();
    TrainingWorker worker =
        new TrainingWorker(clients, cluster.uniqueName("wf-workers"), new JobTrainer());
    Thread workerThread = new Thread(worker, "wf-worker");
    workerThread.start();
    AtomicBoolean stop = new AtomicBoolean();
    List<PhaseTransition> seen = new CopyOnWriteArrayList<>();
    List<Payloads.Trial> trials = new CopyOnWriteArrayList<>();
    StreamsApps apps = StreamsApps.start(settings, config, List.of(), Duration.ofMinutes(2));
    try (Edge edge = Edge.start(EdgeConfig.defaults().withHttpPort(0), clients, null)) {
      String wf = Submissions.newId();
      WorkflowRequest request =
          Submissions.parse(
              Json.tree(
                  """
                  {"workflowId": "%s", "dataset": "%s", "label": "label",
                   "task": "classify iris flowers", "ensemble": true,
                   "search": {"strategy": "tpe", "maxTrials": 3, "parallelTrials": 1, "patience": 3},
                   "deployment": {"canaryWeight": 10, "analysisIntervalSeconds": 1,
                                  "thresholds": {"min_samples": 20, "max_error_rate": 0.05,
                                                 "max_p99_ratio": 5}},
                   "options": {"model": "%s", "trial_epochs": "4", "final_epochs": "8"}}
                  """
                      .formatted(wf, dataset, model)),
              Instant.now());
      try (KafkaProducer<String, byte[]> producer =
          new KafkaProducer<>(clients.producer("wf-it"))) {
        Submissions.submit(producer, request);
      }
      Thread watcher =
          new Thread(
              () ->
                  WorkflowWatcher.watch(
                      clients,
                      wf,
                      new WorkflowWatcher.Listener() {
                        @Override
                        public void transition(PhaseTransition t) {
                          seen.add(t);
                        }

                        @Override
                        public void trial(Payloads.Trial t) {
                          trials.add(t);
                        }
                      },
                      true,
                      Duration.ofMinutes(8),
                      stop::get),
              "wf-watcher");
      watcher.start();

      await("the search", Duration.ofMinutes(2), () -> reached(seen, Phase.SEARCH));
      // restart every Streams app in the middle of the search: they resume from their stores
      apps.close();
      apps = StreamsApps.start(settings, config, List.of(), Duration.ofMinutes(2));

      // callers: traffic for the canary analysis once the model is served
      AtomicInteger ok = new AtomicInteger();
      AtomicInteger failed = new AtomicInteger();
      Thread traffic =
          new Thread(() -> traffic(edge.port(), model, stop, ok, failed), "wf-traffic");
      traffic.start();

      await("the end of the workflow", Duration.ofMinutes(6), () -> terminal(seen));
      stop.set(true);
      traffic.join(10_000);
      watcher.join(10_000);

      PhaseTransition last = seen.get(seen.size() - 1);
      assertThat(last.to()).as("last transition: %s", last).isEqualTo(Phase.DONE);
      assertThat(seen.stream().map(PhaseTransition::to).toList())
          .containsSubsequence(
              Phase.ANALYZE,
              Phase.PREPROCESS,
              Phase.DESIGN,
              Phase.SEARCH,
              Phase.TRAIN,
              Phase.ENSEMBLE,
              Phase.CONVERT,
              Phase.OPTIMIZE,
              Phase.DEPLOY,
              Phase.DONE);
      // each phase transition once, although every app restarted
      assertThat(seen.stream().map(PhaseTransition::to).distinct().count()).isEqualTo(seen.size());
      assertThat(trials.stream().map(Payloads.Trial::trialId).distinct()).hasSize(3);
      assertThat(
              trials.stream()
                  .filter(Payloads.Trial::finished)
                  .map(Payloads.Trial::trialId)
                  .distinct())
          .hasSize(3);

      String served = last.artifacts().get("model");
      int version = Integer.parseInt(served.split(":")[1]);
      ModelEvent stable =
          ModelRegistry.load(clients).events(model).stream()
              .filter(e -> e.version() == version)
              .filter(e -> e.status() == ModelEvent.ModelStatus.STABLE)
              .findFirst()
              .orElseThrow(() -> new AssertionError("no STABLE event for " + served));
      assertThat(stable.metrics().get("val_accuracy")).isGreaterThan(0.8);
      assertThat(ok.get()).isGreaterThan(20);
      assertThat(failed.get()).isZero();
      HttpResponse<String> meta =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create("http://localhost:" + edge.port() + "/v2/models/" + model))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(meta.statusCode()).isEqualTo(200);
    } finally {
      stop.set(true);
      apps.close();
      worker.close();
      workerThread.join(30_000);
    }
  }

  private static boolean reached(List<PhaseTransition> seen, Phase p) {
    return seen.stream().anyMatch(t -> t.to() == p || t.to().terminal());
  }

  private static boolean terminal(List<PhaseTransition> seen) {
    return seen.stream().anyMatch(t -> t.to().terminal());
  }

  /** Iris rows at the edge until told to stop; counts answers once the model is served. */
  private static void traffic(
      int port, String model, AtomicBoolean stop, AtomicInteger ok, AtomicInteger failed) {
    HttpClient http = HttpClient.newHttpClient();
    String body =
        """
        {"inputs": [{"name": "features", "shape": [1, 4], "datatype": "FP32",
                     "data": [5.1, 3.5, 1.4, 0.2]}]}
        """;
    URI uri = URI.create("http://localhost:" + port + "/v2/models/" + model + "/infer");
    boolean served = false;
    while (!stop.get()) {
      try {
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(uri)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          served = true;
          ok.incrementAndGet();
        } else if (served) {
          failed.incrementAndGet();
        }
        Thread.sleep(served ? 10 : 200);
      } catch (IOException e) {
        failed.incrementAndGet();
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private static void await(String what, Duration timeout, java.util.function.BooleanSupplier c)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!c.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(100);
    }
  }

  private static void publish(
      KafkaClients clients, BufferAllocator allocator, String name, Path file) throws Exception {
    new DatasetPublisher(clients)
        .publish(
            handler -> {
              try {
                return BatchSources.open(
                    file, allocator, new ReadOptions(null, CsvOptions.defaults(), handler));
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            },
            file.getFileName().toString(),
            DatasetPublisher.Options.defaults(name).withLabel("label"),
            DatasetPublisher.Progress.NONE);
  }
}
