package io.streamforge.agents.search;

/**
 * One named axis of a {@link SearchSpace}. The set is closed so that samplers can encode every kind
 * exhaustively (an instanceof chain over the three records), and so that a parameter map stays
 * plain {@code Map<String, Double>}: floats as themselves, ints as whole doubles, choices as the
 * option index.
 */
public sealed interface Dimension permits FloatDim, IntDim, Choice {
  /** The parameter's name, unique within its space. */
  String name();
}
