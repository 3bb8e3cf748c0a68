package io.streamforge.launcher.cli;

import io.streamforge.serving.Edge;
import io.streamforge.serving.EdgeConfig;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code streamforge edge}: the inference edge, serving the models it reads from Kafka. */
@Command(
    name = "edge",
    mixinStandardHelpOptions = true,
    description = {
      "Serves the registered models over the Open Inference Protocol v2 (REST) until Ctrl-C.",
      "Follows the models and deployments topics: new versions are fetched, verified, warmed up"
          + " and swapped in without failing a request; canaries are routed as deployments say.",
      "Routes: /v2/..., POST /v2/repository/index, /metrics, POST /admin/models/NAME/rollout"
          + " (only with an admin token). See docs/serving.md."
    })
public final class EdgeCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(EdgeCommand.class);

  @Option(
      names = "--http-port",
      defaultValue = "${env:STREAMFORGE_HTTP_PORT:-8080}",
      description = "HTTP port (env STREAMFORGE_HTTP_PORT; default ${DEFAULT-VALUE}; 0: any).")
  int httpPort;

  @Option(
      names = "--host",
      defaultValue = "${env:STREAMFORGE_HTTP_HOST:-0.0.0.0}",
      description = "Address to bind (env STREAMFORGE_HTTP_HOST; default ${DEFAULT-VALUE}).")
  String host;

  @Option(
      names = "--admin-token",
      defaultValue = "${env:STREAMFORGE_ADMIN_TOKEN}",
      description =
          "Bearer token of the admin API (env STREAMFORGE_ADMIN_TOKEN); without one the admin"
              + " API is disabled.")
  String adminToken;

  @Option(
      names = "--workers",
      defaultValue = "0",
      description = "Inference worker threads (default: one per core).")
  int workers;

  @Option(
      names = "--queue",
      defaultValue = "-1",
      description = "Requests that may wait for a worker before 503 (default: 4 per worker).")
  int queue;

  @Option(
      names = "--intra-op-threads",
      defaultValue = "1",
      description = "ONNX Runtime threads per inference (default ${DEFAULT-VALUE}).")
  int intraOpThreads;

  @Option(
      names = "--max-body-bytes",
      defaultValue = "8388608",
      description = "Largest request body; larger gets 413 (default ${DEFAULT-VALUE}).")
  int maxBodyBytes;

  @Option(
      names = "--variant",
      defaultValue = "fp32",
      description = "Model variant to serve (default ${DEFAULT-VALUE}).")
  String variant;

  @Option(
      names = "--models",
      split = ",",
      paramLabel = "NAME",
      description = "Serve only these models (default: every registered model).")
  List<String> models;

  @Option(
      names = "--batch-size",
      defaultValue = "1",
      description =
          "Dynamic batching: most requests run together per model version (default"
              + " ${DEFAULT-VALUE}: off).")
  int batchSize;

  @Option(
      names = "--batch-delay-ms",
      defaultValue = "2",
      description =
          "Dynamic batching: longest a request waits for others (default ${DEFAULT-VALUE}).")
  long batchDelayMillis;

  @Option(
      names = "--load-priority",
      defaultValue = "${env:STREAMFORGE_EDGE_LOAD_PRIORITY:-idle}",
      description =
          "CPU priority of loading, warming up and verifying model versions: idle (Linux's"
              + " SCHED_IDLE, so requests always come first; a load waits while the cores are"
              + " saturated) or normal (env STREAMFORGE_EDGE_LOAD_PRIORITY; default"
              + " ${DEFAULT-VALUE}).")
  String loadPriority;

  @Option(
      names = "--exit-when-ready",
      description = "Exit 0 once the initial models are loaded and the server listens.")
  boolean exitWhenReady;

  @Mixin ConnectionOptions connection;

  @Override
  public Integer call() throws Exception {
    EdgeConfig defaults = EdgeConfig.defaults();
    int threads = workers > 0 ? workers : defaults.workerThreads();
    int queued = queue >= 0 ? queue : 4 * threads;
    Set<String> only = models == null ? null : new TreeSet<>(models);
    String priority = loadPriority.trim().toLowerCase(java.util.Locale.ROOT);
    if (!priority.equals("idle") && !priority.equals("normal")) {
      throw new picocli.CommandLine.ParameterException(
          new picocli.CommandLine(this),
          "--load-priority: '" + loadPriority + "' is neither idle nor normal");
    }
    EdgeConfig config =
        defaults
            .withHost(host)
            .withHttpPort(httpPort)
            .withAdminToken(adminToken)
            .withWorkers(threads, queued)
            .withIntraOpThreads(intraOpThreads)
            .withMaxBodyBytes(maxBodyBytes)
            .withVariant(variant)
            .withBatching(batchSize, Duration.ofMillis(batchDelayMillis))
            .withModels(only == null ? m -> true : only::contains)
            .withIdleLoading(priority.equals("idle"));
    String configuration =
        config.describe()
            + ", models "
            + (only == null ? "all" : Arrays.toString(only.toArray()))
            + ", "
            + connection.describe();
    log.info("configuration: {}", configuration);
    System.out.println("== StreamForge edge: " + configuration);
    System.out.flush();
    Edge edge = Edge.start(config, connection.clients(), null);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  edge.close();
                  stopped.countDown();
                },
                "edge-shutdown"));
    while (!edge.awaitReady(Duration.ofSeconds(10))) {
      System.out.println("still loading the initial models...");
    }
    System.out.println(
        "edge ready on port "
            + edge.port()
            + ", serving "
            + edge.repository().models()
            + (exitWhenReady ? "" : " (Ctrl-C to stop)"));
    System.out.flush();
    if (exitWhenReady) {
      edge.close();
      return 0;
    }
    stopped.await();
    return 0;
  }
}
