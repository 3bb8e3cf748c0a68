package io.streamforge.arrowio.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.memory.util.Float16;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float2Vector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.UInt1Vector;
import org.apache.arrow.vector.UInt2Vector;
import org.apache.arrow.vector.UInt4Vector;
import org.apache.arrow.vector.UInt8Vector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TensorConverterTest {
  private static final float NaN = Float.NaN;
  private BufferAllocator allocator;

  @BeforeEach
  void setUp() {
    allocator = new RootAllocator();
  }

  @AfterEach
  void tearDown() {
    assertThat(allocator.getAllocatedMemory()).as("leaked Arrow memory").isZero();
    allocator.close();
  }

  /** Three rows of every supported type; the middle row is null in the "n" columns. */
  private VectorSchemaRoot allTypes() {
    List<FieldVector> vs = new ArrayList<>();
    TinyIntVector i8 = new TinyIntVector("i8", allocator);
    SmallIntVector i16 = new SmallIntVector("i16", allocator);
    IntVector i32 = new IntVector("i32n", allocator);
    BigIntVector i64 = new BigIntVector("i64", allocator);
    UInt1Vector u8 = new UInt1Vector("u8", allocator);
    UInt2Vector u16 = new UInt2Vector("u16", allocator);
    UInt4Vector u32 = new UInt4Vector("u32", allocator);
    UInt8Vector u64 = new UInt8Vector("u64", allocator);
    Float2Vector f16 = new Float2Vector("f16", allocator);
    Float4Vector f32 = new Float4Vector("f32n", allocator);
    Float8Vector f64 = new Float8Vector("f64", allocator);
    BitVector b = new BitVector("bn", allocator);
    BigIntVector label = new BigIntVector("label", allocator);
    for (FieldVector v : List.of(i8, i16, i32, i64, u8, u16, u32, u64, f16, f32, f64, b, label)) {
      v.allocateNew();
      vs.add(v);
    }
    i8.set(0, -128);
    i8.set(1, 5);
    i8.set(2, 127);
    i16.set(0, -30000);
    i16.set(1, 0);
    i16.set(2, 30000);
    i32.set(0, -7);
    i32.setNull(1);
    i32.set(2, 1 << 30);
    i64.set(0, Long.MIN_VALUE);
    i64.set(1, 3);
    i64.set(2, (1L << 40) + 1);
    u8.set(0, (byte) 0xFF);
    u8.set(1, 1);
    u8.set(2, 0);
    u16.set(0, (char) 0xFFFF);
    u16.set(1, 2);
    u16.set(2, 0);
    u32.set(0, 0xFFFFFFFF);
    u32.set(1, 3);
    u32.set(2, 0);
    u64.set(0, -1L);
    u64.set(1, 4);
    u64.set(2, 0);
    f16.set(0, Float16.toFloat16(1.5f));
    f16.set(1, Float16.toFloat16(-2f));
    f16.set(2, Float16.toFloat16(0.25f));
    f32.set(0, 0.1f);
    f32.setNull(1);
    f32.set(2, Float.POSITIVE_INFINITY);
    f64.set(0, 0.1);
    f64.set(1, 1e300);
    f64.set(2, -2.5);
    b.set(0, 1);
    b.setNull(1);
    b.set(2, 0);
    label.set(0, 2);
    label.set(1, 0);
    label.setNull(2);
    for (FieldVector v : vs) {
      v.setValueCount(3);
    }
    return new VectorSchemaRoot(vs);
  }

  @Test
  void convertsEveryNumericTypeRowMajorWithNullsAsNaN() {
    try (VectorSchemaRoot root = allTypes()) {
      TensorConverter c = TensorConverter.withLabel(root.getSchema(), "label");
      assertThat(c.featureCount()).isEqualTo(12);
      assertThat(c.featureColumns())
          .containsExactly(
              "i8", "i16", "i32n", "i64", "u8", "u16", "u32", "u64", "f16", "f32n", "f64", "bn");
      assertThat(c.labelColumn()).contains("label");
      FloatMatrix m = c.convert(root);
      assertThat(m.rows()).isEqualTo(3);
      assertThat(m.cols()).isEqualTo(12);
      float[] expected = {
        -128,
        -30000,
        -7,
        (float) Long.MIN_VALUE,
        255,
        65535,
        4294967295f,
        18446744073709551615f,
        1.5f,
        0.1f,
        0.1f,
        1,
        5,
        0,
        NaN,
        3,
        1,
        2,
        3,
        4,
        -2f,
        NaN,
        Float.POSITIVE_INFINITY,
        NaN,
        127,
        30000,
        1 << 30,
        (float) ((1L << 40) + 1),
        0,
        0,
        0,
        0,
        0.25f,
        Float.POSITIVE_INFINITY,
        -2.5f,
        0
      };
      assertThat(m.data()).containsExactly(expected);
      assertThat(m.labels()).containsExactly(2f, 0f, NaN);
      assertThat(m.get(1, 3)).isEqualTo(3f);

      float[] dst = new float[5 + 36];
      java.util.Arrays.fill(dst, -1f);
      c.features(root, dst, 5);
      assertThat(java.util.Arrays.copyOfRange(dst, 0, 5)).containsOnly(-1f);
      assertThat(java.util.Arrays.copyOfRange(dst, 5, 41)).containsExactly(expected);
      float[] labels = {9, 9, 9, 9};
      c.labels(root, labels, 1);
      assertThat(labels).containsExactly(9f, 2f, 0f, NaN);
    }
  }

  @Test
  void chosenFeaturesInGivenOrderAndNoLabel() {
    try (VectorSchemaRoot root = allTypes()) {
      TensorConverter c =
          new TensorConverter(root.getSchema(), List.of("f64", "i8", "label"), null);
      FloatMatrix m = c.convert(root);
      assertThat(m.labels()).isNull();
      assertThat(m.data())
          .containsExactly(0.1f, -128, 2, Float.POSITIVE_INFINITY, 5, 0, -2.5f, 127, NaN);
      assertThatThrownBy(() -> c.labels(root, new float[3], 0))
          .isInstanceOf(IllegalStateException.class);
      assertThat(TensorConverter.featuresOnly(root.getSchema()).featureCount()).isEqualTo(13);
    }
  }

  @Test
  void rejectsNonNumericUnknownAndConflictingColumns() {
    Schema schema =
        new Schema(
            List.of(
                Field.nullable("x", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)),
                Field.nullable("name", ArrowType.Utf8.INSTANCE),
                new Field(
                    "species",
                    new FieldType(
                        true,
                        new ArrowType.Int(32, true),
                        new DictionaryEncoding(0, false, new ArrowType.Int(32, true))),
                    null),
                Field.nullable("y", new ArrowType.Int(64, true))));
    assertThatThrownBy(() -> new TensorConverter(schema, List.of("x", "name"), "y"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "feature column 'name' is text: it needs its categories for one-hot encoding (found in"
                + " the data by the trainer, or given in the preprocessing spec)");
    assertThatThrownBy(() -> new TensorConverter(schema, List.of("x", "species"), "y"))
        .hasMessage(
            "feature column 'species' is dictionary-encoded; tensors take numeric (int, float),"
                + " bool or text (utf8) columns only");
    assertThatThrownBy(
            () -> new TensorConverter(schema, List.of("x"), "y", Map.of("x", List.of("a"))))
        .hasMessage("categories are given for column 'x', which is not a text feature column");
    assertThatThrownBy(() -> new TensorConverter(schema, List.of("x"), "name"))
        .hasMessageStartingWith("label column 'name' has type Utf8");
    assertThatThrownBy(() -> new TensorConverter(schema, List.of("x", "z"), "y"))
        .hasMessage("no column 'z'; the columns are: x, name, species, y");
    assertThatThrownBy(() -> new TensorConverter(schema, List.of("x", "y"), "y"))
        .hasMessage("column 'y' is the label; it cannot also be a feature");
    assertThatThrownBy(() -> new TensorConverter(schema, List.of("x", "x"), null))
        .hasMessage("feature column 'x' is named twice");
    Schema onlyLabel = new Schema(List.of(Field.nullable("y", new ArrowType.Int(64, true))));
    assertThatThrownBy(() -> TensorConverter.withLabel(onlyLabel, "y"))
        .hasMessageStartingWith("no feature columns");
  }

  @Test
  void rejectsBatchesOfAnotherSchemaAndShortDestinations() {
    try (VectorSchemaRoot root = allTypes();
        VarCharVector s = new VarCharVector("i8", allocator)) {
      TensorConverter c = TensorConverter.withLabel(root.getSchema(), "label");
      assertThatThrownBy(() -> c.features(root, new float[35], 0))
          .isInstanceOf(IndexOutOfBoundsException.class)
          .hasMessage("need 36 floats from offset 0 but the destination holds 35");
      assertThatThrownBy(() -> c.features(root, new float[36], 1))
          .isInstanceOf(IndexOutOfBoundsException.class);
      s.allocateNew();
      s.setValueCount(3);
      try (VectorSchemaRoot other = new VectorSchemaRoot(List.<FieldVector>of(s))) {
        assertThatThrownBy(() -> c.features(other, new float[36], 0))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageStartingWith("batch does not have the converter's schema");
      }
    }
  }

  /** Many rows (several blocks) of 32 float32 columns with some nulls; prints the rate. */
  @Test
  void manyRowsOf32FloatColumns() {
    int rows = 65_536;
    int cols = 32;
    Random rnd = new Random(3);
    List<FieldVector> vs = new ArrayList<>();
    for (int j = 0; j < cols; j++) {
      Float4Vector v = new Float4Vector("f" + j, allocator);
      v.allocateNew(rows);
      for (int i = 0; i < rows; i++) {
        if (j == 7 && i % 11 == 0) {
          v.setNull(i);
        } else {
          v.set(i, rnd.nextFloat());
        }
      }
      v.setValueCount(rows);
      vs.add(v);
    }
    try (VectorSchemaRoot root = new VectorSchemaRoot(vs)) {
      root.setRowCount(rows);
      TensorConverter c = TensorConverter.featuresOnly(root.getSchema());
      float[] dst = new float[rows * cols];
      c.features(root, dst, 0);
      for (int i = 0; i < rows; i++) {
        for (int j = 0; j < cols; j++) {
          Float4Vector v = (Float4Vector) vs.get(j);
          float expected = v.isNull(i) ? NaN : v.get(i);
          if (Float.compare(dst[i * cols + j], expected) != 0) {
            throw new AssertionError(
                "row " + i + " col " + j + ": " + dst[i * cols + j] + " != " + expected);
          }
        }
      }
      long converted = 0;
      long t0 = System.nanoTime();
      long best = Long.MAX_VALUE;
      while (System.nanoTime() - t0 < 1_500_000_000L) {
        long s = System.nanoTime();
        c.features(root, dst, 0);
        best = Math.min(best, System.nanoTime() - s);
        converted += rows;
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      System.out.printf(
          "Tensor: %d rows x %d float32 columns (1 with nulls): %.0f rows/s average, %.0f rows/s"
              + " best batch%n",
          rows, cols, converted / seconds, rows / (best / 1e9));
      assertThat(converted).isPositive();
    }
  }

  @Test
  void unsignedLongsRoundToNearest() {
    assertThat(TensorConverter.unsignedToFloat(-1L)).isEqualTo(1.8446744e19f);
    assertThat(TensorConverter.unsignedToFloat(1L << 63)).isEqualTo(9.223372e18f);
    assertThat(TensorConverter.unsignedToFloat(12345L)).isEqualTo(12345f);
    java.math.BigInteger two64 = java.math.BigInteger.ONE.shiftLeft(64);
    Random rnd = new Random(5);
    for (int k = 0; k < 10_000; k++) {
      long v = rnd.nextLong() | Long.MIN_VALUE;
      float expected =
          new java.math.BigDecimal(java.math.BigInteger.valueOf(v).add(two64)).floatValue();
      assertThat(TensorConverter.unsignedToFloat(v)).isEqualTo(expected);
    }
  }

  /** x (float), color (utf8, null in row 3), size (large utf8), y (int). */
  private VectorSchemaRoot withText() {
    Float4Vector x = new Float4Vector("x", allocator);
    VarCharVector color = new VarCharVector("color", allocator);
    org.apache.arrow.vector.LargeVarCharVector size =
        new org.apache.arrow.vector.LargeVarCharVector("size", allocator);
    IntVector y = new IntVector("y", allocator);
    String[] colors = {"red", "blue", "green", null, "red"};
    String[] sizes = {"S", "L", "S", "M", "XL"};
    for (int r = 0; r < 5; r++) {
      x.setSafe(r, r * 1.5f);
      if (colors[r] == null) {
        color.setNull(r);
      } else {
        color.setSafe(r, colors[r].getBytes(java.nio.charset.StandardCharsets.UTF_8));
      }
      size.setSafe(r, sizes[r].getBytes(java.nio.charset.StandardCharsets.UTF_8));
      y.setSafe(r, r % 2);
    }
    List<FieldVector> vs = List.of(color, x, size, y);
    vs.forEach(v -> v.setValueCount(5));
    return new VectorSchemaRoot(vs);
  }

  @Test
  void oneHotEncodesTextColumnsAfterTheNumericOnes() {
    try (VectorSchemaRoot root = withText()) {
      CategoryCollector collector = new CategoryCollector(root.getSchema(), null, "y", Map.of());
      assertThat(collector.needsData()).isTrue();
      assertThat(collector.columns()).containsExactly("color", "size");
      collector.add(root);
      Map<String, List<String>> cats = collector.categories();
      assertThat(cats)
          .containsExactly(
              Map.entry("color", List.of("blue", "green", "red")),
              Map.entry("size", List.of("L", "M", "S", "XL")));
      // "XL" is left out of the given categories: it encodes as all zeros
      Map<String, List<String>> given =
          Map.of("color", cats.get("color"), "size", List.of("S", "M", "L"));
      TensorConverter c = new TensorConverter(root.getSchema(), null, "y", given);
      assertThat(c.sourceColumns()).containsExactly("x", "color", "size");
      assertThat(c.featureColumns())
          .containsExactly(
              "x", "color=blue", "color=green", "color=red", "size=S", "size=M", "size=L");
      assertThat(c.featureCount()).isEqualTo(7);
      FloatMatrix m = c.convert(root);
      assertThat(m.data())
          .containsExactly(
              0f, 0, 0, 1, 1, 0, 0, //
              1.5f, 1, 0, 0, 0, 0, 1, //
              3f, 0, 1, 0, 1, 0, 0, //
              4.5f, 0, 0, 0, 0, 1, 0, // null color
              6f, 0, 0, 1, 0, 0, 0); // size XL unknown
      FeatureEncoding e = c.encoding();
      assertThat(e.numeric()).containsExactly("x");
      assertThat(e.width()).isEqualTo(7);
      assertThat(e.isOneHot(0)).isFalse();
      assertThat(e.isOneHot(1)).isTrue();
      assertThat(e.decode("color", m.data(), 0)).isEqualTo("red");
      assertThat(e.decode("color", m.data(), 21)).isNull();
      assertThat(e.decode("size", m.data(), 7)).isEqualTo("L");
      assertThat(FeatureEncoding.fromJson(e.toJson())).isEqualTo(e);
      // a destination that is reused gets its one-hot blocks cleared
      float[] dst = new float[35];
      java.util.Arrays.fill(dst, 9f);
      c.features(root, dst, 0);
      assertThat(dst).containsExactly(m.data());
    }
  }

  @Test
  void refusesTooManyCategoriesAndEmptyTextColumns() {
    try (VarCharVector id = new VarCharVector("id", allocator);
        IntVector y = new IntVector("y", allocator)) {
      int n = FeatureEncoding.MAX_CATEGORIES + 1;
      for (int r = 0; r < n; r++) {
        id.setSafe(r, ("id-" + r).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        y.setSafe(r, r);
      }
      id.setValueCount(n);
      y.setValueCount(n);
      try (VectorSchemaRoot root = new VectorSchemaRoot(List.<FieldVector>of(id, y))) {
        CategoryCollector collector = new CategoryCollector(root.getSchema(), null, "y", Map.of());
        assertThatThrownBy(() -> collector.add(root))
            .hasMessageStartingWith("text column 'id' has more than 256 distinct values");
        assertThat(
                new CategoryCollector(root.getSchema(), null, "y", Map.of("id", List.of("a")))
                    .needsData())
            .isFalse();
      }
    }
    try (VarCharVector empty = new VarCharVector("c", allocator)) {
      empty.setNull(0);
      empty.setValueCount(1);
      try (VectorSchemaRoot root = new VectorSchemaRoot(List.<FieldVector>of(empty))) {
        CategoryCollector collector = new CategoryCollector(root.getSchema(), null, null, Map.of());
        collector.add(root);
        assertThatThrownBy(collector::categories)
            .hasMessage("text column 'c' has no values (all null): nothing to encode");
      }
    }
    assertThatThrownBy(() -> FeatureEncoding.fromJson("{\"numeric\": []}"))
        .hasMessageContaining("\"categories\"");
    assertThatThrownBy(
            () ->
                FeatureEncoding.fromJson(
                    "{\"numeric\": [\"a\"], \"categories\": {\"a\": [\"x\"]}}"))
        .hasMessage("column 'a' is both numeric and categorical");
  }
}
