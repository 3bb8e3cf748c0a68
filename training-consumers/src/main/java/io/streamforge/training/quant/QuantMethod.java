package io.streamforge.training.quant;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The quantization methods; each one's {@link #id()} is the variant name it is registered under
 * (the {@code variant} of its {@code ModelEvent} and artifact).
 */
public enum QuantMethod {
  /** int8 weights (per output channel, symmetric) → {@code DequantizeLinear} → {@code Gemm}. */
  INT8_WEIGHT("int8-weight"),
  /** QDQ: calibrated uint8 activations, int8 per-channel weights, int32 bias. */
  INT8_STATIC("int8-static"),
  /** {@code DynamicQuantizeLinear} + {@code MatMulInteger}, scales multiplied back, bias added. */
  INT8_DYNAMIC("int8-dynamic"),
  /** BitNet b1.58 weights {−1, 0, 1} × mean |W| per output channel, packed at 2 bits. */
  TERNARY("ternary");

  private final String id;

  QuantMethod(String id) {
    this.id = id;
  }

  /** The variant name, e.g. {@code int8-static}. */
  public String id() {
    return id;
  }

  /**
   * The method named {@code name} (its id, case-insensitive; underscores accepted for dashes).
   *
   * @throws IllegalArgumentException naming the methods there are
   */
  public static QuantMethod parse(String name) {
    String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT).replace('_', '-');
    for (QuantMethod m : values()) {
      if (m.id.equals(n)) {
        return m;
      }
    }
    throw new IllegalArgumentException(
        "unknown quantization method '" + name + "'; methods: " + ids(List.of(values())));
  }

  /** The ids of {@code methods}, comma-separated. */
  public static String ids(List<QuantMethod> methods) {
    return String.join(",", methods.stream().map(QuantMethod::id).toList());
  }

  /** Every method, in declaration order. */
  public static List<QuantMethod> all() {
    return Arrays.asList(values());
  }

  @Override
  public String toString() {
    return id;
  }
}
