package io.streamforge.streams.orchestrator;

import com.fasterxml.jackson.databind.JsonNode;
import io.streamforge.schemas.records.Phase;
import io.streamforge.schemas.records.WorkflowRequest;
import io.streamforge.streams.support.Payloads;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One workflow as the orchestrator keeps it in its store (JSON, changelogged): the request, where
 * it stands, what each phase produced and the trials. It is everything {@code GET
 * /api/workflows/{id}} answers, and everything a restarted orchestrator needs to go on.
 *
 * <p>Mutable on purpose: the processor loads it, changes it and puts it back within one record's
 * processing.
 */
public final class WorkflowState {
  public String workflowId;
  public WorkflowRequest request;
  public String model;
  public Phase phase;
  public long phaseStartedMs;
  public long createdMs;
  public Long endedMs;

  /** The request (or job) this phase waits for, to match answers by correlation id. */
  public String pending;

  /** Which attempt of the phase's request this is (1 first). */
  public int attempt = 1;

  /** When to send the request again after a transient failure; null when none is due. */
  public Long retryAtMs;

  public String failure;
  public List<Transition> transitions = new ArrayList<>();

  /** What phases produced: requirements, spec, design, best trial... as JSON trees. */
  public Map<String, JsonNode> results = new LinkedHashMap<>();

  public Map<String, Payloads.Trial> trials = new TreeMap<>();

  /** Per trial: validation metric per epoch, as it arrives from {@code metrics}. */
  public Map<String, Map<Long, Double>> curves = new TreeMap<>();

  /** Per phase: milliseconds spent between the phase's start and its end. */
  public Map<String, Long> phaseMs = new LinkedHashMap<>();

  /** Milliseconds between a phase's answer arriving and the next phase's request going out. */
  public long overheadMs;

  public String finalJobId;
  public Integer modelVersion;
  public boolean cancelRequested;

  /** One phase change, as on {@code phases}. */
  public record Transition(
      Phase from, Phase to, String reason, long timeMs, Map<String, String> artifacts) {}

  public boolean terminal() {
    return phase != null && phase.terminal();
  }
}
