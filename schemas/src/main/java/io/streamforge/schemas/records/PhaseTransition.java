package io.streamforge.schemas.records;

import io.streamforge.schemas.arrow.ArrowRecord;
import java.time.Instant;
import java.util.Map;

/**
 * A workflow moving from one phase to the next, on {@code phases} (keyed by workflow id).
 *
 * @param workflowId the workflow
 * @param from the phase it leaves, or null for the first transition
 * @param to the phase it enters
 * @param reason why, in words
 * @param time when
 * @param artifacts references produced by the phase that ended (e.g. {@code model=iris:3})
 */
@ArrowRecord(name = "phase-transition", version = "1.0")
public record PhaseTransition(
    String workflowId,
    Phase from,
    Phase to,
    String reason,
    Instant time,
    Map<String, String> artifacts) {}
