package io.streamforge.schemas.records;

import io.streamforge.schemas.arrow.ArrowRecord;
import java.time.Instant;

/**
 * The envelope of everything agents say to each other on {@code agent.messages} (keyed by workflow
 * id).
 *
 * @param id unique message id; receivers deduplicate by it
 * @param correlationId the id of the request a response answers (or of the workflow)
 * @param workflowId the workflow it concerns
 * @param source sending agent
 * @param target receiving agent, or {@code *} for everyone
 * @param type request, response or event
 * @param priority higher first; 0 is normal
 * @param timestamp when it was sent
 * @param payloadType what the payload is, e.g. {@code column-stats}
 * @param payload the payload as JSON
 */
@ArrowRecord(name = "agent-message", version = "1.0")
public record AgentMessage(
    String id,
    String correlationId,
    String workflowId,
    String source,
    String target,
    MessageType type,
    int priority,
    Instant timestamp,
    String payloadType,
    String payload) {

  /** What kind of message it is. */
  public enum MessageType {
    REQUEST,
    RESPONSE,
    EVENT
  }
}
