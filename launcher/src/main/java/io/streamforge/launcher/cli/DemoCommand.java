package io.streamforge.launcher.cli;

import io.streamforge.arrowio.dataset.DatasetCatalog;
import io.streamforge.arrowio.dataset.KafkaClients;
import io.streamforge.arrowio.models.ModelRegistry;
import io.streamforge.launcher.UserException;
import io.streamforge.schemas.records.DatasetManifest;
import io.streamforge.schemas.records.ModelEvent;
import io.streamforge.schemas.records.Phase;
import io.streamforge.schemas.records.PhaseTransition;
import io.streamforge.schemas.records.WorkflowRequest;
import io.streamforge.streams.api.Submissions;
import io.streamforge.streams.api.WorkflowWatcher;
import io.streamforge.streams.support.Json;
import io.streamforge.streams.support.Payloads;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code streamforge demo}: the whole platform in one JVM on the embedded default — broker, every
 * Streams app, a training worker and the edge — then the bundled digits dataset published, an
 * AutoML workflow submitted and followed until its model is STABLE at the edge, with callers
 * sending real rows so that the canary analysis has traffic to judge.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the platform in this JVM (embedded Kafka broker, orchestrator and agents, a training"
          + " worker, the edge), publishes the bundled digits dataset (unless a sealed version of"
          + " it is there), submits an AutoML workflow and shows its progress until the model is"
          + " STABLE; then prints how to call it and keeps running until Ctrl-C.",
      "The data directory survives restarts: the next start comes back with its datasets,"
          + " models and workflows (a model already STABLE is not trained again)."
    })
