package io.streamforge.serving.model;

import java.util.Arrays;
import java.util.Objects;

/**
 * A tensor of a request or response: name, datatype, shape and the data in row-major order as a
 * primitive array ({@code boolean[]}, {@code int[]}, {@code long[]}, {@code float[]}, {@code
 * double[]} for BOOL, INT32, INT64, FP32, FP64), or a {@code String[]} for BYTES.
 */
public record Tensor(String name, DataType datatype, long[] shape, Object data) {
  public Tensor {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(datatype, "datatype");
    Objects.requireNonNull(shape, "shape");
    Objects.requireNonNull(data, "data");
    int expected = elements(shape);
    if (length(data) != expected) {
      throw new IllegalArgumentException(
          name + ": " + length(data) + " values for shape " + Arrays.toString(shape));
    }
  }

  /** Number of elements of a shape. */
  public static int elements(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n = Math.multiplyExact(n, d);
    }
    return Math.toIntExact(n);
  }

  static int length(Object data) {
    if (data instanceof float[] a) {
      return a.length;
    } else if (data instanceof double[] a) {
      return a.length;
    } else if (data instanceof long[] a) {
      return a.length;
    } else if (data instanceof int[] a) {
      return a.length;
    } else if (data instanceof boolean[] a) {
      return a.length;
    } else if (data instanceof String[] a) {
      return a.length;
    }
    throw new IllegalArgumentException("unsupported data " + data.getClass());
  }

  /** Value {@code i} as a boxed number or boolean, or a string. */
  public Object get(int i) {
    if (data instanceof float[] a) {
      return a[i];
    } else if (data instanceof double[] a) {
      return a[i];
    } else if (data instanceof long[] a) {
      return a[i];
    } else if (data instanceof int[] a) {
      return a[i];
    } else if (data instanceof String[] a) {
      return a[i];
    }
    return ((boolean[]) data)[i];
  }

  public int size() {
    return length(data);
  }
}
