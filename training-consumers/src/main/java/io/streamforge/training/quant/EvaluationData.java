package io.streamforge.training.quant;

import io.streamforge.training.core.Preprocessing;
import io.streamforge.training.core.RowSplit;
import io.streamforge.training.core.UnusableJobException;
import io.streamforge.training.data.BatchFeed;
import io.streamforge.training.data.TensorBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * The rows a quantization run uses, from one pass over the dataset: the validation rows (the same
 * row-hash split as training, so the variants are scored on the rows the fp32 model was validated
 * on) and a calibration sample of training rows (reservoir sampling with a fixed seed, so a rerun
 * picks the same rows).
 *
 * @param features features per row
 * @param valX validation features, raw, row-major
 * @param valY validation labels, raw
 * @param calibrationX the calibration sample, raw, row-major
 * @param trainRows training rows seen
 */
public record EvaluationData(
    int features, float[] valX, float[] valY, float[] calibrationX, long trainRows) {

  public int valRows() {
    return valY.length;
  }

  public int calibrationRows() {
    return calibrationX.length / features;
  }

  /**
   * Reads one epoch of {@code feed}.
   *
   * @param calibrationRows how many training rows to sample for calibration
   * @throws UnusableJobException when there are no validation or no training rows
   */
  public static EvaluationData load(
      BatchFeed feed, double validationFraction, int calibrationRows, long seed) {
    RowSplit split = new RowSplit(validationFraction);
    int f = feed.featureColumns().size();
    Preprocessing.FloatBuffer valX = new Preprocessing.FloatBuffer();
    Preprocessing.FloatBuffer valY = new Preprocessing.FloatBuffer();
    List<float[]> sample = new ArrayList<>();
    long train = 0;
    Random rng = new Random(seed);
    for (TensorBatch b : feed.epoch().toIterable(2)) {
      for (int r = 0; r < b.rows(); r++) {
        if (split.isValidation(b.x(), f, r, b.y()[r])) {
          valX.add(b.x(), r * f, f);
          valY.add(b.y()[r]);
          continue;
        }
        if (train < calibrationRows) {
          sample.add(Arrays.copyOfRange(b.x(), r * f, r * f + f));
        } else {
          long slot = (long) (rng.nextDouble() * (train + 1));
          if (slot < calibrationRows) {
            sample.set((int) slot, Arrays.copyOfRange(b.x(), r * f, r * f + f));
          }
        }
        train++;
      }
    }
    if (valY.size() == 0) {
      throw new UnusableJobException(
          "no validation rows in "
              + feed.describe()
              + " at validation fraction "
              + validationFraction);
    }
    if (train == 0) {
      throw new UnusableJobException("no training rows in " + feed.describe() + " to calibrate on");
    }
    float[] calibration = new float[sample.size() * f];
    for (int i = 0; i < sample.size(); i++) {
      System.arraycopy(sample.get(i), 0, calibration, i * f, f);
    }
    return new EvaluationData(f, valX.toArray(), valY.toArray(), calibration, train);
  }
}
