package io.streamforge.agents.data;

import java.util.Objects;

/**
 * One thing the data quality check found.
 *
 * @param severity how much it matters: an {@link Severity#ERROR} stops the workflow
 * @param column the column it is about, or null for the dataset as a whole
 * @param code a stable code for programs (see the constants in {@link DataQuality})
 * @param message what was found, with the figures, for people
 */
public record Finding(Severity severity, String column, String code, String message) {

  public Finding {
    Objects.requireNonNull(severity, "severity");
    Objects.requireNonNull(code, "code");
    Objects.requireNonNull(message, "message");
  }

  /** How much a finding matters. */
  public enum Severity {
    /** For the record; nothing changes. */
    INFO,
    /** Training goes on, around it (e.g. without the column). */
    WARNING,
    /** Training cannot go on with this data. */
    ERROR
  }
}
