package io.streamforge.agents.search;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * The hyperparameters a search may vary. Parameters are always a {@code Map<String, Double>}: a
 * {@link FloatDim} as its value, an {@link IntDim} as a whole double, a {@link Choice} as the index
 * of the option. That keeps trials JSON-friendly and lets the orchestrator store the history as
 * plain maps, from which every sampler rebuilds its state.
 *
 * @param dimensions the axes, in the order {@link #describe} prints them; names are unique
 */
public record SearchSpace(List<Dimension> dimensions) {
  public SearchSpace {
    if (dimensions == null || dimensions.isEmpty()) {
      throw new IllegalArgumentException("a search space needs at least one dimension");
    }
    dimensions = List.copyOf(dimensions);
    Set<String> names = new HashSet<>();
    for (Dimension d : dimensions) {
      if (!names.add(d.name())) {
        throw new IllegalArgumentException("dimension name '" + d.name() + "' appears twice");
      }
    }
  }

  /** A space of the given dimensions. */
  public static SearchSpace of(Dimension... dimensions) {
    return new SearchSpace(List.of(dimensions));
  }

  /**
   * A point drawn uniformly: floats uniformly or log-uniformly, ints uniformly over the integers
   * (log: log-uniformly over {@code [low - 0.5, high + 0.5]}, then rounded), choices uniformly.
   *
   * @return the parameters, in dimension order, unmodifiable
   */
  public Map<String, Double> sample(Random rnd) {
    Map<String, Double> p = new LinkedHashMap<>();
    for (Dimension d : dimensions) {
      double v =
          d instanceof Choice c
              ? rnd.nextInt(c.options().size())
              : UnitCube.fromUnit(d, rnd.nextDouble());
      p.put(d.name(), v);
    }
    return Collections.unmodifiableMap(p);
  }

  /** The dimension of that name. */
  public Dimension dimension(String name) {
    for (Dimension d : dimensions) {
      if (d.name().equals(name)) {
        return d;
      }
    }
    throw new IllegalArgumentException(
        "no dimension '" + name + "' in the search space; it has " + names());
  }

  /** Whether the space has a dimension of that name. */
  public boolean has(String name) {
    return dimensions.stream().anyMatch(d -> d.name().equals(name));
  }

  /** The value of a float or int dimension. */
  public double real(Map<String, Double> p, String name) {
    Dimension d = dimension(name);
    if (d instanceof Choice) {
      throw new IllegalArgumentException(
          "dimension '" + name + "' is a choice; read it with choice()");
    }
    return value(p, name);
  }

  /** The value of an int dimension (rounded), or the option index of a choice. */
  public int integer(Map<String, Double> p, String name) {
    Dimension d = dimension(name);
    if (d instanceof FloatDim) {
      throw new IllegalArgumentException(
          "dimension '" + name + "' is a float; read it with real()");
    }
    return (int) Math.round(value(p, name));
  }

  /** The chosen option of a choice dimension. */
  public String choice(Map<String, Double> p, String name) {
    if (!(dimension(name) instanceof Choice c)) {
      throw new IllegalArgumentException(
          "dimension '" + name + "' is not a choice; read it with real() or integer()");
    }
    double v = value(p, name);
    int i = (int) Math.round(v);
    if (i != v || i < 0 || i >= c.options().size()) {
      throw new IllegalArgumentException(
          "choice '" + name + "' has " + c.options().size() + " options; index " + v + " is none");
    }
    return c.options().get(i);
  }

  /**
   * Whether {@code p} is a point of this space: every dimension present, finite, within its range;
   * ints and choice indexes whole; choice indexes valid. Keys of no dimension are ignored.
   */
  public boolean contains(Map<String, Double> p) {
    for (Dimension d : dimensions) {
      Double v = p.get(d.name());
      if (v == null || !Double.isFinite(v)) {
        return false;
      }
      boolean ok;
      if (d instanceof FloatDim f) {
        ok = v >= f.low() && v <= f.high();
      } else if (d instanceof IntDim i) {
        ok = v == Math.rint(v) && v >= i.low() && v <= i.high();
      } else {
        ok = v == Math.rint(v) && v >= 0 && v < ((Choice) d).options().size();
      }
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /**
   * A one-line human description in dimension order, e.g. {@code layers=2 width=64 lr=0.003
   * optimizer=adam}; floats with three significant digits.
   */
  public String describe(Map<String, Double> p) {
    StringBuilder sb = new StringBuilder();
    for (Dimension d : dimensions) {
      if (!sb.isEmpty()) {
        sb.append(' ');
      }
      sb.append(d.name()).append('=');
      if (d instanceof Choice) {
        sb.append(choice(p, d.name()));
      } else if (d instanceof IntDim) {
        sb.append(integer(p, d.name()));
      } else {
        sb.append(format(value(p, d.name())));
      }
    }
    return sb.toString();
  }

  private static String format(double v) {
    if (v == 0 || !Double.isFinite(v)) {
      return v == 0 ? "0" : Double.toString(v);
    }
    BigDecimal b = new BigDecimal(v).round(new MathContext(3)).stripTrailingZeros();
    return Math.abs(v) >= 1e-4 && Math.abs(v) < 1e7 ? b.toPlainString() : b.toString();
  }

  private double value(Map<String, Double> p, String name) {
    Double v = p.get(name);
    if (v == null) {
      throw new IllegalArgumentException("parameter '" + name + "' is missing from " + p);
    }
    return v;
  }

  private List<String> names() {
    return dimensions.stream().map(Dimension::name).toList();
  }
}
