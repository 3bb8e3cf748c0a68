package io.streamforge.training.worker;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamforge.schemas.records.AgentMessage;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * A training job's status, the payload ({@code training-job-status}, JSON) of the events a worker
 * puts on {@code agent.messages}, keyed by the job's workflow id (or its job id when it has none).
 *
 * @param jobId the job
 * @param state RUNNING, SUCCEEDED or FAILED
 * @param reason why it failed, else null
 * @param model the model name
 * @param version the registered version (SUCCEEDED), else null
 * @param sha256 the artifact's sha256 (SUCCEEDED), else null
 * @param metrics final metrics (SUCCEEDED), else null
 * @param worker the worker that ran it
 * @param report (SUCCEEDED) a quantization job's comparison table, a JSON list of {@code {variant,
 *     accepted, reason, bytes, size_ratio, accuracy_delta, latency_b1_ms, latency_b64_ms, ...}}
 *     with the fp32 parent first; an ensembling job's verdict, a JSON object {@code {kept, method,
 *     ensembleScore, bestSingle, bestSingleScore, members, reason}} ({@link
 *     io.streamforge.training.ensemble.EnsembleReport}); null for training jobs. Readers of older
 *     statuses get null; older readers ignore it (unknown properties are ignored)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JobStatus(
    String jobId,
    State state,
    String reason,
    String model,
    Integer version,
    String sha256,
    Map<String, Double> metrics,
    String worker,
    String report) {
  public static final String PAYLOAD_TYPE = "training-job-status";
  public static final String SOURCE = "training-worker";

  private static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  /** A status without a report (training jobs). */
  public JobStatus(
      String jobId,
      State state,
      String reason,
      String model,
      Integer version,
      String sha256,
      Map<String, Double> metrics,
      String worker) {
    this(jobId, state, reason, model, version, sha256, metrics, worker, null);
  }

  /** Job states. */
  public enum State {
    RUNNING,
    SUCCEEDED,
    FAILED
  }

  /** As an agent message event addressed to everyone. */
  public AgentMessage toMessage(String workflowId) {
    try {
      return new AgentMessage(
          UUID.randomUUID().toString(),
          jobId,
          workflowId,
          SOURCE,
          "*",
          AgentMessage.MessageType.EVENT,
          state == State.FAILED ? 1 : 0,
          Instant.now(),
          PAYLOAD_TYPE,
          JSON.writeValueAsString(this));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The status in a message, or null when the message is not a job status. */
  public static JobStatus from(AgentMessage m) {
    if (m == null || !PAYLOAD_TYPE.equals(m.payloadType())) {
      return null;
    }
    try {
      return JSON.readValue(m.payload(), JobStatus.class);
    } catch (JsonProcessingException e) {
      return null;
    }
  }
}
