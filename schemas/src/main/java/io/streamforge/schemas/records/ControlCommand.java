package io.streamforge.schemas.records;

import io.streamforge.schemas.arrow.ArrowRecord;
import java.time.Instant;

/**
 * An instruction to a running training job, on {@code training.control} (keyed by job id); acted on
 * between steps.
 *
 * @param jobId the job
 * @param action what to do
 * @param value the new learning rate for {@link Action#SET_LEARNING_RATE}, else null
 * @param reason why
 * @param issuedBy who asked (an agent or a user)
 * @param time when
 */
@ArrowRecord(name = "control-command", version = "1.0")
public record ControlCommand(
    String jobId, Action action, Double value, String reason, String issuedBy, Instant time) {

  /** Control actions. */
  public enum Action {
    STOP,
    SET_LEARNING_RATE,
    CHECKPOINT,
    RESTORE_CHECKPOINT
  }
}
