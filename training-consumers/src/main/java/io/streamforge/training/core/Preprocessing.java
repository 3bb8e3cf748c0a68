package io.streamforge.training.core;

import io.streamforge.arrowio.tensor.FeatureEncoding;
import io.streamforge.schemas.records.TrainingJob.TaskType;
import io.streamforge.training.data.BatchFeed;
import io.streamforge.training.data.TensorBatch;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * What one pass over the data learns before training: the split, standardization statistics of the
 * training rows (or those a preprocessing spec gives; one-hot columns are not scaled), the classes
 * (classification) or label statistics (regression), and the validation rows themselves (kept in
 * memory: they are a small share of the data and every epoch evaluates them).
 *
 * @param features the tensor's column names (one per category of a one-hot encoded text column)
 * @param mean per-feature mean over the training split (0 for one-hot columns)
 * @param std per-feature standard deviation over the training split (1 where it is 0, and for
 *     one-hot columns)
 * @param classes the distinct label values, ascending (classification), else empty
 * @param labelMean label mean over the training split (regression), else 0
 * @param labelStd label standard deviation (regression), else 1
 * @param trainRows rows in the training split
 * @param validationFraction the validation share the split used
 * @param valX validation features, raw, row-major
 * @param valY validation labels, raw
 * @param validationOffset where the validation window starts in the row-hash range (0: the holdout;
 *     {@code i/k}: fold i of k)
 * @param encoding how raw feature values became {@code features}: the numeric columns first, then
 *     the one-hot blocks of text columns
 */
