package io.streamforge.arrowio.read;

import static io.streamforge.arrowio.read.Batches.readAll;
import static io.streamforge.arrowio.read.Batches.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.ArrowWriter;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArrowFileBatchSourceTest {
  private static final Schema SCHEMA =
      new Schema(
          List.of(
              Field.nullable("id", new ArrowType.Int(64, true)),
              Field.nullable("x", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)),
              Field.nullable("s", ArrowType.Utf8.INSTANCE),
              Field.nullable("b", ArrowType.Bool.INSTANCE)));

  /** Input batch sizes, including an empty batch. */
  private static final int[] SIZES = {5, 0, 7, 3, 1};

  @TempDir Path dir;
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

  private static List<Object> expectedRow(int id) {
    return row(
        (long) id,
        id % 4 == 1 ? null : id * 0.5,
        id % 3 == 0 ? null : "s" + id,
        id % 5 == 2 ? null : id % 2 == 0);
  }

  private List<List<Object>> expectedRows() {
    List<List<Object>> rows = new ArrayList<>();
    int total = 0;
    for (int s : SIZES) {
      total += s;
    }
    for (int i = 0; i < total; i++) {
      rows.add(expectedRow(i));
    }
    return rows;
  }

  private Path write(String name, boolean fileFormat) throws IOException {
    Path path = dir.resolve(name);
    try (VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator);
        OutputStream out = Files.newOutputStream(path);
        ArrowWriter writer =
            fileFormat
                ? new ArrowFileWriter(root, null, Channels.newChannel(out))
                : new ArrowStreamWriter(root, null, out)) {
      writer.start();
      int id = 0;
      for (int size : SIZES) {
        root.allocateNew();
        BigIntVector ids = (BigIntVector) root.getVector(0);
        Float8Vector xs = (Float8Vector) root.getVector(1);
        VarCharVector ss = (VarCharVector) root.getVector(2);
        BitVector bs = (BitVector) root.getVector(3);
        for (int i = 0; i < size; i++, id++) {
          List<Object> r = expectedRow(id);
          ids.setSafe(i, (Long) r.get(0));
          if (r.get(1) == null) {
            xs.setNull(i);
          } else {
            xs.setSafe(i, (Double) r.get(1));
          }
          if (r.get(2) == null) {
            ss.setNull(i);
          } else {
            ss.setSafe(i, ((String) r.get(2)).getBytes(StandardCharsets.UTF_8));
          }
          if (r.get(3) == null) {
            bs.setNull(i);
          } else {
            bs.setSafe(i, (Boolean) r.get(3) ? 1 : 0);
          }
        }
        root.setRowCount(size);
        writer.writeBatch();
      }
      writer.end();
    }
    return path;
  }

  @Test
  void rebatchesFilesAndStreams() throws IOException {
    for (boolean fileFormat : new boolean[] {true, false}) {
      Path path = write(fileFormat ? "t.arrow" : "t.arrows", fileFormat);
      for (int batchRows : new int[] {1, 3, 4, 5, 7, 16, 100}) {
        try (ArrowFileBatchSource src = ArrowFileBatchSource.open(path, batchRows, allocator)) {
          assertThat(src.schema()).isEqualTo(SCHEMA);
          Batches.Result r = readAll(src);
          assertThat(r.rows()).as("batchRows %d", batchRows).isEqualTo(expectedRows());
          int total = 16;
          List<Integer> sizes = new ArrayList<>();
          for (int left = total; left > 0; left -= batchRows) {
            sizes.add(Math.min(left, batchRows));
          }
          assertThat(r.batchSizes()).as("batchRows %d", batchRows).isEqualTo(sizes);
          assertThat(src.rowsRead()).isEqualTo(total);
          assertThat(src.totalBytes()).isEqualTo(Files.size(path));
          assertThat(src.bytesRead()).isPositive();
          assertThat(src.next()).isNull();
        }
      }
    }
  }

  @Test
  void batchesOutliveTheSource() throws IOException {
    Path path = write("t.arrow", true);
    List<VectorSchemaRoot> kept = new ArrayList<>();
    try (ArrowFileBatchSource src = ArrowFileBatchSource.open(path, 6, allocator)) {
      VectorSchemaRoot b;
      while ((b = src.next()) != null) {
        kept.add(b);
      }
    }
    List<List<Object>> rows = new ArrayList<>();
    for (VectorSchemaRoot b : kept) {
      for (int i = 0; i < b.getRowCount(); i++) {
        List<Object> r = new ArrayList<>();
        for (var v : b.getFieldVectors()) {
          Object o = v.getObject(i);
          r.add(o instanceof org.apache.arrow.vector.util.Text t ? t.toString() : o);
        }
        rows.add(r);
      }
      b.close();
    }
    assertThat(rows).isEqualTo(expectedRows());
  }

  @Test
  void readsStreamsFromInputStreamsButNotFiles() throws IOException {
    Path stream = write("t.arrows", false);
    try (ArrowFileBatchSource src =
        ArrowFileBatchSource.open(Files.newInputStream(stream), "t.arrows", -1, 10, allocator)) {
      assertThat(readAll(src).batchSizes()).containsExactly(10, 6);
    }
    Path file = write("t.arrow", true);
    assertThatThrownBy(
            () ->
                ArrowFileBatchSource.open(Files.newInputStream(file), "t.arrow", -1, 10, allocator))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("t.arrow is an Arrow IPC file");
    assertThatThrownBy(() -> ArrowFileBatchSource.open(file, 0, allocator))
        .hasMessage("batchRows must be >= 1, got 0");
  }

  @Test
  void dictionaryEncodedColumnsDoNotSpanInputBatches() throws IOException {
    Path path = dir.resolve("dict.arrows");
    DictionaryEncoding enc = new DictionaryEncoding(7L, false, new ArrowType.Int(32, true));
    Field field = new Field("c", new FieldType(true, new ArrowType.Int(32, true), enc), null);
    Schema schema = new Schema(List.of(field));
    try (VarCharVector dict = new VarCharVector("c", allocator)) {
      dict.allocateNew();
      String[] values = {"red", "green", "blue"};
      for (int i = 0; i < values.length; i++) {
        dict.setSafe(i, values[i].getBytes(StandardCharsets.UTF_8));
      }
      dict.setValueCount(values.length);
      DictionaryProvider.MapDictionaryProvider provider =
          new DictionaryProvider.MapDictionaryProvider(new Dictionary(dict, enc));
      try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
          OutputStream out = Files.newOutputStream(path);
          ArrowStreamWriter writer = new ArrowStreamWriter(root, provider, out)) {
        writer.start();
        IntVector idx = (IntVector) root.getVector(0);
        for (int size : new int[] {3, 2}) {
          idx.allocateNew(size);
          for (int i = 0; i < size; i++) {
            idx.set(i, (i + size) % 3);
          }
          idx.setValueCount(size);
          root.setRowCount(size);
          writer.writeBatch();
        }
        writer.end();
      }
    }
    try (ArrowFileBatchSource src = ArrowFileBatchSource.open(path, 4, allocator)) {
      Batches.Result r = readAll(src);
      assertThat(r.batchSizes()).containsExactly(3, 2);
      assertThat(r.rows())
          .containsExactly(row("red"), row("green"), row("blue"), row("blue"), row("red"));
    }
  }
}
