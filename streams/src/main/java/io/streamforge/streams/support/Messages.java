package io.streamforge.streams.support;

import io.streamforge.schemas.records.AgentMessage;
import io.streamforge.schemas.records.AgentMessage.MessageType;
import java.time.Instant;

/**
 * Builds the envelopes on {@code agent.messages}. Every message an app sends while processing gets
 * an id derived from what caused it, so that a message sent again after a restart carries the same
 * id and receivers, which deduplicate by id, act on it once.
 */
public final class Messages {
  private Messages() {}

  /** Agent names: the {@code source} and {@code target} of messages. */
  public static final String ORCHESTRATOR = "orchestrator";

  public static final String TASK_ANALYSIS = "task-analysis";
  public static final String PREPROCESSING = "data-preprocessing";
  public static final String ARCHITECT = "model-architect";
  public static final String OPTIMIZER = "training-optimization";
  public static final String DEBUGGER = "model-debugging";
  public static final String CONVERSION = "model-conversion";
  public static final String DEPLOYER = "deployment-optimization";
  public static final String ENSEMBLER = "model-ensembling";
  public static final String TRAINING_WORKER = "training-worker";
  public static final String USER = "user";

  /** Payload type of an agent's answer that it could not do what was asked. */
  public static final String ERROR = "error";

  public static AgentMessage request(
      String id,
      String workflowId,
      String source,
      String target,
      String payloadType,
      Object payload,
      int priority,
      Instant now) {
    return new AgentMessage(
        id,
        id,
        workflowId,
        source,
        target,
        MessageType.REQUEST,
        priority,
        now,
        payloadType,
        payload instanceof String s ? s : Json.write(payload));
  }

  /** The answer to {@code request}, addressed to its sender, with the request's correlation id. */
  public static AgentMessage response(
      AgentMessage request, String source, String payloadType, Object payload, Instant now) {
    return new AgentMessage(
        request.id() + "/response",
        request.correlationId(),
        request.workflowId(),
        source,
        request.source(),
        MessageType.RESPONSE,
        request.priority(),
        now,
        payloadType,
        payload instanceof String s ? s : Json.write(payload));
  }

  /**
   * A failure answer. {@code transientFailure} tells the requester that asking again later may
   * work.
   */
  public static AgentMessage error(
      AgentMessage request, String source, String reason, boolean transientFailure, Instant now) {
    return response(request, source, ERROR, new ErrorPayload(reason, transientFailure), now);
  }

  /** An event for whoever listens (the orchestrator, dashboards). */
  public static AgentMessage event(
      String id,
      String workflowId,
      String source,
      String payloadType,
      Object payload,
      Instant now) {
    return new AgentMessage(
        id,
        workflowId,
        workflowId,
        source,
        "*",
        MessageType.EVENT,
        0,
        now,
        payloadType,
        payload instanceof String s ? s : Json.write(payload));
  }

  /** The payload of an {@link #ERROR} answer. */
  public record ErrorPayload(String reason, boolean transientFailure) {}
}