public record Preprocessing(
    List<String> features,
    double[] mean,
    double[] std,
    float[] classes,
    double labelMean,
    double labelStd,
    long trainRows,
    double validationFraction,
    float[] valX,
    float[] valY,
    double validationOffset,
    FeatureEncoding encoding) {

  public Preprocessing {
    if (encoding.width() != features.size()) {
      throw new IllegalArgumentException(
          "the encoding is " + encoding.width() + " columns wide, the features " + features.size());
    }
  }

  /** A preprocessing of numeric columns only, on the holdout split (offset 0). */
  public Preprocessing(
      List<String> features,
      double[] mean,
      double[] std,
      float[] classes,
      double labelMean,
      double labelStd,
      long trainRows,
      double validationFraction,
      float[] valX,
      float[] valY) {
    this(
        features,
        mean,
        std,
        classes,
        labelMean,
        labelStd,
        trainRows,
        validationFraction,
        valX,
        valY,
        0,
        FeatureEncoding.numericOnly(features));
  }

  /** Most classes a classification label may have. */
  public static final int MAX_CLASSES = 1000;

  public int featureCount() {
    return features.size();
  }

  public int valRows() {
    return valY.length;
  }

  public int classCount() {
    return classes.length;
  }

  /** The split this preprocessing was computed with. */
  public RowSplit split() {
    return new RowSplit(validationOffset, validationFraction);
  }

  /** Standardized copy of raw row-major features. */
  public float[] standardize(float[] raw) {
    int f = featureCount();
    float[] out = new float[raw.length];
    for (int i = 0; i < raw.length; i++) {
      int j = i % f;
      out[i] = (float) ((raw[i] - mean[j]) / std[j]);
    }
    return out;
  }

  /** The class index of a raw label value, or -1 when it is not a known class. */
  public int classIndex(float label) {
    int i = Arrays.binarySearch(classes, label);
    return i >= 0 ? i : -1;
  }

  /**
   * Scans one epoch of {@code feed}.
   *
   * @throws UnusableJobException when the data cannot train this task (missing values, a label with
   *     one class or too many, no training or validation rows)
   */
  public static Preprocessing scan(
      BatchFeed feed, TaskType task, double validationFraction, String label) {
    return scan(feed, task, 0, validationFraction, label);
  }

  /**
   * Scans one epoch of {@code feed} with the validation window {@code [validationOffset,
   * validationOffset + validationFraction)} of the row-hash range (a fold of k-fold validation).
   */
  public static Preprocessing scan(
      BatchFeed feed,
      TaskType task,
      double validationOffset,
      double validationFraction,
      String label) {
    return scan(feed, task, validationOffset, validationFraction, label, Map.of());
  }

  /**
   * Scans one epoch of {@code feed}; numeric columns named in {@code standardization} are scaled by
   * the given {@code {mean, std}} (a preprocessing spec's) instead of the training split's.
   */
  public static Preprocessing scan(
      BatchFeed feed,
      TaskType task,
      double validationOffset,
      double validationFraction,
      String label,
      Map<String, double[]> standardization) {
    RowSplit split = new RowSplit(validationOffset, validationFraction);
    List<String> features = feed.featureColumns();
    FeatureEncoding encoding = feed.encoding();
    int f = features.size();
    double[] mean = new double[f];
    double[] m2 = new double[f];
    long n = 0;
    double lMean = 0;
    double lM2 = 0;
    TreeSet<Float> classes = new TreeSet<>();
    FloatBuffer valX = new FloatBuffer();
    FloatBuffer valY = new FloatBuffer();
    for (TensorBatch b : feed.epoch().toIterable(2)) {
      for (int r = 0; r < b.rows(); r++) {
        float y = b.y()[r];
        if (Float.isNaN(y) || Float.isInfinite(y)) {
          throw new UnusableJobException(
              "label column '"
                  + label
                  + "' has missing or infinite values (batch "
                  + b.sequence()
                  + ", row "
                  + r
                  + ")");
        }
        for (int j = 0; j < f; j++) {
          float v = b.x()[r * f + j];
          if (Float.isNaN(v) || Float.isInfinite(v)) {
            throw new UnusableJobException(
                "feature column '"
                    + features.get(j)
                    + "' has missing or infinite values (batch "
                    + b.sequence()
                    + ", row "
                    + r
                    + "); impute or drop it before training");
          }
        }
        if (task == TaskType.CLASSIFICATION) {
          if (classes.add(y) && classes.size() > MAX_CLASSES) {
            throw new UnusableJobException(
                "label column '"
                    + label
                    + "' has more than "
                    + MAX_CLASSES
                    + " distinct values: not a classification label (use task REGRESSION)");
          }
        }
        if (split.isValidation(b.x(), f, r, y)) {
          valX.add(b.x(), r * f, f);
          valY.add(y);
          continue;
        }
        n++;
        for (int j = 0; j < f; j++) {
          double v = b.x()[r * f + j];
          double d = v - mean[j];
          mean[j] += d / n;
          m2[j] += d * (v - mean[j]);
        }
        double d = y - lMean;
        lMean += d / n;
        lM2 += d * (y - lMean);
      }
    }
    if (n < 2) {
      throw new UnusableJobException(
          "only " + n + " training rows after the validation split; need at least 2");
    }
    if (valY.size == 0) {
      throw new UnusableJobException(
          "no validation rows: the dataset is too small for validation fraction "
              + validationFraction);
    }
    double[] std = new double[f];
    for (int j = 0; j < f; j++) {
      double s = Math.sqrt(m2[j] / n);
      std[j] = s > 1e-12 ? s : 1.0;
      double[] given = standardization.get(features.get(j));
      if (encoding.isOneHot(j)) {
        mean[j] = 0; // one-hot columns go into the network as they are
        std[j] = 1;
      } else if (given != null) {
        if (given.length != 2 || !Double.isFinite(given[0]) || !(given[1] > 0)) {
          throw new UnusableJobException(
              "the preprocessing spec's standardization of '"
                  + features.get(j)
                  + "' must be [mean, std] with std > 0, was "
                  + Arrays.toString(given));
        }
        mean[j] = given[0];
        std[j] = given[1];
      }
    }
    float[] classArray = new float[0];
    double labelMean = 0;
    double labelStd = 1;
    if (task == TaskType.CLASSIFICATION) {
      if (classes.size() < 2) {
        throw new UnusableJobException(
            "label column '"
                + label
                + "' has "
                + classes.size()
                + " distinct value(s); classification needs at least 2");
      }
      classArray = new float[classes.size()];
      int i = 0;
      for (float c : classes) {
        classArray[i++] = c;
      }
    } else {
      labelMean = lMean;
      double s = Math.sqrt(lM2 / n);
      labelStd = s > 1e-12 ? s : 1.0;
    }
    return new Preprocessing(
        features,
        mean,
        std,
        classArray,
        labelMean,
        labelStd,
        n,
        validationFraction,
        valX.toArray(),
        valY.toArray(),
        validationOffset,
        encoding);
  }

  /** A growable float array. */
  public static final class FloatBuffer {
    private float[] data = new float[1024];
    private int size;

    /** Values added so far. */
    public int size() {
      return size;
    }

    public void add(float v) {
      ensure(1);
      data[size++] = v;
    }

    public void add(float[] src, int off, int len) {
      ensure(len);
      System.arraycopy(src, off, data, size, len);
      size += len;
    }

    private void ensure(int more) {
      if (size + more > data.length) {
        data = Arrays.copyOf(data, Math.max(data.length * 2, size + more));
      }
    }

    public float[] toArray() {
      return Arrays.copyOf(data, size);
    }
  }
}