public final class DemoCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(DemoCommand.class);
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneId.systemDefault());
  static final String DATASET = "digits";

  @Option(
      names = "--data-dir",
      defaultValue = "${env:STREAMFORGE_DATA_DIR:-.streamforge/data}",
      description =
          "Where the embedded broker and the Streams apps keep their data (default ${DEFAULT-VALUE}).")
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
      names = "--http-port",
      defaultValue = "${env:STREAMFORGE_HTTP_PORT:-8080}",
      description = "Edge HTTP port; 0 for any free port (default ${DEFAULT-VALUE}).")
  int httpPort;

  @Option(
      names = "--api-port",
      defaultValue = "${env:STREAMFORGE_API_PORT:-8090}",
      description = "Workflow API port; 0 for any free port (default ${DEFAULT-VALUE}).")
  int apiPort;

  @Option(
      names = "--admin-token",
      defaultValue = "${env:STREAMFORGE_ADMIN_TOKEN}",
      description = "Bearer token of the edge's admin API (rollout controls); none: disabled.")
  String adminToken;

  @Option(
      names = "--max-trials",
      defaultValue = "6",
      description = "Search trials of the demo workflow (default ${DEFAULT-VALUE}).")
  int maxTrials;

  @Option(
      names = "--dataset-file",
      description = "File to publish (default: the bundled datasets/digits.csv).")
  Path datasetFile;

  @Option(
      names = "--exit-when-done",
      description = "Exit once the workflow has ended: 0 when DONE, 1 otherwise.")
  boolean exitWhenDone;

  @Option(
      names = "--no-workflow",
      description = "Only publish and show the dataset (what `up` plus a publish would do).")
  boolean noWorkflow;

  @Mixin ConnectionOptions connection;

  @Override
  public Integer call() throws Exception {
    Path file = datasetFile != null ? datasetFile : bundled("digits.csv");
    log.info(
        "configuration: data-dir={}, port={}, controller-port={}, http-port={}, api-port={},"
            + " dataset-file={}, max-trials={}, exit-when-done={}, admin token {}",
        dataDir.toAbsolutePath(),
        port,
        controllerPort,
        httpPort,
        apiPort,
        file,
        maxTrials,
        exitWhenDone,
        adminToken == null ? "none" : "set");
    System.out.println("== StreamForge demo");
    long t0 = System.nanoTime();
    Platform platform =
        Platform.start(
            new Platform.Options(
                dataDir, null, port, controllerPort, httpPort, apiPort, 1, adminToken),
            connection,
            System.out);
    Thread hook = new Thread(platform::close, "demo-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    int code;
    try {
      KafkaClients clients = platform.clients;
      publishIfNeeded(clients, platform.bootstrapServers, file);
      System.out.println("-- the manifest and the first rows, read back from Kafka");
      DatasetsCommand.show(clients, DATASET, null, 5, System.out);
      code = noWorkflow ? 0 : workflow(platform, file, t0);
      if (exitWhenDone) {
        System.out.println(code == 0 ? "== demo done" : "== demo failed");
        return code;
      }
      System.out.println();
      System.out.println(
          "== the platform keeps running (Ctrl-C stops it; the data stays in " + dataDir + ")");
      System.out.println("   Kafka:     " + platform.bootstrapServers);
      System.out.println(
          "   edge:      http://localhost:" + platform.edge.port() + "  dashboard: /dashboard/");
      System.out.println(
          "   workflows: http://localhost:" + platform.streams.api().port() + "/api/workflows");
      System.out.println(
          "   try: bin/streamforge submit --bootstrap-servers "
              + platform.bootstrapServers
              + " --dataset digits --label c64 --max-trials 4 --follow");
      new CountDownLatch(1).await();
      return code;
    } finally {
      if (exitWhenDone) {
        Runtime.getRuntime().removeShutdownHook(hook);
        platform.close();
      }
    }
  }

  private void publishIfNeeded(KafkaClients clients, String bootstrap, Path file) throws Exception {
    Optional<DatasetManifest> existing = DatasetCatalog.load(clients).latestSealed(DATASET);
    if (existing.isPresent() && datasetFile == null) {
      System.out.printf(
          "-- dataset %s version %d is already published (%,d rows); not publishing again%n",
          DATASET, existing.get().version(), existing.get().rowCount());
      return;
    }
    System.out.println("-- publishing " + file + " as dataset '" + DATASET + "'");
    PublishCommand publish = new PublishCommand();
    publish.connection = connection;
    publish.connection.bootstrapServers = bootstrap;
    publish.file = file;
    publish.dataset = DATASET;
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

  /** Submits the demo workflow (unless a model is STABLE already) and follows it; 0 when DONE. */
  private int workflow(Platform platform, Path file, long t0) throws Exception {
    KafkaClients clients = platform.clients;
    Optional<ModelEvent> stable = stable(clients);
    try (DemoCallers callers =
        new DemoCallers(file, 64, platform.edge.port(), DATASET, Duration.ofMillis(25))) {
      if (stable.isPresent()) {
        System.out.printf(
            "-- %s v%d (%s) is STABLE already (from an earlier run): serving it, no new workflow%n",
            DATASET, stable.get().version(), stable.get().variant());
        System.out.println("   call it: " + callers.curl());
        return 0;
      }
      String wf = Submissions.newId();
      WorkflowRequest request =
          Submissions.parse(
              Json.tree(
                  """
                  {"workflowId": "%s", "dataset": "digits", "label": "c64",
                   "task": "recognise handwritten digits (8x8 pixels)",
                   "search": {"strategy": "tpe", "maxTrials": %d, "parallelTrials": 1, "patience": 4},
                   "deployment": {"canaryWeight": 10, "analysisIntervalSeconds": 2,
                                  "thresholds": {"min_samples": 30, "max_error_rate": 0.01,
                                                 "max_p99_ratio": 3}},
                   "options": {"trial_epochs": "8", "final_epochs": "20"}}
                  """
                      .formatted(wf, maxTrials)),
              Instant.now());
      try (KafkaProducer<String, byte[]> producer =
          new KafkaProducer<>(clients.producer("streamforge-demo"))) {
        Submissions.submit(producer, request);
      }
      System.out.println(
          "-- submitted workflow "
              + wf
              + ": analyze, preprocess, design, search,"
              + " train, convert, optimize (quantize), deploy as canary");
      AtomicReference<Phase> phase = new AtomicReference<>();
      Thread ticker = ticker(platform, callers, phase);
      PhaseTransition last =
          WorkflowWatcher.watch(
              clients, wf, new Progress(phase), true, Duration.ofMinutes(30), () -> false);
      ticker.interrupt();
      double seconds = (System.nanoTime() - t0) / 1e9;
      if (last == null || last.to() != Phase.DONE) {
        System.out.println(
            "-- workflow "
                + wf
                + " ended "
                + (last == null ? "?" : last.to() + ": " + last.reason()));
        return 1;
      }
      ModelEvent served = stable(clients).orElse(null);
      System.out.println();
      System.out.printf(
          "== %s v%d (%s) is STABLE: val_accuracy %.4f, %.0f s from start%n",
          DATASET,
          served == null ? -1 : served.version(),
          served == null ? "?" : served.variant(),
          served == null || served.metrics() == null
              ? Double.NaN
              : served.metrics().getOrDefault("val_accuracy", Double.NaN),
          seconds);
      System.out.println(
          "   callers so far: "
              + callers.answered.get()
              + " answers "
              + callers.byVersion
              + ", "
              + callers.errors.get()
              + " errors");
      System.out.println("   call it: " + callers.curl());
      System.out.println(
          "   trials:  bin/streamforge trials "
              + wf
              + " --bootstrap-servers "
              + platform.bootstrapServers);
      return 0;
    }
  }

  private static Optional<ModelEvent> stable(KafkaClients clients) {
    return ModelRegistry.load(clients).events(DATASET).stream()
        .filter(e -> e.status() == ModelEvent.ModelStatus.STABLE)
        .max(java.util.Comparator.comparingInt(ModelEvent::version));
  }

  /** Prints the canary split and the callers' counts every few seconds while DEPLOY runs. */
  private static Thread ticker(
      Platform platform, DemoCallers callers, AtomicReference<Phase> phase) {
    Thread t =
        new Thread(
            () -> {
              while (!Thread.currentThread().isInterrupted()) {
                try {
                  Thread.sleep(3_000);
                } catch (InterruptedException e) {
                  return;
                }
                if (phase.get() != Phase.DEPLOY) {
                  continue;
                }
                String route =
                    platform
                        .edge
                        .repository()
                        .served(DATASET)
                        .map(
                            s ->
                                s.plan().canary() == null
                                    ? "stable v"
                                        + s.plan().stable()
                                        + " ("
                                        + s.plan().stableVariant()
                                        + ") 100%"
                                    : "stable v"
                                        + s.plan().stable()
                                        + ", canary v"
                                        + s.plan().canary()
                                        + " ("
                                        + s.plan().canaryVariant()
                                        + ") at "
                                        + s.plan().canaryWeight()
                                        + "%")
                        .orElse("not served yet");
                System.out.printf(
                    "          canary: %s; callers %d answers %s, %d errors%n",
                    route, callers.answered.get(), callers.byVersion, callers.errors.get());
              }
            },
            "demo-ticker");
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** Phase timeline, trials as they end, the final training's epochs, the debugger's actions. */
  private static final class Progress implements WorkflowWatcher.Listener {
    private final AtomicReference<Phase> phase;

    Progress(AtomicReference<Phase> phase) {
      this.phase = phase;
    }

    @Override
    public void transition(PhaseTransition t) {
      phase.set(t.to());
      System.out.printf(
          "   %s  %-10s → %-10s %s%n",
          TIME.format(t.time()), t.from() == null ? "" : t.from(), t.to(), t.reason());
    }

    @Override
    public void trial(Payloads.Trial t) {
      if (t.finished()) {
        System.out.printf(
            "          %s %-9s %s  %s%n",
            t.trialId(),
            t.status(),
            t.metrics() == null ? "" : WorkflowPrinter.metrics(t),
            t.description());
      }
    }

    @Override
    public void debugAction(Payloads.DebugAction a) {
      System.out.printf("          debugger: %s %s: %s%n", a.jobId(), a.action(), a.reason());
    }

    @Override
    public boolean wantsEpochs() {
      return true;
    }

    @Override
    public void epoch(String run, long epoch, Map<String, Double> m) {
      if (run.endsWith(".final")) {
        System.out.printf(
            Locale.ROOT,
            "          training epoch %d: loss %.4f, val_accuracy %.4f, %.0f samples/s%n",
            epoch,
            m.getOrDefault("train_loss", Double.NaN),
            m.getOrDefault("val_accuracy", Double.NaN),
            m.getOrDefault("samples_per_s", Double.NaN));
      }
    }
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
