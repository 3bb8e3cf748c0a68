package io.streamforge.arrowio.tensor;

/**
 * A dense row-major float matrix of features, with the matching labels.
 *
 * @param data {@code rows * cols} values, row after row
 * @param rows number of rows
 * @param cols number of feature columns
 * @param labels one label per row, or null when the converter has no label column
 */
public record FloatMatrix(float[] data, int rows, int cols, float[] labels) {

  public FloatMatrix {
    if (data.length != (long) rows * cols) {
      throw new IllegalArgumentException(
          "data holds " + data.length + " values, not rows * cols = " + rows + " * " + cols);
    }
    if (labels != null && labels.length != rows) {
      throw new IllegalArgumentException(
          "labels holds " + labels.length + " values for " + rows + " rows");
    }
  }

  /** The feature at {@code (row, col)}. */
  public float get(int row, int col) {
    return data[row * cols + col];
  }
}
