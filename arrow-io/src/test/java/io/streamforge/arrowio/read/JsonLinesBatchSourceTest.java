package io.streamforge.arrowio.read;

import static io.streamforge.arrowio.read.Batches.json;
import static io.streamforge.arrowio.read.Batches.readAll;
import static io.streamforge.arrowio.read.Batches.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.types.pojo.Field;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonLinesBatchSourceTest {
  private BufferAllocator allocator;
  private final List<BadRow> badRows = new ArrayList<>();

  @BeforeEach
  void setUp() {
    allocator = new RootAllocator();
  }

  @AfterEach
  void tearDown() {
    assertThat(allocator.getAllocatedMemory()).as("leaked Arrow memory").isZero();
    allocator.close();
  }

  private Batches.Result read(String text, CsvOptions options) throws IOException {
    try (JsonLinesBatchSource src = json(text, options, allocator, badRows::add)) {
      return readAll(src);
    }
  }

  private static List<String> types(BatchSource src) {
    return src.schema().getFields().stream().map(f -> f.getType().toString()).toList();
  }

  @Test
  void columnsAreTheUnionOfKeysInOrderOfFirstAppearance() throws IOException {
    String text =
        "{\"b\": 1, \"a\": \"x\"}\n"
            + "{\"a\": \"y\", \"c\": true}\n"
            + "\n"
            + "  {\"c\": false, \"d\": 2.5, \"b\": null}  \r\n"
            + "{\"d\": 3}";
    try (JsonLinesBatchSource src =
        json(text, CsvOptions.defaults(), allocator, BadRowHandler.FAIL)) {
      assertThat(src.schema().getFields())
          .extracting(Field::getName)
          .containsExactly("b", "a", "c", "d");
      assertThat(types(src))
          .containsExactly("Int(64, true)", "Utf8", "Bool", "FloatingPoint(DOUBLE)");
      assertThat(readAll(src).rows())
          .containsExactly(
              row(1L, "x", null, null),
              row(null, "y", true, null),
              row(null, null, false, 2.5),
              row(null, null, null, 3.0));
    }
  }

  @Test
  void inferenceAndValueConversions() throws IOException {
    String text =
        "{\"i\": 1, \"big\": 1, \"mixed\": 1, \"s\": \"a\", \"nested\": {\"k\": [1, 2]}, \"none\": null, \"na\": \"NA\"}\n"
            + "{\"i\": -7, \"big\": 123456789012345678901234567890, \"mixed\": true, \"s\": \"\", \"nested\": [true], \"none\": null, \"na\": 5}\n";
    try (JsonLinesBatchSource src =
        json(text, CsvOptions.defaults(), allocator, BadRowHandler.FAIL)) {
      assertThat(types(src))
          .containsExactly(
              "Int(64, true)",
              "FloatingPoint(DOUBLE)",
              "Utf8",
              "Utf8",
              "Utf8",
              "Utf8",
              "Int(64, true)");
      assertThat(readAll(src).rows())
          .containsExactly(
              row(1L, 1.0, "1", "a", "{\"k\":[1,2]}", null, null),
              row(-7L, 1.2345678901234568e29, "true", null, "[true]", null, 5L));
    }
  }

  @Test
  void overridesAndNumericStrings() throws IOException {
    CsvOptions o =
        CsvOptions.builder()
            .typeOverride("price", ColumnType.FLOAT32)
            .typeOverride("qty", ColumnType.INT64)
            .typeOverride("code", ColumnType.STRING)
            .build();
    String text =
        "{\"price\": \"1.5\", \"qty\": \"3\", \"code\": 7}\n"
            + "{\"price\": 2, \"qty\": 4, \"code\": 0.5}\n"
            + "{\"price\": 2, \"qty\": \"lots\", \"code\": 1}\n";
    Batches.Result r = read(text, o);
    assertThat(r.rows()).containsExactly(row(1.5f, 3L, "7"), row(2f, 4L, "0.5"));
    assertThat(badRows)
        .containsExactly(
            new BadRow(
                "data.jsonl",
                3,
                "{\"price\": 2, \"qty\": \"lots\", \"code\": 1}",
                "column 'qty': \"lots\" is not an int64 (type set by override)"));
  }

  @Test
  void badLinesAreReportedWithLineAndReasonAndGoodLinesKept() throws IOException {
    String text =
        "{\"x\": 1, \"y\": \"a\"}\n" // 1
            + "[1, 2]\n" // 2 not an object
            + "{\"x\": 2, \"y\": \"b\"}\n" // 3
            + "{\"x\": 3, \"z\": 1}\n" // 4 unknown field (z is not in the sample of 2 good rows)
            + "{\"x\": 4.5, \"y\": \"c\"}\n" // 5 wrong type
            + "{\"x\": 5, \"y\": \"d\"\n" // 6 invalid JSON
            + "{\"x\": 6, \"x\": 7}\n" // 7 duplicate
            + "{\"x\": 8} {\"x\": 9}\n" // 8 trailing content
            + "{\"x\": 10}\n"; // 9
    Batches.Result r = read(text, CsvOptions.builder().inferRows(2).build());
    assertThat(r.rows()).containsExactly(row(1L, "a"), row(2L, "b"), row(10L, null));
    assertThat(badRows).extracting(BadRow::line).containsExactly(2L, 4L, 5L, 6L, 7L, 8L);
    assertThat(badRows.get(0).reason()).isEqualTo("not a JSON object but an array");
    assertThat(badRows.get(1).reason()).isEqualTo("unknown field 'z'");
    assertThat(badRows.get(1).raw()).isEqualTo("{\"x\": 3, \"z\": 1}");
    assertThat(badRows.get(2).reason())
        .isEqualTo(
            "column 'x': 4.5 is not an int64 (inferred from the first 2 rows; override with"
                + " --type x=float64)");
    assertThat(badRows.get(3).reason()).startsWith("invalid JSON: ");
    assertThat(badRows.get(4).reason()).isEqualTo("duplicate field 'x'");
    assertThat(badRows.get(5).reason()).isEqualTo("unexpected content after the JSON object");
  }

  @Test
  void failHandlerNamesFileAndLine() throws IOException {
    try (JsonLinesBatchSource src =
        json("{\"a\": 1}\n\n\"text\"\n", CsvOptions.defaults(), allocator, BadRowHandler.FAIL)) {
      assertThatThrownBy(src::next)
          .isInstanceOf(BadInputException.class)
          .hasMessage("data.jsonl:3: not a JSON object but a string");
    }
  }

  @Test
  void givenColumnNamesFixTheSchema() throws IOException {
    CsvOptions o = CsvOptions.builder().columnNames("b", "a").build();
    Batches.Result r = read("{\"a\": 1, \"b\": 2}\n{\"a\": 3, \"c\": 4}\n", o);
    assertThat(r.rows()).containsExactly(row(2L, 1L));
    assertThat(badRows).extracting(BadRow::reason).containsExactly("unknown field 'c'");
  }

  @Test
  void overrideOfUnknownKeyIsReportedWithTheRealColumns() {
    CsvOptions o = CsvOptions.builder().typeOverride("zz", ColumnType.INT64).build();
    assertThatThrownBy(() -> json("{\"a\": 1, \"b\": 2}\n", o, allocator, BadRowHandler.FAIL))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("type override for unknown column 'zz' in data.jsonl; the columns are: a, b");
  }

  @Test
  void batchingAndDictionaries() throws IOException {
    StringBuilder sb = new StringBuilder();
    List<List<Object>> expected = new ArrayList<>();
    for (int i = 0; i < 23; i++) {
      String cat = i % 5 == 4 ? null : "cat" + (i % 3);
      sb.append("{\"i\": ").append(i);
      if (cat != null) {
        sb.append(", \"cat\": \"").append(cat).append('"');
      }
      sb.append("}\n");
      expected.add(row((long) i, cat));
    }
    CsvOptions o = CsvOptions.builder().batchRows(10).dictionaryColumns("cat").build();
    try (JsonLinesBatchSource src = json(sb.toString(), o, allocator, BadRowHandler.FAIL)) {
      assertThat(src.schema().getFields().get(1).getDictionary()).isNotNull();
      Batches.Result r = readAll(src);
      assertThat(r.batchSizes()).containsExactly(10, 10, 3);
      assertThat(r.rows()).isEqualTo(expected);
      assertThat(src.rowsRead()).isEqualTo(23);
      assertThat(src.bytesRead()).isEqualTo(src.totalBytes());
    }
  }

  @Test
  void readsFilesWithABom(@TempDir Path dir) throws IOException {
    Path f = dir.resolve("x.jsonl");
    Files.writeString(f, "\uFEFF{\"a\": \"é\"}\n");
    try (JsonLinesBatchSource src =
        JsonLinesBatchSource.open(f, CsvOptions.defaults(), allocator, BadRowHandler.FAIL)) {
      assertThat(src.schema().getFields()).extracting(Field::getName).containsExactly("a");
      assertThat(readAll(src).rows()).containsExactly(row("é"));
    }
  }

  @Test
  void emptyInputHasNoColumnsAndNoBatches() throws IOException {
    try (JsonLinesBatchSource src =
        json("\n\n", CsvOptions.defaults(), allocator, BadRowHandler.FAIL)) {
      assertThat(src.schema().getFields()).isEmpty();
      assertThat(src.next()).isNull();
    }
  }

  @Test
  void longLinesCrossBufferBoundaries() throws IOException {
    StringBuilder sb = new StringBuilder();
    List<List<Object>> expected = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      String s = "x".repeat(i * 5000);
      sb.append("{\"n\": ").append(i).append(", \"s\": \"").append(s).append("\"}\n");
      expected.add(row((long) i, s.isEmpty() ? null : s));
    }
    assertThat(read(sb.toString(), CsvOptions.defaults()).rows()).isEqualTo(expected);
  }
}
