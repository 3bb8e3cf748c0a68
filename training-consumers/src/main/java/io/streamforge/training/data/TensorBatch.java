package io.streamforge.training.data;

/**
 * One dataset batch as dense row-major floats: what the Kafka → Arrow → tensor pipeline hands the
 * trainer. Plain Java memory, so it can cross threads without native resources to close.
 *
 * @param sequence the batch's sequence number in its dataset version (its order in the epoch)
 * @param rows rows in the batch
 * @param features features per row
 * @param x {@code rows * features} raw feature values, row-major
 * @param y {@code rows} raw label values
 */
public record TensorBatch(long sequence, int rows, int features, float[] x, float[] y) {
  public TensorBatch {
    if (x.length != (long) rows * features || y.length != rows) {
      throw new IllegalArgumentException(
          "batch "
              + sequence
              + ": "
              + x.length
              + " features and "
              + y.length
              + " labels for "
              + rows
              + " rows of "
              + features);
    }
  }
}
