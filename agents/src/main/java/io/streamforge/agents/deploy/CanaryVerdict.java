package io.streamforge.agents.deploy;

import java.util.Objects;

/**
 * The canary analysis of one window.
 *
 * @param kind what to do
 * @param weight the canary weight to set: the current one (WAIT), the next step (STEP), 100
 *     (PROMOTE) or 0 (ROLLBACK)
 * @param reason why, with the figures
 */
public record CanaryVerdict(Kind kind, double weight, String reason) {

  public CanaryVerdict {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(reason, "reason");
  }

  /** What the rollout does next. */
  public enum Kind {
    /** Too little traffic to judge; keep the weight. */
    WAIT,
    /** Clean window; raise the canary's weight. */
    STEP,
    /** Clean at full weight (or no stable to compare with); the canary becomes stable. */
    PROMOTE,
    /** A threshold was breached; all traffic back to stable. */
    ROLLBACK
  }
}
