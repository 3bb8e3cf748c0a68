package io.streamforge.streams.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.streamforge.agents.task.RequestValidator;
import io.streamforge.schemas.Topics;
import io.streamforge.schemas.records.AgentMessage;
import io.streamforge.schemas.records.DatasetManifest;
import io.streamforge.schemas.records.TrainingJob;
import io.streamforge.schemas.records.WorkflowRequest;
import io.streamforge.streams.support.Json;
import io.streamforge.streams.support.Messages;
import io.streamforge.streams.support.Payloads;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Workflow requests from users: the JSON form ({@code streamforge submit --file}, {@code POST
 * /api/workflows}), validation that lists every problem at once, and the write to {@code
 * workflows}. The orchestrator validates again (a request may come from anywhere), but users hear
 * about mistakes before anything is written.
 */
public final class Submissions {
  private Submissions() {}

  private static final SecureRandom RANDOM = new SecureRandom();

  /** A request that cannot be accepted, with every reason. */
  public static final class InvalidRequestException extends RuntimeException {
    private final List<String> problems;

    public InvalidRequestException(List<String> problems) {
      super("invalid workflow request: " + String.join("; ", problems));
      this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
      return problems;
    }
  }

  private static final Set<String> FIELDS =
      Set.of(
          "workflowId",
          "dataset",
          "datasetVersion",
          "label",
          "task",
          "taskType",
          "timeBudget",
          "constraints",
          "objectives",
          "search",
          "validation",
          "deployment",
          "ensemble",
          "options");

  /** A new workflow id: {@code wf-} and 10 hex digits. */
  public static String newId() {
    byte[] b = new byte[5];
    RANDOM.nextBytes(b);
    return "wf-" + HexFormat.of().formatHex(b);
  }

