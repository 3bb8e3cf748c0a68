package io.streamforge.launcher.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streamforge.arrowio.dataset.DatasetCatalog;
import io.streamforge.arrowio.dataset.KafkaClients;
import io.streamforge.launcher.UserException;
import io.streamforge.schemas.records.DatasetManifest;
import io.streamforge.schemas.records.PhaseTransition;
import io.streamforge.schemas.records.WorkflowRequest;
import io.streamforge.streams.api.Submissions;
import io.streamforge.streams.api.WorkflowWatcher;
import io.streamforge.streams.support.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.KafkaProducer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code streamforge submit}: an AutoML workflow request onto {@code workflows}. */
@Command(
    name = "submit",
    mixinStandardHelpOptions = true,
    description = {
      "Submits an AutoML workflow: checks the request against the dataset (every problem is"
          + " listed), writes it to 'workflows' and prints its id. Flags override the fields of"
          + " --file. With --follow, prints the phases as they happen and exits 0 when the"
          + " workflow is DONE, 1 when it FAILED or was CANCELLED.",
      "Request file format: docs/workflows.md."
    })
public final class SubmitCommand implements Callable<Integer> {
  @Mixin ConnectionOptions connection;

  @Option(names = "--file", paramLabel = "REQUEST.json", description = "The request as JSON.")
  Path file;

  @Option(names = "--dataset", description = "Dataset name.")
  String dataset;

  @Option(names = "--dataset-version", description = "Sealed version (default: the latest).")
  Integer datasetVersion;

  @Option(names = "--label", paramLabel = "COL", description = "Label column.")
  String label;

  @Option(names = "--task", paramLabel = "TEXT", description = "The task in words.")
  String task;

  @Option(names = "--task-type", description = "classification or regression (default: inferred).")
  String taskType;

  @Option(names = "--max-trials", paramLabel = "N", description = "Search trials (default 8).")
  Integer maxTrials;

  @Option(
      names = "--parallel-trials",
      paramLabel = "N",
      description = "Trials at once (default 2).")
  Integer parallelTrials;

  @Option(names = "--strategy", description = "tpe, random or gp (default tpe).")
  String strategy;

  @Option(names = "--time-budget", paramLabel = "DURATION", description = "e.g. 10m, 1h30m.")
  String timeBudget;

  @Option(names = "--model", description = "Model name (default: the dataset name).")
  String model;

  @Option(names = "--seed", description = "Random seed of the search and training (default 42).")
  Long seed;

  @Option(names = "--trial-epochs", description = "Epochs per search trial.")
  Integer trialEpochs;

  @Option(names = "--final-epochs", description = "Epochs of the final training.")
  Integer finalEpochs;

  @Option(names = "--canary-weight", description = "First canary share, 0 to 100 (default 10).")
  Double canaryWeight;

  @Option(names = "--max-model-bytes", description = "Largest acceptable model.")
  Long maxModelBytes;

  @Option(names = "--max-latency-ms", description = "Largest acceptable latency at batch 1.")
  Double maxLatencyMs;

  @Option(names = "--follow", description = "Print the phases until the workflow ends.")
  boolean follow;

  @Option(
      names = "--timeout",
      defaultValue = "6h",
      description = "How long --follow waits (default ${DEFAULT-VALUE}).")
  String timeout;

  @Override
  public Integer call() throws Exception {
    ObjectNode n = file == null ? Json.object() : readFile(file);
    put(n, "dataset", dataset);
    if (datasetVersion != null) {
      n.put("datasetVersion", datasetVersion);
    }
    put(n, "label", label);
    put(n, "task", task);
    put(n, "taskType", taskType);
    put(n, "timeBudget", timeBudget);
    if (maxTrials != null || parallelTrials != null || strategy != null) {
      ObjectNode s = n.has("search") ? (ObjectNode) n.get("search") : n.putObject("search");
      if (maxTrials != null) {
        s.put("maxTrials", maxTrials);
      }
      if (parallelTrials != null) {
        s.put("parallelTrials", parallelTrials);
      }
      if (strategy != null) {
        s.put("strategy", strategy);
      }
    }
    if (maxModelBytes != null || maxLatencyMs != null) {
      ObjectNode c =
          n.has("constraints") ? (ObjectNode) n.get("constraints") : n.putObject("constraints");
      if (maxModelBytes != null) {
        c.put("maxModelBytes", maxModelBytes);
      }
      if (maxLatencyMs != null) {
        c.put("maxLatencyMs", maxLatencyMs);
      }
    }
    if (canaryWeight != null) {
      ObjectNode d =
          n.has("deployment") ? (ObjectNode) n.get("deployment") : n.putObject("deployment");
      d.put("canaryWeight", canaryWeight);
    }
    ObjectNode options = n.has("options") ? (ObjectNode) n.get("options") : Json.object();
    put(options, "model", model);
    put(options, "seed", seed == null ? null : seed.toString());
    put(options, "trial_epochs", trialEpochs == null ? null : trialEpochs.toString());
    put(options, "final_epochs", finalEpochs == null ? null : finalEpochs.toString());
    if (!options.isEmpty()) {
      n.set("options", options);
    }
    KafkaClients clients = connection.clients();
    WorkflowRequest request;
    try {
      request = Submissions.parse(n, Instant.now());
    } catch (Submissions.InvalidRequestException e) {
      throw new UserException(problems(e.problems()));
    }
    DatasetCatalog catalog = DatasetCatalog.load(clients);
    List<String> problems = Submissions.validate(request, (d, v) -> manifest(catalog, d, v));
    if (!problems.isEmpty()) {
      throw new UserException(problems(problems));
    }
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(clients.producer("streamforge-submit"))) {
      Submissions.submit(producer, request);
    }
    System.out.println(request.workflowId());
    if (!follow) {
      return 0;
    }
    PhaseTransition last =
        WorkflowWatcher.watch(
            clients,
            request.workflowId(),
            new WorkflowPrinter(System.err, true),
            true,
            Submissions.parseDuration(timeout),
            () -> false);
    return StatusCommand.exitCode(last);
  }

  static DatasetManifest manifest(DatasetCatalog catalog, String dataset, Integer version) {
    if (version == null) {
      return catalog.latestSealed(dataset).orElse(null);
    }
    return catalog
        .manifest(dataset, version)
        .filter(m -> m.status() == DatasetManifest.Status.SEALED)
        .orElse(null);
  }

  private static String problems(List<String> problems) {
    return "the workflow request has "
        + problems.size()
        + " problem(s):\n  - "
        + String.join("\n  - ", problems);
  }

  private static ObjectNode readFile(Path f) {
    try {
      JsonNode n = Json.tree(Files.readString(f));
      if (!n.isObject()) {
        throw new UserException(f + ": the request must be a JSON object");
      }
      return (ObjectNode) n;
    } catch (IOException e) {
      throw new UserException("cannot read " + f + ": " + e.getMessage());
    } catch (IllegalArgumentException e) {
      throw new UserException(f + ": " + e.getMessage());
    }
  }

  private static void put(ObjectNode n, String field, String value) {
    if (value != null) {
      n.put(field, value);
    }
  }
}
