package io.streamforge.training.data;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamforge.arrowio.tensor.TensorConverter;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The bulk float path gives exactly what the general converter gives, or declines. */
class ColumnsToRowsTest {
  private final BufferAllocator allocator = new RootAllocator();
  private final List<VectorSchemaRoot> roots = new ArrayList<>();

  @AfterEach
  void close() {
    roots.forEach(VectorSchemaRoot::close);
    assertThat(allocator.getAllocatedMemory()).isZero();
    allocator.close();
  }

  @Test
  void floatAndDoubleColumnsComeOutRowMajorAsTheConverterWritesThem() {
    Random rng = new Random(5);
    for (int rows : new int[] {0, 1, 7, 3000, 5000}) {
      VectorSchemaRoot root = root(rows, rng, false, false);
      List<String> features = List.of("a", "b", "c");
      TensorConverter converter = new TensorConverter(root.getSchema(), features, "label");
      float[] expected = new float[rows * 3];
      converter.features(root, expected, 0);
      float[] actual = new float[rows * 3];
      assertThat(new ColumnsToRows(features).features(root, actual)).isTrue();
      assertThat(actual).as("%d rows", rows).containsExactly(expected);
    }
  }

  @Test
  void oneInstanceServesBatchesOfDifferentSizes() {
    Random rng = new Random(6);
    ColumnsToRows rowsOut = new ColumnsToRows(List.of("c", "a"));
    for (int rows : new int[] {10, 2000, 3, 2000}) {
      VectorSchemaRoot root = root(rows, rng, false, false);
      float[] expected = new float[rows * 2];
      new TensorConverter(root.getSchema(), List.of("c", "a"), "label").features(root, expected, 0);
      float[] actual = new float[rows * 2];
      assertThat(rowsOut.features(root, actual)).isTrue();
      assertThat(actual).containsExactly(expected);
    }
  }

  @Test
  void nullsOrOtherTypesAreLeftToTheConverter() {
    float[] out = new float[30];
    assertThat(
            new ColumnsToRows(List.of("a", "b"))
                .features(root(10, new Random(1), true, false), out))
        .isFalse();
    assertThat(
            new ColumnsToRows(List.of("a", "i"))
                .features(root(10, new Random(1), false, true), out))
        .isFalse();
    assertThat(out).containsOnly(0f);
  }

  /** Columns a (float32), b (float64), c (float32), optionally i (int32), and an int label. */
  private VectorSchemaRoot root(int rows, Random rng, boolean nulls, boolean ints) {
    Float4Vector a = new Float4Vector("a", allocator);
    Float8Vector b = new Float8Vector("b", allocator);
    Float4Vector c = new Float4Vector("c", allocator);
    IntVector label = new IntVector("label", allocator);
    List<FieldVector> vectors = new ArrayList<>(List.of(a, b, c, label));
    IntVector i = null;
    if (ints) {
      i = new IntVector("i", allocator);
      vectors.add(i);
      i.allocateNew(rows);
    }
    a.allocateNew(rows);
    b.allocateNew(rows);
    c.allocateNew(rows);
    label.allocateNew(rows);
    float[] specials = {Float.NaN, Float.POSITIVE_INFINITY, -0f, Float.MIN_VALUE, 1e30f};
    for (int r = 0; r < rows; r++) {
      a.set(r, r < specials.length ? specials[r] : (float) rng.nextGaussian());
      b.set(r, rng.nextDouble() * 1e6 - 5e5);
      c.set(r, rng.nextFloat());
      label.set(r, r % 3);
      if (i != null) {
        i.set(r, rng.nextInt());
      }
    }
    if (nulls && rows > 2) {
      b.setNull(2);
    }
    VectorSchemaRoot root = new VectorSchemaRoot(vectors);
    root.setRowCount(rows);
    roots.add(root);
    return root;
  }
}
