package io.streamforge.streams.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.streamforge.schemas.records.DatasetManifest;
import io.streamforge.schemas.records.WorkflowRequest;
import io.streamforge.streams.orchestrator.OrchestratorTopology;
import io.streamforge.streams.orchestrator.WorkflowState;
import io.streamforge.streams.support.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The workflow API, served by the process that runs the orchestrator (its state is read with
 * interactive queries, so this instance answers for the workflows it holds):
 *
 * <ul>
 *   <li>{@code POST /api/workflows} — submit (JSON form as in docs/workflows.md); 202 with the id,
 *       400 with every problem
 *   <li>{@code GET /api/workflows} — every workflow: id, phase, dataset, model
 *   <li>{@code GET /api/workflows/{id}} — its state: phase, transitions, results, failure
 *   <li>{@code GET /api/workflows/{id}/trials} — its trials with configuration, status, metrics and
 *       per-epoch curves
 *   <li>{@code DELETE /api/workflows/{id}} — cancel (202)
 * </ul>
 *
 * Errors are JSON {@code {"error": ..., "problems": [...]}} with a 4xx status.
 */
public final class WorkflowApi implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WorkflowApi.class);
  private static final int MAX_BODY = 1 << 20;

  private final KafkaStreams orchestrator;
  private final Producer<String, byte[]> producer;
  private final HttpServer server;
  private final ExecutorService pool;

  public WorkflowApi(
      KafkaStreams orchestrator, Producer<String, byte[]> producer, String host, int port)
      throws IOException {
    this.orchestrator = orchestrator;
    this.producer = producer;
    this.server = HttpServer.create(new InetSocketAddress(host, port), 64);
    this.pool =
        Executors.newFixedThreadPool(
            4,
            r -> {
              Thread t = new Thread(r, "workflow-api");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(pool);
    server.createContext("/api/workflows", this::handle);
    server.start();
    log.info("workflow API on http://{}:{}/api/workflows", host, port());
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String path = ex.getRequestURI().getPath().replaceAll("/+$", "");
      String[] parts = path.split("/");
      // ["", "api", "workflows", id?, "trials"?]
      String method = ex.getRequestMethod();
      if (parts.length == 3) {
        switch (method) {
          case "POST" -> submit(ex);
          case "GET" -> list(ex);
          default -> error(ex, 405, "use GET or POST on /api/workflows", List.of());
        }
      } else if (parts.length == 4) {
        switch (method) {
          case "GET" -> get(ex, parts[3]);
          case "DELETE" -> cancel(ex, parts[3]);
          default -> error(ex, 405, "use GET or DELETE on /api/workflows/{id}", List.of());
        }
      } else if (parts.length == 5 && parts[4].equals("trials") && method.equals("GET")) {
        trials(ex, parts[3]);
      } else {
        error(ex, 404, "no such resource: " + method + " " + path, List.of());
      }
    } catch (RuntimeException e) {
      log.warn("workflow API: {} {} failed", ex.getRequestMethod(), ex.getRequestURI(), e);
      error(ex, 500, e.toString(), List.of());
    }
  }

  private void submit(HttpExchange ex) throws IOException {
    byte[] body;
    try (InputStream in = ex.getRequestBody()) {
      body = in.readNBytes(MAX_BODY + 1);
    }
    if (body.length > MAX_BODY) {
      error(ex, 413, "request body over " + MAX_BODY + " bytes", List.of());
      return;
    }
    JsonNode n;
    try {
      n = Json.tree(new String(body, StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      error(ex, 400, "the body is not JSON: " + e.getMessage(), List.of());
      return;
    }
    WorkflowRequest r;
    try {
      r = Submissions.parse(n, Instant.now());
    } catch (Submissions.InvalidRequestException e) {
      error(ex, 400, "invalid workflow request", e.problems());
      return;
    }
    List<String> problems = Submissions.validate(r, this::manifest);
    if (!problems.isEmpty()) {
      error(ex, 400, "invalid workflow request", problems);
      return;
    }
    if (state(r.workflowId()) != null) {
      error(ex, 409, "workflow " + r.workflowId() + " exists", List.of());
      return;
    }
    Submissions.submit(producer, r);
    ObjectNode out = Json.object().put("workflowId", r.workflowId()).put("status", "submitted");
    out.put("href", "/api/workflows/" + r.workflowId());
    send(ex, 202, out);
  }

  private void list(HttpExchange ex) throws IOException {
    ArrayNode out = Json.MAPPER.createArrayNode();
    try (var it = store().all()) {
      while (it.hasNext()) {
        WorkflowState s = it.next().value;
        ObjectNode o = out.addObject();
        o.put("workflowId", s.workflowId);
        o.put("phase", s.phase == null ? null : s.phase.name());
        o.put("dataset", s.request == null ? null : s.request.dataset());
        o.put("model", s.model);
        o.put("modelVersion", s.modelVersion);
        o.put("trials", s.trials.size());
        o.put("failure", s.failure);
      }
    }
    send(ex, 200, out);
  }

  private void get(HttpExchange ex, String id) throws IOException {
    WorkflowState s = state(id);
    if (s == null) {
      error(ex, 404, "no workflow " + id, List.of());
      return;
    }
    send(ex, 200, Json.MAPPER.valueToTree(s));
  }

  private void trials(HttpExchange ex, String id) throws IOException {
    WorkflowState s = state(id);
    if (s == null) {
      error(ex, 404, "no workflow " + id, List.of());
      return;
    }
    ArrayNode out = Json.MAPPER.createArrayNode();
    s.trials
        .values()
        .forEach(
            t -> {
              ObjectNode o = Json.MAPPER.valueToTree(t);
              o.set("curve", Json.MAPPER.valueToTree(s.curves.get(t.jobId())));
              out.add(o);
            });
    send(ex, 200, out);
  }

  private void cancel(HttpExchange ex, String id) throws IOException {
    WorkflowState s = state(id);
    if (s == null) {
      error(ex, 404, "no workflow " + id, List.of());
      return;
    }
    if (s.terminal()) {
      error(ex, 409, "workflow " + id + " has ended (" + s.phase + ")", List.of());
      return;
    }
    Submissions.cancel(producer, id, "DELETE /api/workflows/" + id);
    send(ex, 202, Json.object().put("workflowId", id).put("status", "cancelling"));
  }

  private WorkflowState state(String id) {
    return store().get(id);
  }

  private ReadOnlyKeyValueStore<String, WorkflowState> store() {
    try {
      return orchestrator.store(
          StoreQueryParameters.fromNameAndType(
              OrchestratorTopology.STATE_STORE, QueryableStoreTypes.keyValueStore()));
    } catch (InvalidStateStoreException e) {
      throw new IllegalStateException(
          "the orchestrator's store is not ready: " + e.getMessage(), e);
    }
  }

  private DatasetManifest manifest(String dataset, Integer version) {
    ReadOnlyKeyValueStore<String, DatasetManifest> m =
        orchestrator.store(
            StoreQueryParameters.fromNameAndType(
                OrchestratorTopology.MANIFEST_STORE, QueryableStoreTypes.keyValueStore()));
    return OrchestratorTopology.findManifest(m, dataset, version);
  }

  private static void error(HttpExchange ex, int status, String message, List<String> problems)
      throws IOException {
    ObjectNode o = Json.object().put("error", message);
    if (!problems.isEmpty()) {
      ArrayNode a = o.putArray("problems");
      problems.forEach(a::add);
    }
    send(ex, status, o);
  }

  private static void send(HttpExchange ex, int status, JsonNode body) throws IOException {
    byte[] bytes = Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(body);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    pool.shutdownNow();
  }
}
