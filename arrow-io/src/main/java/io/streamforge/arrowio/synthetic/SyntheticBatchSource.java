package io.streamforge.arrowio.synthetic;

import io.streamforge.arrowio.read.BatchSource;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A deterministic synthetic classification dataset: {@code features} float32 columns {@code
 * f0..fN-1} drawn from per-class Gaussians, and an int32 {@code label} of {@code classes} classes.
 * Used by tests and benchmarks that need many rows without a file.
 */
public final class SyntheticBatchSource implements BatchSource {
  private final BufferAllocator allocator;
  private final long rows;
  private final int features;
  private final int classes;
  private final int batchRows;
  private final SplittableRandom random;
  private final Schema schema;
  private long produced;

  public SyntheticBatchSource(
      BufferAllocator allocator, long rows, int features, int classes, int batchRows, long seed) {
    if (rows < 0 || features < 1 || classes < 1 || batchRows < 1) {
      throw new IllegalArgumentException("rows >= 0, features >= 1, classes >= 1, batchRows >= 1");
    }
    this.allocator = allocator;
    this.rows = rows;
    this.features = features;
    this.classes = classes;
    this.batchRows = batchRows;
    this.random = new SplittableRandom(seed);
    List<Field> fields = new ArrayList<>(features + 1);
    for (int f = 0; f < features; f++) {
      fields.add(
          new Field(
              "f" + f,
              FieldType.notNullable(new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)),
              null));
    }
    fields.add(new Field("label", FieldType.notNullable(new ArrowType.Int(32, true)), null));
    this.schema = new Schema(fields);
  }

  @Override
  public Schema schema() {
    return schema;
  }

  @Override
  public DictionaryProvider dictionaries() {
    return new DictionaryProvider.MapDictionaryProvider();
  }

  @Override
  public VectorSchemaRoot next() {
    int n = (int) Math.min(batchRows, rows - produced);
    if (n <= 0) {
      return null;
    }
    VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
    try {
      for (var vector : root.getFieldVectors()) {
        vector.setInitialCapacity(n);
      }
      root.allocateNew();
      IntVector label = (IntVector) root.getVector(features);
      int[] labels = new int[n];
      for (int i = 0; i < n; i++) {
        labels[i] = random.nextInt(classes);
        label.set(i, labels[i]);
      }
      for (int f = 0; f < features; f++) {
        Float4Vector v = (Float4Vector) root.getVector(f);
        double shift = (f % classes);
        for (int i = 0; i < n; i++) {
          double mean = labels[i] == shift ? 1.5 : 0.0;
          v.set(i, (float) (mean + gaussian()));
        }
      }
      root.setRowCount(n);
      produced += n;
      return root;
    } catch (RuntimeException e) {
      root.close();
      throw e;
    }
  }

  private double gaussian() {
    // Box-Muller without caching: plenty fast for benchmarks and deterministic by seed.
    double u = 1.0 - random.nextDouble();
    double v = random.nextDouble();
    return Math.sqrt(-2.0 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  @Override
  public long rowsRead() {
    return produced;
  }

  /** Approximate raw size of the rows produced (4 bytes per cell). */
  @Override
  public long bytesRead() {
    return produced * (features + 1) * 4L;
  }

  @Override
  public long totalBytes() {
    return rows * (features + 1) * 4L;
  }

  @Override
  public void close() {}
}
