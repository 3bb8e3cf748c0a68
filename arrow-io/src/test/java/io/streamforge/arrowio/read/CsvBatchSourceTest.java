package io.streamforge.arrowio.read;

import static io.streamforge.arrowio.read.Batches.csv;
import static io.streamforge.arrowio.read.Batches.readAll;
import static io.streamforge.arrowio.read.Batches.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvBatchSourceTest {
  private BufferAllocator allocator;
  private final List<BadRow> badRows = new ArrayList<>();
  private final BadRowHandler collect = badRows::add;

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
    try (CsvBatchSource src = csv(text, options, allocator, collect)) {
      return readAll(src);
    }
  }

  private static List<String> types(BatchSource src) {
    return src.schema().getFields().stream().map(f -> f.getType().toString()).toList();
  }

  @Test
  void quotedFieldsKeepDelimitersLineBreaksAndDoubledQuotes() throws IOException {
    String text =
        "id,text,n\n"
            + "1,\"hello, world\",10\n"
            + "2,\"line1\nline2\",20\n"
            + "3,\"say \"\"hi\"\"\",30\n"
            + "4,plain,40\n"
            + "5,\"\",50\n"
            + "6,\"a\r\nb\",60\n";
    Batches.Result r = read(text, CsvOptions.defaults());
    assertThat(r.rows())
        .containsExactly(
            row(1L, "hello, world", 10L),
            row(2L, "line1\nline2", 20L),
            row(3L, "say \"hi\"", 30L),
            row(4L, "plain", 40L),
            row(5L, null, 50L),
            row(6L, "a\r\nb", 60L));
    assertThat(badRows).isEmpty();
  }

  @Test
  void crlfBomAndMissingFinalLineBreak() throws IOException {
    String text = "\uFEFFa,b\r\n1,x\r\n\r\n2,y";
    try (CsvBatchSource src = csv(text, CsvOptions.defaults(), allocator, BadRowHandler.FAIL)) {
      assertThat(src.schema().getFields()).extracting(Field::getName).containsExactly("a", "b");
      assertThat(readAll(src).rows()).containsExactly(row(1L, "x"), row(2L, "y"));
    }
  }

  @Test
  void loneCarriageReturnsEndLinesToo() throws IOException {
    assertThat(read("a,b\r1,2\r3,4\r", CsvOptions.defaults()).rows())
        .containsExactly(row(1L, 2L), row(3L, 4L));
  }

  @Test
  void emptyLinesAreSkippedButCountedInLineNumbers() throws IOException {
    String text = "a,b\n\n1,2\n\n\n3\n4,5\n\n";
    Batches.Result r = read(text, CsvOptions.defaults());
    assertThat(r.rows()).containsExactly(row(1L, 2L), row(4L, 5L));
    assertThat(badRows)
        .containsExactly(new BadRow("data.csv", 6, "3", "expected 2 fields but found 1"));
  }

  @Test
  void noHeaderUsesGivenNamesOrDefaultNames() throws IOException {
    String text = "1,x\n2,y\n";
    CsvOptions named = CsvOptions.builder().header(false).columnNames("id", "label").build();
    try (CsvBatchSource src = csv(text, named, allocator, BadRowHandler.FAIL)) {
      assertThat(src.schema().getFields())
          .extracting(Field::getName)
          .containsExactly("id", "label");
      assertThat(readAll(src).rows()).containsExactly(row(1L, "x"), row(2L, "y"));
    }
    CsvOptions unnamed = CsvOptions.builder().header(false).build();
    try (CsvBatchSource src = csv(text, unnamed, allocator, BadRowHandler.FAIL)) {
      assertThat(src.schema().getFields()).extracting(Field::getName).containsExactly("c0", "c1");
      assertThat(readAll(src).rows()).hasSize(2);
    }
  }

  @Test
  void givenNamesReplaceTheHeader() throws IOException {
    CsvOptions o = CsvOptions.builder().columnNames("x", "y").build();
    try (CsvBatchSource src = csv("a,b\n1,2\n", o, allocator, BadRowHandler.FAIL)) {
      assertThat(src.schema().getFields()).extracting(Field::getName).containsExactly("x", "y");
      assertThat(readAll(src).rows()).containsExactly(row(1L, 2L));
    }
    CsvOptions three = CsvOptions.builder().columnNames("x", "y", "z").build();
    assertThatThrownBy(() -> csv("a,b\n1,2\n", three, allocator, BadRowHandler.FAIL))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("data.csv has 2 columns in its header but 3 column names were given");
  }

  @Test
  void blankAndRepeatedHeaderNamesAreMadeUnique() throws IOException {
    try (CsvBatchSource src =
        csv("a,,a,a\n1,2,3,4\n", CsvOptions.defaults(), allocator, BadRowHandler.FAIL)) {
      assertThat(src.schema().getFields())
          .extracting(Field::getName)
          .containsExactly("a", "c1", "a_2", "a_3");
      assertThat(readAll(src).rows()).containsExactly(row(1L, 2L, 3L, 4L));
    }
  }

  @Test
  void missingValuesBecomeNulls() throws IOException {
    String text = "i,f,s,b\n1,1.5,x,true\n,NA,N/A,null\nNULL,,,\n3,2.5,y,false\n";
    try (CsvBatchSource src = csv(text, CsvOptions.defaults(), allocator, BadRowHandler.FAIL)) {
      assertThat(types(src))
          .containsExactly("Int(64, true)", "FloatingPoint(DOUBLE)", "Utf8", "Bool");
      assertThat(readAll(src).rows())
          .containsExactly(
              row(1L, 1.5, "x", true),
              row(null, null, null, null),
              row(null, null, null, null),
              row(3L, 2.5, "y", false));
    }
    CsvOptions custom = CsvOptions.builder().nullTokens("-").build();
    assertThat(read("s,n\n-,-\n,1\n", custom).rows()).containsExactly(row(null, null), row("", 1L));
  }

  @Test
  void infersEachType() throws IOException {
    String text =
        "b,i,f,s,empty,big,zeroOne,special,spaced\n"
            + "true,1,1,x,,1,1,NaN, 7 \n"
            + "FALSE,-2,-0.5,2,,99999999999999999999,0,Infinity,8\n"
            + "True,+3,1e3,3.5,,3,1,-inf,9\n";
    try (CsvBatchSource src = csv(text, CsvOptions.defaults(), allocator, BadRowHandler.FAIL)) {
      assertThat(types(src))
          .containsExactly(
              "Bool",
              "Int(64, true)",
              "FloatingPoint(DOUBLE)",
              "Utf8",
              "Utf8",
              "FloatingPoint(DOUBLE)",
              "Int(64, true)",
              "FloatingPoint(DOUBLE)",
              "Int(64, true)");
      assertThat(readAll(src).rows())
          .containsExactly(
              row(true, 1L, 1.0, "x", null, 1.0, 1L, Double.NaN, 7L),
              row(false, -2L, -0.5, "2", null, 1e20, 0L, Double.POSITIVE_INFINITY, 8L),
              row(true, 3L, 1000.0, "3.5", null, 3.0, 1L, Double.NEGATIVE_INFINITY, 9L));
    }
  }

  @Test
  void javaOnlyNumberSpellingsAreStrings() throws IOException {
    // Double.parseDouble accepts these; a CSV reader should not.
    try (CsvBatchSource src =
        csv("a,b,c\n1f,0x1p3,2d\n", CsvOptions.defaults(), allocator, BadRowHandler.FAIL)) {
      assertThat(types(src)).containsOnly("Utf8");
      readAll(src);
    }
  }

  @Test
  void floatsParseExactly() throws IOException {
    Random rnd = new Random(42);
    StringBuilder sb = new StringBuilder("x\n");
    List<Double> expected = new ArrayList<>();
    for (int i = 0; i < 5000; i++) {
      double d =
          switch (i % 4) {
            case 0 -> rnd.nextDouble();
            case 1 -> (rnd.nextDouble() - 0.5) * Math.pow(10, rnd.nextInt(40) - 20);
            case 2 -> Math.round(rnd.nextDouble() * 1e6) / 1e3;
            default -> rnd.nextGaussian() * 1e300;
          };
      expected.add(d);
      sb.append(d).append('\n');
    }
    sb.append("0.1000000000000000055511151231257827\n123456789012345678901234567890\n");
    expected.add(0.1000000000000000055511151231257827);
    expected.add(123456789012345678901234567890.0);
    List<Object> actual =
        read(sb.toString(), CsvOptions.defaults()).rows().stream().map(r -> r.get(0)).toList();
    assertThat(actual).isEqualTo(new ArrayList<Object>(expected));
  }

  @Test
  void overridesWinOverInference() throws IOException {
    CsvOptions o =
        CsvOptions.builder()
            .typeOverride("a", ColumnType.FLOAT64)
            .typeOverride("b", ColumnType.STRING)
            .typeOverride("c", ColumnType.FLOAT32)
            .typeOverride("d", ColumnType.BOOL)
            .typeOverride("e", ColumnType.INT64)
            .build();
    String text = "a,b,c,d,e\n1,2,0.1,1,\n3,04,2.5,0,\n";
    try (CsvBatchSource src = csv(text, o, allocator, BadRowHandler.FAIL)) {
      assertThat(types(src))
          .containsExactly(
              "FloatingPoint(DOUBLE)", "Utf8", "FloatingPoint(SINGLE)", "Bool", "Int(64, true)");
      assertThat(readAll(src).rows())
          .containsExactly(row(1.0, "2", 0.1f, true, null), row(3.0, "04", 2.5f, false, null));
    }
  }

  @Test
  void overrideOfUnknownColumnNamesItAndListsTheRealOnes() {
    CsvOptions o = CsvOptions.builder().typeOverride("sepal_lenght", ColumnType.FLOAT64).build();
    assertThatThrownBy(() -> csv("sepal_length,species\n1,a\n", o, allocator, BadRowHandler.FAIL))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "type override for unknown column 'sepal_lenght' in data.csv; the columns are:"
                + " sepal_length, species");
    CsvOptions dict = CsvOptions.builder().dictionaryColumns("specis").build();
    assertThatThrownBy(
            () -> csv("sepal_length,species\n1,a\n", dict, allocator, BadRowHandler.FAIL))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'specis'")
        .hasMessageContaining("sepal_length, species");
  }

  @Test
  void valueNotFittingAnOverrideIsABadRow() throws IOException {
    CsvOptions o = CsvOptions.builder().typeOverride("n", ColumnType.INT64).build();
    Batches.Result r = read("n,s\n1,a\nabc,b\n3,c\n", o);
    assertThat(r.rows()).containsExactly(row(1L, "a"), row(3L, "c"));
    assertThat(badRows)
        .containsExactly(
            new BadRow(
                "data.csv",
                3,
                "abc,b",
                "column 'n': 'abc' is not an int64 (type set by override)"));
  }

  @Test
  void dictionaryColumnsRoundTripWithPerBatchDictionaries() throws IOException {
    String[] species = {"setosa", "versicolor", "virginica", "ünïcode ✓"};
    StringBuilder sb = new StringBuilder("species,n,other\n");
    List<List<Object>> expected = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      String s = i % 7 == 3 ? null : species[(i * i) % species.length];
      sb.append(s == null ? "" : s).append(',').append(i).append(",o").append(i % 2).append('\n');
      expected.add(row(s, (long) i, "o" + (i % 2)));
    }
    CsvOptions o = CsvOptions.builder().dictionaryColumns("species").batchRows(10).build();
    try (CsvBatchSource src = csv(sb.toString(), o, allocator, BadRowHandler.FAIL)) {
      Field f = src.schema().getFields().get(0);
      assertThat(f.getType()).isEqualTo(new ArrowType.Int(32, true));
      assertThat(f.getDictionary()).isNotNull();
      assertThat(src.schema().getFields().get(2).getDictionary()).isNull();
      // First batch: rows 0..9, whose dictionary holds only the values seen in it, once each.
      try (VectorSchemaRoot b = src.next()) {
        Dictionary d = src.dictionaries().lookup(f.getDictionary().getId());
        VarCharVector dv = (VarCharVector) d.getVector();
        List<Object> entries = Batches.plain(dv);
        assertThat(entries).doesNotHaveDuplicates().doesNotContainNull();
        assertThat(entries)
            .containsExactlyInAnyOrder(
                expected.subList(0, 10).stream()
                    .map(r -> r.get(0))
                    .filter(x -> x != null)
                    .distinct()
                    .toArray());
        IntVector idx = (IntVector) b.getVector(0);
        assertThat(idx.isNull(3)).isTrue();
        assertThat(Batches.values(idx, src))
            .isEqualTo(expected.subList(0, 10).stream().map(r -> r.get(0)).toList());
      }
      Batches.Result rest = readAll(src);
      assertThat(rest.rows()).isEqualTo(expected.subList(10, 25));
      assertThat(rest.batchSizes()).containsExactly(10, 5);
      assertThat(src.dictionaries().getDictionaryIds()).isEmpty();
    }
    CsvOptions all = CsvOptions.builder().dictionaryEncodeStrings(true).build();
    try (CsvBatchSource src = csv(sb.toString(), all, allocator, BadRowHandler.FAIL)) {
      assertThat(src.schema().getFields())
          .extracting(x -> x.getDictionary() != null)
          .containsExactly(true, false, true);
      assertThat(readAll(src).rows()).isEqualTo(expected);
    }
  }

  @Test
  void rejectedRowsLeaveNoDictionaryEntries() throws IOException {
    StringBuilder sb = new StringBuilder("cat,n\n");
    List<Object> expectedCats = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      if (i % 3 == 0) {
        sb.append("rejected").append(i).append(",x\n"); // new category, then a bad int64
      }
      String cat = "c" + (i % 1500);
      sb.append(cat).append(',').append(i).append('\n');
      expectedCats.add(cat);
    }
    CsvOptions o =
        CsvOptions.builder()
            .dictionaryColumns("cat")
            .typeOverride("n", ColumnType.INT64)
            .batchRows(100_000)
            .build();
    try (CsvBatchSource src = csv(sb.toString(), o, allocator, collect)) {
      try (VectorSchemaRoot b = src.next()) {
        long id = src.schema().getFields().get(0).getDictionary().getId();
        List<Object> entries = Batches.plain(src.dictionaries().lookup(id).getVector());
        assertThat(entries).hasSize(1500).allSatisfy(e -> assertThat((String) e).startsWith("c"));
        assertThat(Batches.values(b.getVector(0), src)).isEqualTo(expectedCats);
      }
      assertThat(src.next()).isNull();
    }
    assertThat(badRows).hasSize(1000);
  }

  @Test
  void batchesSplitAtExactRowCounts() throws IOException {
    StringBuilder sb = new StringBuilder("i\n");
    for (int i = 0; i < 10; i++) {
      sb.append(i).append('\n');
    }
    sb.append("x\n"); // bad: not an int64 (the column is inferred from the first 10 rows)
    for (int i = 10; i < 17; i++) {
      sb.append(i).append('\n');
    }
    CsvOptions o = CsvOptions.builder().batchRows(4).inferRows(10).build();
    Batches.Result r = read(sb.toString(), o);
    assertThat(r.batchSizes()).containsExactly(4, 4, 4, 4, 1);
    assertThat(r.rows())
        .extracting(x -> x.get(0))
        .containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L, 13L, 14L, 15L, 16L);
    assertThat(badRows).extracting(BadRow::line).containsExactly(12L);
    CsvOptions exact = CsvOptions.builder().batchRows(5).build();
    assertThat(read("i\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", exact).batchSizes())
        .containsExactly(5, 5);
  }

  @Test
  void wideRows() throws IOException {
    int cols = 1000;
    StringBuilder sb = new StringBuilder();
    for (int c = 0; c < cols; c++) {
      sb.append(c == 0 ? "" : ",").append("col").append(c);
    }
    sb.append('\n');
    for (int r = 0; r < 50; r++) {
      for (int c = 0; c < cols; c++) {
        sb.append(c == 0 ? "" : ",");
        if (c % 3 == 0) {
          sb.append(r * cols + c);
        } else if (c % 3 == 1) {
          sb.append(r + c / 1000.0);
        } else {
          sb.append("s").append(r);
        }
      }
      sb.append('\n');
    }
    CsvOptions o = CsvOptions.builder().batchRows(16).build();
    try (CsvBatchSource src = csv(sb.toString(), o, allocator, BadRowHandler.FAIL)) {
      assertThat(src.schema().getFields()).hasSize(cols);
      Batches.Result r = readAll(src);
      assertThat(r.batchSizes()).containsExactly(16, 16, 16, 2);
      assertThat(r.rows().get(49).get(999)).isEqualTo(49L * cols + 999);
      assertThat(r.rows().get(49).get(998)).isEqualTo("s49");
      assertThat(r.rows().get(17).get(997)).isEqualTo(17 + 997 / 1000.0);
    }
  }

  @Test
  void longInputOfNumericColumns() throws IOException {
    int rows = 200_000;
    int cols = 10;
    StringBuilder sb = new StringBuilder(rows * 60);
    for (int c = 0; c < cols; c++) {
      sb.append(c == 0 ? "" : ",").append("f").append(c);
    }
    sb.append('\n');
    Random rnd = new Random(7);
    long expectedIntSum = 0;
    double expectedDoubleSum = 0;
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        if (c > 0) {
          sb.append(',');
        }
        if (c < 5) {
          int v = rnd.nextInt(2_000_000) - 1_000_000;
          expectedIntSum += v;
          sb.append(v);
        } else {
          double v = Math.round(rnd.nextGaussian() * 1e6) / 1e4;
          expectedDoubleSum += v;
          sb.append(v);
        }
      }
      sb.append('\n');
    }
    byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
    long bestNanos = Long.MAX_VALUE;
    for (int run = 0; run < 5; run++) {
      long t0 = System.nanoTime();
      long intSum = 0;
      double doubleSum = 0;
      long count = 0;
      try (CsvBatchSource src =
          CsvBatchSource.open(
              new ByteArrayInputStream(bytes),
              "long.csv",
              bytes.length,
              CsvOptions.defaults(),
              allocator,
              BadRowHandler.FAIL)) {
        VectorSchemaRoot next;
        while ((next = src.next()) != null) {
          try (VectorSchemaRoot b = next) {
            count += b.getRowCount();
            for (int c = 0; c < cols; c++) {
              for (int i = 0; i < b.getRowCount(); i++) {
                if (c < 5) {
                  intSum += ((BigIntVector) b.getVector(c)).get(i);
                } else {
                  doubleSum += ((Float8Vector) b.getVector(c)).get(i);
                }
              }
            }
          }
        }
        assertThat(src.rowsRead()).isEqualTo(rows);
        assertThat(src.bytesRead()).isEqualTo(bytes.length);
        assertThat(src.totalBytes()).isEqualTo(bytes.length);
      }
      bestNanos = Math.min(bestNanos, System.nanoTime() - t0);
      assertThat(count).isEqualTo(rows);
      assertThat(intSum).isEqualTo(expectedIntSum);
      assertThat(doubleSum).isCloseTo(expectedDoubleSum, org.assertj.core.data.Offset.offset(1e-3));
    }
    System.out.printf(
        "CSV: %d rows x %d numeric columns, best of 5: %.0f rows/s (%.1f MB/s)%n",
        rows, cols, rows / (bestNanos / 1e9), bytes.length / (bestNanos / 1e9) / 1e6);
  }

  @Test
  void failHandlerStopsWithFileLineAndReason() throws IOException {
    String text = "a,b,c\n1,2,3\n4,5\n6,7,8\n";
    try (CsvBatchSource src = csv(text, CsvOptions.defaults(), allocator, BadRowHandler.FAIL)) {
      assertThatThrownBy(src::next)
          .isInstanceOf(BadInputException.class)
          .hasMessage("data.csv:3: expected 3 fields but found 2")
          .satisfies(
              e ->
                  assertThat(((BadInputException) e).row())
                      .isEqualTo(
                          new BadRow("data.csv", 3, "4,5", "expected 3 fields but found 2")));
    }
  }

  @Test
  void collectingHandlerKeepsEveryGoodRowAndReportsLines() throws IOException {
    String text =
        "id,name,score\n" // 1
            + "1,alice,1.5\n" // 2
            + "2,\"bob\n" // 3
            + "the builder\",2.5\n" // 4
            + "3,carol\n" // 5 bad: 2 fields
            + "4,\"dave, \"\"jr\"\"\",4.5\n" // 6
            + "5,\"multi\n" // 7
            + "line\n" // 8
            + "note\",5.5\n" // 9
            + "6,eve,not-a-number,extra\n" // 10 bad: 4 fields
            + "7,frank,7.5\n"; // 11
    checkCollected(text, "\n");
    badRows.clear();
    checkCollected(text.replace("\n", "\r\n"), "\r\n");
  }

  private void checkCollected(String text, String nl) throws IOException {
    Batches.Result r = read(text, CsvOptions.defaults());
    assertThat(r.rows())
        .containsExactly(
            row(1L, "alice", 1.5),
            row(2L, "bob" + nl + "the builder", 2.5),
            row(4L, "dave, \"jr\"", 4.5),
            row(5L, "multi" + nl + "line" + nl + "note", 5.5),
            row(7L, "frank", 7.5));
    assertThat(badRows)
        .containsExactly(
            new BadRow("data.csv", 5, "3,carol", "expected 3 fields but found 2"),
            new BadRow(
                "data.csv", 10, "6,eve,not-a-number,extra", "expected 3 fields but found 4"));
  }

  @Test
  void typeMismatchAfterTheSampleNamesColumnTypeAndFix() throws IOException {
    StringBuilder sb = new StringBuilder("x,y\n");
    for (int i = 0; i < 10_000; i++) {
      sb.append(i).append(",\"q\n\"\n"); // every row spans two lines
    }
    sb.append("3.5,z\n");
    sb.append("10001,w\n");
    Batches.Result r = read(sb.toString(), CsvOptions.defaults());
    assertThat(r.rows()).hasSize(10_001);
    assertThat(r.rows().get(10_000)).isEqualTo(row(10001L, "w"));
    assertThat(badRows)
        .containsExactly(
            new BadRow(
                "data.csv",
                20_002,
                "3.5,z",
                "column 'x': '3.5' is not an int64 (inferred from the first 10000 rows;"
                    + " override with --type x=float64)"));
  }

  @Test
  void unterminatedQuoteAtEndOfInputIsABadRow() throws IOException {
    String text = "a,b\n1,x\n2,\"never\nclosed\n3,y\n";
    Batches.Result r = read(text, CsvOptions.defaults());
    assertThat(r.rows()).containsExactly(row(1L, "x"));
    assertThat(badRows)
        .containsExactly(
            new BadRow(
                "data.csv",
                3,
                "2,\"never\nclosed\n3,y\n",
                "column 'b': unterminated quoted field (the quote opened on line 3 is never"
                    + " closed)"));
  }

  @Test
  void headerOnlyAndEmptyInputsGiveNoBatches() throws IOException {
    try (CsvBatchSource src = csv("a,b\n", CsvOptions.defaults(), allocator, BadRowHandler.FAIL)) {
      assertThat(types(src)).containsExactly("Utf8", "Utf8");
      assertThat(src.next()).isNull();
      assertThat(src.next()).isNull();
    }
    try (CsvBatchSource src = csv("", CsvOptions.defaults(), allocator, BadRowHandler.FAIL)) {
      assertThat(src.schema().getFields()).isEmpty();
      assertThat(src.next()).isNull();
    }
  }

  /** Random fields with quotes, delimiters and line breaks, fed a few bytes at a time. */
  @Test
  void randomQuotedTextRoundTripsThroughTinyReads() throws IOException {
    Random rnd = new Random(1234);
    String alphabet = "ab,\"\n\r xé✓";
    StringBuilder sb = new StringBuilder("k,v,w\n");
    List<List<Object>> expected = new ArrayList<>();
    for (int r = 0; r < 3000; r++) {
      StringBuilder v = new StringBuilder();
      int len = rnd.nextInt(r % 100 == 0 ? 5000 : 12);
      for (int i = 0; i < len; i++) {
        v.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
      }
      String s = v.toString();
      sb.append(r).append(',');
      sb.append('"').append(s.replace("\"", "\"\"")).append('"');
      sb.append(",w").append(r);
      sb.append(rnd.nextBoolean() ? "\r\n" : "\n");
      expected.add(row((long) r, s.isEmpty() ? null : s, "w" + r));
    }
    byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
    Random chunks = new Random(99);
    InputStream trickle =
        new FilterInputStream(new ByteArrayInputStream(bytes)) {
          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            return super.read(b, off, Math.min(len, 1 + chunks.nextInt(7)));
          }
        };
    try (CsvBatchSource src =
        CsvBatchSource.open(
            trickle,
            "t.csv",
            bytes.length,
            CsvOptions.builder().batchRows(777).build(),
            allocator,
            BadRowHandler.FAIL)) {
      assertThat(readAll(src).rows()).isEqualTo(expected);
    }
  }

  @Test
  void opensFilesByPath(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("x.csv");
    Files.writeString(file, "a;b\n1;'x;y'\n");
    CsvOptions o = CsvOptions.builder().delimiter(';').quote('\'').build();
    try (CsvBatchSource src = CsvBatchSource.open(file, o, allocator, BadRowHandler.FAIL)) {
      assertThat(src.totalBytes()).isEqualTo(Files.size(file));
      assertThat(readAll(src).rows()).containsExactly(row(1L, "x;y"));
    }
    Path bad = dir.resolve("bad.csv");
    Files.writeString(bad, "a,b\n1,2\n3\n");
    try (CsvBatchSource src =
        CsvBatchSource.open(bad, CsvOptions.defaults(), allocator, BadRowHandler.FAIL)) {
      assertThatThrownBy(src::next).hasMessage(bad + ":3: expected 2 fields but found 1");
    }
  }

  @Test
  void optionsAreValidatedEagerly() {
    assertThatThrownBy(() -> CsvOptions.builder().delimiter('"').build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("delimiter and quote");
    assertThatThrownBy(() -> CsvOptions.builder().batchRows(0).build())
        .hasMessage("batchRows must be >= 1, got 0");
    assertThatThrownBy(() -> CsvOptions.builder().inferRows(-1).build())
        .hasMessage("inferRows must be >= 0, got -1");
    assertThatThrownBy(() -> CsvOptions.builder().delimiter('\n').build())
        .hasMessage("delimiter cannot be a line break");
    assertThatThrownBy(() -> CsvOptions.builder().columnNames("a", "b", "a").build())
        .hasMessage("column name 'a' is given twice");
    assertThatThrownBy(
            () ->
                CsvOptions.builder()
                    .columnNames("a", "b")
                    .typeOverride("c", ColumnType.INT64)
                    .build())
        .hasMessage(
            "type override for unknown column 'c' in the given column names; the columns are: a, b");
    assertThatThrownBy(
            () ->
                CsvOptions.builder()
                    .dictionaryColumns("a")
                    .typeOverride("a", ColumnType.INT64)
                    .build())
        .hasMessageContaining("column 'a' is to be dictionary-encoded");
    CsvOptions d = CsvOptions.defaults();
    assertThat(d.header()).isTrue();
    assertThat(d.delimiter()).isEqualTo(',');
    assertThat(d.quote()).isEqualTo('"');
    assertThat(d.nullTokens()).containsExactly("", "NA", "N/A", "null", "NULL");
    assertThat(d.inferRows()).isEqualTo(10_000);
    assertThat(d.batchRows()).isEqualTo(65_536);
    assertThat(d.toBuilder().delimiter('\t').build().delimiter()).isEqualTo('\t');
  }

  @Test
  void float32OverrideKeepsSinglePrecision() throws IOException {
    CsvOptions o = CsvOptions.builder().typeOverride("x", ColumnType.FLOAT32).build();
    try (CsvBatchSource src = csv("x\n0.1\n16777217\n1e-45\n", o, allocator, BadRowHandler.FAIL)) {
      assertThat(src.schema().getFields().get(0).getType())
          .isEqualTo(new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE));
      assertThat(readAll(src).rows()).containsExactly(row(0.1f), row(16777216f), row(1.4e-45f));
    }
  }
}
