package io.streamforge.agents.deploy;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The variant to deploy and why.
 *
 * @param chosen the chosen candidate
 * @param score its score (see {@link VariantChooser#choose})
 * @param reason the score's terms and the runner-up, in words
 * @param rejected candidates that broke a constraint, {@code version:variant} → why
 */
public record VariantChoice(
    VariantCandidate chosen, double score, String reason, Map<String, String> rejected) {

  public VariantChoice {
    Objects.requireNonNull(chosen, "chosen");
    rejected = Collections.unmodifiableMap(new LinkedHashMap<>(rejected));
  }
}
