package io.streamforge.agents.search;

import java.util.HashSet;
import java.util.List;

/**
 * A categorical parameter; its value in a parameter map is the index of the chosen option (a whole
 * double), so parameter maps stay numeric and JSON-friendly. Options are unordered for the
 * samplers: no sampler assumes that neighbouring indexes are similar.
 */
public record Choice(String name, List<String> options) implements Dimension {
  public Choice {
    Dimensions.checkName(name);
    if (options == null || options.isEmpty()) {
      throw new IllegalArgumentException("dimension '" + name + "': a choice needs options");
    }
    options = List.copyOf(options);
    if (new HashSet<>(options).size() != options.size()) {
      throw new IllegalArgumentException(
          "dimension '" + name + "': options must be distinct, got " + options);
    }
  }
}
