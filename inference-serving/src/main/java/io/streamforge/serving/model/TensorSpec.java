package io.streamforge.serving.model;

import java.util.Arrays;

/**
 * A named input or output of a model: datatype and shape, where -1 marks a dimension of any size.
 */
public record TensorSpec(String name, DataType datatype, long[] shape) {
  public TensorSpec {
    shape = shape.clone();
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  /** Whether {@code other} has the same name, datatype and shape. */
  public boolean sameAs(TensorSpec other) {
    return name.equals(other.name)
        && datatype == other.datatype
        && Arrays.equals(shape, other.shape);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorSpec t && sameAs(t);
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + Arrays.hashCode(shape);
  }

  @Override
  public String toString() {
    return name + ":" + datatype + Arrays.toString(shape);
  }
}
