package io.streamforge.training.ensemble;

import java.util.Arrays;
import java.util.Locale;

/**
 * How members are combined. Output averaging works for any members that agree on their data; weight
 * averaging needs members of one architecture (the same graph with the same tensor shapes), and is
 * replaced by output averaging when they differ.
 */
public enum EnsembleMethod {
  /**
   * The mean of the members' class probabilities (or predictions): the members run side by side.
   */
  OUTPUT_AVERAGE("output-average"),
  /** One network whose every weight is the mean of the members' same weight. */
  WEIGHT_AVERAGE("weight-average");

  private final String id;

  EnsembleMethod(String id) {
    this.id = id;
  }

  /** The name in job params and reports, e.g. {@code output-average}. */
  public String id() {
    return id;
  }

  /**
   * The method named {@code id} (case-insensitive).
   *
   * @throws IllegalArgumentException naming the known methods
   */
  public static EnsembleMethod parse(String id) {
    String s = id == null ? "" : id.trim().toLowerCase(Locale.ROOT);
    for (EnsembleMethod m : values()) {
      if (m.id.equals(s)) {
        return m;
      }
    }
    throw new IllegalArgumentException(
        "unknown ensembling method '"
            + id
            + "'; methods: "
            + String.join(", ", Arrays.stream(values()).map(EnsembleMethod::id).toList()));
  }
}
