package io.streamforge.agents.debug;

import io.streamforge.schemas.records.ControlCommand;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What the debugger asks a run to do.
 *
 * @param action the control action
 * @param value the new learning rate for {@code SET_LEARNING_RATE}; for {@code RESTORE_CHECKPOINT}
 *     the learning rate to go on with after the restore (the restore alone would bring back the
 *     checkpoint's rate); else null
 * @param reason why, with the figures
 */
public record Action(ControlCommand.Action action, Double value, String reason) {

  public Action {
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(reason, "reason");
  }

  /**
   * The control commands that carry this action out, in order: one command, or for a restore with a
   * learning rate a {@code RESTORE_CHECKPOINT} followed by a {@code SET_LEARNING_RATE}.
   */
  public List<ControlCommand> commands(String jobId, String issuedBy, Instant time) {
    if (action == ControlCommand.Action.RESTORE_CHECKPOINT && value != null) {
      return List.of(
          new ControlCommand(jobId, action, null, reason, issuedBy, time),
          new ControlCommand(
              jobId, ControlCommand.Action.SET_LEARNING_RATE, value, reason, issuedBy, time));
    }
    return List.of(new ControlCommand(jobId, action, value, reason, issuedBy, time));
  }
}
