package io.streamforge.streams;

import io.streamforge.agents.debug.DebugPolicy;
import io.streamforge.agents.search.Pruner;
import io.streamforge.agents.task.RuleBasedTaskAnalyzer;
import io.streamforge.schemas.TopicAdmin;
import io.streamforge.schemas.Topics;
import io.streamforge.streams.agents.DebuggerTopology;
import io.streamforge.streams.agents.DeployerTopology;
import io.streamforge.streams.agents.EnsemblerTopology;
import io.streamforge.streams.agents.OptimizerTopology;
import io.streamforge.streams.agents.PreprocessingTopology;
import io.streamforge.streams.agents.SimpleAgents;
import io.streamforge.streams.orchestrator.OrchestratorConfig;
import io.streamforge.streams.orchestrator.OrchestratorTopology;
import io.streamforge.streams.support.StreamsSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Streams apps of the platform and how to run them in one process: each app is its own {@link
 * KafkaStreams} (application id {@code streamforge-<name>}) built from its topology function, so
 * any subset can run here and the rest elsewhere.
 */
public final class StreamsApps implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StreamsApps.class);

  /** The apps by name, in start order. */
  public static Map<String, Supplier<Topology>> catalog(OrchestratorConfig config) {
    Map<String, Supplier<Topology>> apps = new LinkedHashMap<>();
    apps.put(OrchestratorTopology.APP, () -> OrchestratorTopology.build(config));
    apps.put("task-analysis", () -> SimpleAgents.taskAnalysis(new RuleBasedTaskAnalyzer()));
    apps.put(PreprocessingTopology.APP, PreprocessingTopology::build);
    apps.put("architect", SimpleAgents::architect);
    apps.put(OptimizerTopology.APP, () -> OptimizerTopology.build(config.tick()));
    apps.put(
        DebuggerTopology.APP,
        () -> DebuggerTopology.build(DebugPolicy.defaults(), Pruner.median(2, 2)));
    apps.put("conversion", SimpleAgents::conversion);
    apps.put(EnsemblerTopology.APP, EnsemblerTopology::build);
    apps.put(DeployerTopology.APP, () -> DeployerTopology.build(config.tick()));
    return apps;
  }

  private final List<KafkaStreams> running = new ArrayList<>();
  private final Map<String, KafkaStreams> byName = new LinkedHashMap<>();

  private StreamsApps() {}

  /**
   * Creates the topics, then starts the named apps (all when {@code names} is empty) and waits
   * until each is running.
   *
   * @throws IllegalArgumentException naming an unknown app and the known ones
   */
  public static StreamsApps start(
      StreamsSettings settings, OrchestratorConfig config, List<String> names, Duration timeout) {
    Map<String, Supplier<Topology>> catalog = catalog(config);
    List<String> chosen = names.isEmpty() ? List.copyOf(catalog.keySet()) : names;
    for (String n : chosen) {
      if (!catalog.containsKey(n)) {
        throw new IllegalArgumentException(
            "unknown streams app '" + n + "'; the apps are " + String.join(", ", catalog.keySet()));
      }
    }
    try (Admin admin = Admin.create(settings.clients().admin())) {
      TopicAdmin.ensure(admin, Topics.ALL);
    }
    StreamsApps apps = new StreamsApps();
    try {
      for (String n : chosen) {
        Properties p = settings.properties(n);
        KafkaStreams ks = new KafkaStreams(catalog.get(n).get(), p);
        ks.setUncaughtExceptionHandler(
            e -> {
              log.error("streams app {} failed; replacing its thread", n, e);
              return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
            });
        ks.start();
        apps.running.add(ks);
        apps.byName.put(n, ks);
      }
      apps.awaitRunning(timeout);
    } catch (RuntimeException e) {
      apps.close();
      throw e;
    }
    log.info("streams apps running: {}", String.join(", ", apps.byName.keySet()));
    return apps;
  }

  private void awaitRunning(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (var e : byName.entrySet()) {
      while (e.getValue().state() != KafkaStreams.State.RUNNING) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "streams app "
                  + e.getKey()
                  + " not running after "
                  + timeout.toSeconds()
                  + " s (state "
                  + e.getValue().state()
                  + ")");
        }
        if (e.getValue().state() == KafkaStreams.State.ERROR
            || e.getValue().state() == KafkaStreams.State.NOT_RUNNING) {
          throw new IllegalStateException(
              "streams app "
                  + e.getKey()
                  + " stopped while starting (state "
                  + e.getValue().state()
                  + ")");
        }
        try {
          TimeUnit.MILLISECONDS.sleep(100);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while starting the streams apps", ie);
        }
      }
    }
  }

  /** The running app of that name, or null. */
  public KafkaStreams app(String name) {
    return byName.get(name);
  }

  public List<String> names() {
    return List.copyOf(byName.keySet());
  }

  @Override
  public void close() {
    for (int i = running.size() - 1; i >= 0; i--) {
      running.get(i).close(Duration.ofSeconds(30));
    }
    running.clear();
    byName.clear();
  }
}
