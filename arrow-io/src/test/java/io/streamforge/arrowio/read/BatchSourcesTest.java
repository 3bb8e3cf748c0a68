package io.streamforge.arrowio.read;

import static io.streamforge.arrowio.read.Batches.readAll;
import static io.streamforge.arrowio.read.Batches.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BatchSourcesTest {
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

  private List<List<Object>> readFile(Path file, ReadOptions options) throws IOException {
    try (BatchSource src = BatchSources.open(file, allocator, options)) {
      return readAll(src).rows();
    }
  }

  @Test
  void choosesTheReaderByExtension() throws IOException {
    Path csv = Files.writeString(dir.resolve("a.csv"), "x,y\n1,\"p,q\"\n");
    Path tsv = Files.writeString(dir.resolve("a.TSV"), "x\ty\n1\tp,q\n");
    Path jsonl = Files.writeString(dir.resolve("a.jsonl"), "{\"x\": 1, \"y\": \"p,q\"}\n");
    Path ndjson = Files.writeString(dir.resolve("a.ndjson"), "{\"x\": 1, \"y\": \"p,q\"}\n");
    Path json = Files.writeString(dir.resolve("a.json"), "{\"x\": 1, \"y\": \"p,q\"}\n");
    for (Path p : List.of(csv, tsv, jsonl, ndjson, json)) {
      assertThat(readFile(p, ReadOptions.defaults()))
          .as(p.toString())
          .containsExactly(row(1L, "p,q"));
    }
    Schema schema = new Schema(List.of(Field.nullable("n", new ArrowType.Int(64, true))));
    for (String name : List.of("a.arrow", "a.arrows", "a.feather", "a.ipc")) {
      Path p = dir.resolve(name);
      try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
          OutputStream out = Files.newOutputStream(p);
          ArrowStreamWriter w = new ArrowStreamWriter(root, null, out)) {
        w.start();
        BigIntVector n = (BigIntVector) root.getVector(0);
        n.allocateNew(5);
        for (int i = 0; i < 5; i++) {
          n.set(i, i);
        }
        root.setRowCount(5);
        w.writeBatch();
        w.end();
      }
      ReadOptions twoPerBatch =
          ReadOptions.defaults().withText(CsvOptions.builder().batchRows(2).build());
      try (BatchSource src = BatchSources.open(p, allocator, twoPerBatch)) {
        assertThat(src).isInstanceOf(ArrowFileBatchSource.class);
        assertThat(readAll(src).batchSizes()).containsExactly(2, 2, 1);
      }
    }
  }

  @Test
  void unknownExtensionListsTheSupportedOnes() throws IOException {
    Path txt = Files.writeString(dir.resolve("data.txt"), "x\n1\n");
    assertThatThrownBy(() -> BatchSources.open(txt, allocator))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "cannot tell the format of "
                + txt
                + " from its extension; supported extensions: .csv (csv), .tsv (tsv),"
                + " .jsonl/.ndjson/.json (json_lines), .arrow/.arrows/.feather/.ipc (arrow);"
                + " or give the format explicitly");
    assertThat(readFile(txt, ReadOptions.defaults().withFormat(InputFormat.CSV)))
        .containsExactly(row(1L));
    assertThatThrownBy(() -> BatchSources.formatOf(dir.resolve("noext")))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void passesTheBadRowHandlerAndTextOptions() throws IOException {
    Path csv = Files.writeString(dir.resolve("b.csv"), "x;y\n1;2\n3\n4;5\n");
    List<BadRow> bad = new ArrayList<>();
    ReadOptions o =
        ReadOptions.defaults()
            .withText(CsvOptions.builder().delimiter(';').build())
            .withBadRows(bad::add);
    assertThat(readFile(csv, o)).containsExactly(row(1L, 2L), row(4L, 5L));
    assertThat(bad)
        .extracting(BadRow::describe)
        .containsExactly(csv + ":3: expected 2 fields but found 1");
    assertThatThrownBy(() -> readFile(csv, ReadOptions.defaults().withText(o.text())))
        .isInstanceOf(BadInputException.class);
  }
}
