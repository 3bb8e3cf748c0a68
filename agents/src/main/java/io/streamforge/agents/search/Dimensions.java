package io.streamforge.agents.search;

/** Checks shared by the dimension records. */
final class Dimensions {
  private Dimensions() {}

  static void checkName(String name) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("a dimension needs a non-blank name, got '" + name + "'");
    }
  }
}