  /**
   * Reads the JSON form of a request (see docs/workflows.md). Every problem of form is collected;
   * the request is then checked against the dataset with {@link #validate}.
   *
   * @throws InvalidRequestException listing every problem found
   */
  public static WorkflowRequest parse(JsonNode n, Instant now) {
    List<String> problems = new ArrayList<>();
    if (n == null || !n.isObject()) {
      throw new InvalidRequestException(List.of("the request must be a JSON object"));
    }
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!FIELDS.contains(f)) {
        problems.add(
            "unknown field '" + f + "' (known: " + String.join(", ", sorted(FIELDS)) + ")");
      }
    }
    String id = text(n, "workflowId", problems);
    if (id == null) {
      id = newId();
    } else if (!id.matches("[A-Za-z0-9_-]{1,64}")) {
      problems.add("workflowId '" + id + "' must be 1 to 64 letters, digits, '_' or '-'");
    }
    String dataset = text(n, "dataset", problems);
    if (dataset == null) {
      problems.add("'dataset' is required");
    }
    String label = text(n, "label", problems);
    if (label == null) {
      problems.add("'label' is required");
    }
    Integer version = integer(n, "datasetVersion", problems);
    TrainingJob.TaskType taskType = null;
    String tt = text(n, "taskType", problems);
    if (tt != null) {
      try {
        taskType = TrainingJob.TaskType.valueOf(tt.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        problems.add("taskType '" + tt + "' must be classification or regression");
      }
    }
    Long budget = null;
    String b = text(n, "timeBudget", problems);
    if (b != null) {
      try {
        budget = parseDuration(b).toSeconds();
      } catch (IllegalArgumentException e) {
        problems.add(e.getMessage());
      }
    }
    WorkflowRequest.Constraints constraints = null;
    if (n.has("constraints")) {
      constraints =
          convert(n.get("constraints"), WorkflowRequest.Constraints.class, "constraints", problems);
    }
    WorkflowRequest.Objectives objectives = null;
    if (n.has("objectives")) {
      objectives =
          convert(n.get("objectives"), WorkflowRequest.Objectives.class, "objectives", problems);
    }
    WorkflowRequest.Search search = null;
    if (n.has("search")) {
      search = convert(n.get("search"), WorkflowRequest.Search.class, "search", problems);
      // 0 would read as "the default": a user who writes it means something else
      for (String f : List.of("maxTrials", "parallelTrials")) {
        JsonNode v = n.get("search").get(f);
        if (v != null && v.isNumber() && v.asInt() < 1) {
          problems.add("'search." + f + "' must be at least 1, was " + v.asText());
        }
      }
    }
    double holdout = 0;
    int folds = 0;
    if (n.has("validation")) {
      JsonNode v = n.get("validation");
      for (Iterator<String> it = v.fieldNames(); it.hasNext(); ) {
        String f = it.next();
        if (!f.equals("holdout") && !f.equals("folds")) {
          problems.add("unknown field 'validation." + f + "' (known: holdout, folds)");
        }
      }
      holdout = v.path("holdout").asDouble(0);
      folds = v.path("folds").asInt(0);
    }
    WorkflowRequest.Rollout rollout = null;
    if (n.has("deployment")) {
      rollout = convert(n.get("deployment"), WorkflowRequest.Rollout.class, "deployment", problems);
    }
    boolean ensemble = n.path("ensemble").asBoolean(false);
    Map<String, String> options = new HashMap<>();
    if (n.has("options")) {
      n.get("options")
          .fields()
          .forEachRemaining(e -> options.put(e.getKey(), e.getValue().asText()));
    }
    if (!problems.isEmpty()) {
      throw new InvalidRequestException(problems);
    }
    return new WorkflowRequest(
        id,
        n.path("task").asText(null),
        dataset,
        version,
        label,
        taskType,
        budget,
        constraints,
        objectives,
        search,
        holdout,
        folds,
        rollout,
        ensemble,
        Map.copyOf(options),
        now);
  }

  /**
   * Every problem of the request against its dataset (defaults filled first), empty when valid.
   *
   * @param manifests finds a sealed version's manifest (latest when the version is null), or null
   */
  public static List<String> validate(
      WorkflowRequest request, BiFunction<String, Integer, DatasetManifest> manifests) {
    WorkflowRequest r = RequestValidator.withDefaults(request, request.submittedAt());
    DatasetManifest m =
        r.dataset() == null ? null : manifests.apply(r.dataset(), r.datasetVersion());
    return RequestValidator.problems(r, m);
  }

  /** Writes the request to {@code workflows} and returns its id once the cluster has it. */
  public static String submit(Producer<String, byte[]> producer, WorkflowRequest r) {
    String topic = Topics.WORKFLOWS.name();
    send(
        producer,
        topic,
        r.workflowId(),
        Topics.WORKFLOWS.valueSerde().serializer().serialize(topic, r));
    return r.workflowId();
  }

  /** Asks the orchestrator to cancel a workflow. */
  public static void cancel(Producer<String, byte[]> producer, String workflowId, String reason) {
    AgentMessage m =
        Messages.request(
            workflowId + "/cancel/" + newId(),
            workflowId,
            Messages.USER,
            Messages.ORCHESTRATOR,
            Payloads.CANCEL,
            Map.of("reason", reason == null ? "no reason given" : reason),
            9,
            Instant.now());
    String topic = Topics.AGENT_MESSAGES.name();
    send(
        producer,
        topic,
        workflowId,
        Topics.AGENT_MESSAGES.valueSerde().serializer().serialize(topic, m));
  }

  private static void send(
      Producer<String, byte[]> producer, String topic, String key, byte[] value) {
    try {
      producer.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while writing to " + topic, e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot write to " + topic + ": " + e.getMessage(), e);
    }
  }

  /** {@code 90s}, {@code 10m}, {@code 2h}, {@code 1h30m}, or ISO-8601 {@code PT10M}. */
  public static Duration parseDuration(String s) {
    String t = s.trim().toLowerCase(Locale.ROOT);
    try {
      if (t.startsWith("pt") || t.startsWith("p")) {
        return Duration.parse(t.toUpperCase(Locale.ROOT));
      }
      if (t.matches("(\\d+h)?(\\d+m)?(\\d+s)?") && !t.isEmpty()) {
        return Duration.parse("PT" + t.toUpperCase(Locale.ROOT));
      }
      if (t.matches("\\d+")) {
        return Duration.ofSeconds(Long.parseLong(t));
      }
    } catch (java.time.format.DateTimeParseException e) {
      // fall through to the message below
    }
    throw new IllegalArgumentException(
        "time budget '" + s + "' is not a duration: use e.g. 90s, 10m, 1h30m or PT10M");
  }

  private static String text(JsonNode n, String f, List<String> problems) {
    JsonNode v = n.get(f);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual()) {
      problems.add("'" + f + "' must be a string");
      return null;
    }
    return v.asText();
  }

  private static Integer integer(JsonNode n, String f, List<String> problems) {
    JsonNode v = n.get(f);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.canConvertToInt() || !v.isIntegralNumber()) {
      problems.add("'" + f + "' must be an integer");
      return null;
    }
    return v.asInt();
  }

  private static <T> T convert(JsonNode v, Class<T> type, String field, List<String> problems) {
    try {
      return Json.MAPPER
          .copy()
          .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .treeToValue(v, type);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      problems.add("'" + field + "': " + e.getOriginalMessage());
      return null;
    }
  }

  private static List<String> sorted(Set<String> s) {
    return s.stream().sorted().toList();
  }
}
