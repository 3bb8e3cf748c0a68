package io.streamforge.schemas.arrow;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/** ZSTD keeps a buffer compressed only when that saves at least an eighth of it. */
class SparingZstdCodecTest {
  private static final int ROWS = 8_192;

  private static Schema schema(String... names) {
    return new Schema(
        java.util.Arrays.stream(names)
            .map(
                n ->
                    new Field(
                        n,
                        FieldType.notNullable(
                            new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)),
                        null))
            .toList());
  }

  /** Random floats in [0, 1): ZSTD saves only a few percent of them. */
  private static float random(Random rng) {
    return rng.nextFloat();
  }

  private static byte[] write(BufferAllocator allocator, List<String> columns, Compression c) {
    return write(allocator, columns, c, ROWS);
  }

  private static byte[] write(
      BufferAllocator allocator, List<String> columns, Compression c, int rows) {
    Random rng = new Random(7);
    try (VectorSchemaRoot root =
        VectorSchemaRoot.create(schema(columns.toArray(String[]::new)), allocator)) {
      root.allocateNew();
      for (String name : columns) {
        Float4Vector v = (Float4Vector) root.getVector(name);
        for (int i = 0; i < rows; i++) {
          v.setSafe(i, name.startsWith("random") ? random(rng) : i % 10);
        }
      }
      root.setRowCount(rows);
      return ArrowIpc.write(root, null, c);
    }
  }

  private static void assertReadsBack(BufferAllocator allocator, byte[] bytes, List<String> cols)
      throws Exception {
    Random rng = new Random(7);
    try (ArrowStreamReader reader = ArrowIpc.read(bytes, allocator)) {
      VectorSchemaRoot root = reader.getVectorSchemaRoot();
      assertThat(root.getRowCount()).isEqualTo(ROWS);
      for (String name : cols) {
        Float4Vector v = (Float4Vector) root.getVector(name);
        for (int i = 0; i < ROWS; i++) {
          float want = name.startsWith("random") ? random(rng) : i % 10;
          assertThat(v.get(i)).as("%s[%d]", name, i).isEqualTo(want);
        }
      }
    }
  }

  @Test
  void highEntropyFloatsAreWrittenRaw() throws Exception {
    try (BufferAllocator allocator = new RootAllocator()) {
      List<String> cols = List.of("random");
      byte[] zstd = write(allocator, cols, Compression.ZSTD);
      byte[] none = write(allocator, cols, Compression.NONE);
      // every buffer raw: the same bytes, each behind an 8-byte -1 length marker
      assertThat(zstd.length).isBetween(none.length, none.length + 64);
      assertReadsBack(allocator, zstd, cols);
      assertThat(allocator.getAllocatedMemory()).isZero();
    }
  }

  @Test
  void compressibleBuffersStayCompressedBesideRawOnes() throws Exception {
    try (BufferAllocator allocator = new RootAllocator()) {
      byte[] small = write(allocator, List.of("repeating"), Compression.ZSTD);
      assertThat(small.length).isLessThan(ROWS * Float.BYTES / 4);

      List<String> both = List.of("random", "repeating");
      byte[] mixed = write(allocator, both, Compression.ZSTD);
      // the random column raw, the repeating one compressed
      assertThat(mixed.length)
          .isGreaterThanOrEqualTo(ROWS * Float.BYTES)
          .isLessThan(ROWS * Float.BYTES + ROWS * Float.BYTES / 4);
      assertReadsBack(allocator, mixed, both);
      assertThat(allocator.getAllocatedMemory()).isZero();
    }
  }

  @Test
  void buffersUnderSixteenKibibytesStayRaw() {
    try (BufferAllocator allocator = new RootAllocator()) {
      // eight repeating columns of 1,000 rows: a 32 KB batch of 4 KB buffers, none compressed
      List<String> cols = java.util.stream.IntStream.range(0, 8).mapToObj(i -> "r" + i).toList();
      byte[] zstd = write(allocator, cols, Compression.ZSTD, 1_000);
      byte[] none = write(allocator, cols, Compression.NONE, 1_000);
      assertThat(zstd.length).isGreaterThanOrEqualTo(none.length);
      // the same columns at 8,192 rows (32 KB each) do shrink
      assertThat(write(allocator, cols, Compression.ZSTD).length)
          .isLessThan(cols.size() * ROWS * Float.BYTES / 4);
    }
  }
}
