package io.streamforge.arrowio.read;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.pojo.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads CSV (RFC 4180, UTF-8) as Arrow batches.
 *
 * <p><b>Syntax.</b> Quoted fields may contain delimiters, doubled quotes and line breaks; CRLF, LF
 * and CR line breaks are accepted; a byte-order mark at the start is skipped; the last line may
 * lack a line break; empty lines are skipped. Reading is lenient where RFC 4180 is silent: a quote
 * inside an unquoted field is kept as an ordinary character, and text after a closing quote is
 * appended to the field.
 *
 * <p><b>Columns.</b> With {@link CsvOptions#header()} the first non-empty line names the columns
 * (blank names become {@code c<i>}, a repeated name gets a {@code _2}, {@code _3}... suffix);
 * {@link CsvOptions#columnNames()} replaces those names, or names the columns when there is no
 * header; otherwise columns are {@code c0..cN-1}, N taken from the first row.
 *
 * <p><b>Types.</b> The first {@link CsvOptions#inferRows()} rows are buffered and each column gets
 * the narrowest type that holds all its non-missing values: bool ({@code true}/{@code false}, any
 * case), int64, float64 (decimal notation, also {@code NaN}, {@code Infinity}, {@code inf}), else
 * string; a column with no values is a string column. Type overrides win over inference. Numbers
 * and bools may have surrounding spaces; a bool column also accepts {@code 1}/{@code 0}. Fields
 * equal to one of {@link CsvOptions#nullTokens()} (quoted or not) are nulls.
 *
 * <p><b>Dictionaries.</b> Dictionary-encoded string columns are int32 indices into a dictionary
 * that is built afresh for every batch: {@link #dictionaries()} holds the dictionaries of the batch
 * returned last and is replaced (and its vectors freed) by the next call to {@link #next()} or by
 * {@link #close()}. Copy a dictionary (or decode the column) to keep it longer.
 *
 * <p><b>Bad rows</b> (wrong field count, unterminated quote at the end of input, a value that does
 * not fit its column's type) go to the {@link BadRowHandler} with the 1-based line where the row
 * starts and its raw text; a handler that returns normally skips the row. Rows of the inference
 * sample are reported when they are read for the first batch. After a handler throws, the source
 * can only be closed.
 */
public final class CsvBatchSource implements BatchSource {
  private static final Logger log = LoggerFactory.getLogger(CsvBatchSource.class);

  private final String source;
  private final CountingInputStream counting;
  private final Reader reader;
  private final long totalBytes;
  private final BufferAllocator allocator;
  private final BadRowHandler handler;
  private final CsvTokenizer tok;
  private final NullTokens nulls;
  private final NumberParser parser = new NumberParser();
  private final int batchRows;
  private final BatchBuilder builder;
  private final ColumnBuffer[] columns;
  private final long sampledRows;
  private final BatchDictionaries dictionaries = new BatchDictionaries();

  private long rowsRead;
  private boolean done;
  private boolean closed;

  private CsvBatchSource(
      InputStream in,
      String source,
      long totalBytes,
      CsvOptions options,
      BufferAllocator allocator,
      BadRowHandler handler)
      throws IOException {
    this.source = source;
    this.totalBytes = totalBytes;
    this.allocator = allocator;
    this.handler = handler;
    this.counting = new CountingInputStream(in);
    this.reader = new InputStreamReader(counting, StandardCharsets.UTF_8);
    this.tok = new CsvTokenizer(reader, options.delimiter(), options.quote());
    this.nulls = new NullTokens(options.nullTokens());
    this.batchRows = options.batchRows();

    List<String> names = readNames(options);
    tok.mark();
    int n = names == null ? -1 : names.size();
    TypeGuess[] guesses = null;
    boolean[] infer = null;
    long sampled = 0;
    int inferRows = options.inferRows();
    while ((sampled < inferRows || n < 0) && tok.nextRecord()) {
      if (tok.unterminated()) {
        continue;
      }
      if (n < 0) {
        n = tok.fieldCount();
        names = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          names.add("c" + i);
        }
        options.checkColumns(names, source);
      }
      if (guesses == null) {
        guesses = new TypeGuess[n];
        infer = new boolean[n];
        for (int i = 0; i < n; i++) {
          guesses[i] = new TypeGuess();
          String name = names.get(i);
          infer[i] =
              !options.typeOverrides().containsKey(name)
                  && !options.dictionaryColumns().contains(name);
        }
      }
      if (tok.fieldCount() != n || sampled >= inferRows) {
        continue;
      }
      for (int i = 0; i < n; i++) {
        TypeGuess g = guesses[i];
        if (infer[i] && g.open()) {
          char[] a = tok.array(i);
          int s = tok.start(i);
          int e = tok.end(i);
          if (!nulls.matches(a, s, e)) {
            g.observe(a, s, e, parser);
          }
        }
      }
      sampled++;
    }
    tok.rewind();
    if (names == null) {
      names = List.of();
    }
    this.sampledRows = sampled;
    List<ColumnSpec> specs = new ArrayList<>(names.size());
    long nextId = 0;
    for (int i = 0; i < names.size(); i++) {
      String name = names.get(i);
      ColumnType override = options.typeOverrides().get(name);
      ColumnType type;
      if (override != null) {
        type = override;
      } else if (options.dictionaryColumns().contains(name) || guesses == null) {
        type = ColumnType.STRING;
      } else {
        type = guesses[i].result();
      }
      boolean dict = options.isDictionary(name, type);
      specs.add(new ColumnSpec(name, type, dict ? nextId++ : -1, override != null));
    }
    this.builder = new BatchBuilder(specs, batchRows);
    this.columns = builder.columns;
  }

  /**
   * Opens a CSV file.
   *
   * @throws IllegalArgumentException when the options do not fit the file (e.g. an override names a
   *     column it does not have)
   * @throws BadInputException when the header cannot be read
   */
  public static CsvBatchSource open(
      Path file, CsvOptions options, BufferAllocator allocator, BadRowHandler handler)
      throws IOException {
    long size = Files.size(file);
    return open(Files.newInputStream(file), file.toString(), size, options, allocator, handler);
  }

  /**
   * Reads CSV from a stream, which the source closes (also when opening fails).
   *
   * @param sourceName the name used in bad-row reports
   * @param totalBytes the stream's length when known, else -1
   */
  public static CsvBatchSource open(
      InputStream in,
      String sourceName,
      long totalBytes,
      CsvOptions options,
      BufferAllocator allocator,
      BadRowHandler handler)
      throws IOException {
    return Streams.closeOnFailure(
        in,
        () -> {
          Objects.requireNonNull(sourceName, "sourceName");
          Objects.requireNonNull(options, "options");
          Objects.requireNonNull(allocator, "allocator");
          Objects.requireNonNull(handler, "handler");
          return new CsvBatchSource(in, sourceName, totalBytes, options, allocator, handler);
        });
  }

  private List<String> readNames(CsvOptions options) throws IOException {
    List<String> given = options.columnNames().isEmpty() ? null : options.columnNames();
    if (!options.header()) {
      if (given != null) {
        options.checkColumns(given, source);
      }
      return given;
    }
    if (!tok.nextRecord()) {
      if (given != null) {
        options.checkColumns(given, source);
        return given;
      }
      options.checkColumns(List.of(), source);
      return List.of();
    }
    if (tok.unterminated()) {
      throw new BadInputException(
          new BadRow(
              source,
              tok.recordLine(),
              tok.raw(),
              "unterminated quote in the header (opened on line " + tok.quoteLine() + ")"));
    }
    int n = tok.fieldCount();
    List<String> names;
    if (given != null) {
      if (given.size() != n) {
        throw new IllegalArgumentException(
            source
                + " has "
                + n
                + " columns in its header but "
                + given.size()
                + " column names were given");
      }
      names = given;
    } else {
      names = new ArrayList<>(n);
      Map<String, Integer> seen = new HashMap<>();
      for (int i = 0; i < n; i++) {
        String name = tok.field(i).strip();
        if (name.isEmpty()) {
          name = "c" + i;
        }
        String base = name;
        int k = 1;
        while (seen.containsKey(name)) {
          name = base + "_" + (++k);
        }
        if (k > 1) {
          log.warn("{}: column name '{}' repeats; column {} is named '{}'", source, base, i, name);
        }
        seen.put(name, i);
        names.add(name);
      }
    }
    options.checkColumns(names, source);
    return names;
  }

  @Override
  public Schema schema() {
    return builder.schema;
  }

  /** Dictionaries of the batch returned last; see the class documentation. */
  @Override
  public DictionaryProvider dictionaries() {
    return dictionaries;
  }

  /** Rows sampled for type inference. */
  public long sampledRows() {
    return sampledRows;
  }

  @Override
  public VectorSchemaRoot next() throws IOException {
    if (closed) {
      throw new IllegalStateException(source + " is closed");
    }
    dictionaries.close();
    if (done) {
      return null;
    }
    int n = columns.length;
    int row = 0;
    while (row < batchRows) {
      if (!tok.nextRecord()) {
        done = true;
        break;
      }
      if (tok.unterminated()) {
        int f = tok.unterminatedField();
        String where = f < n ? "column '" + columns[f].spec.name() + "'" : "field " + (f + 1);
        bad(
            where
                + ": unterminated quoted field (the quote opened on line "
                + tok.quoteLine()
                + " is never closed)");
        continue;
      }
      int count = tok.fieldCount();
      if (count != n) {
        bad("expected " + n + (n == 1 ? " field" : " fields") + " but found " + count);
        continue;
      }
      if (parseRow(row)) {
        row++;
      }
    }
    if (row == 0) {
      return null;
    }
    VectorSchemaRoot root = builder.build(row, allocator, dictionaries.map());
    rowsRead += row;
    return root;
  }

  private boolean parseRow(int row) {
    CsvTokenizer t = tok;
    builder.markRow();
    for (int i = 0; i < columns.length; i++) {
      char[] a = t.array(i);
      int s = t.start(i);
      int e = t.end(i);
      ColumnBuffer c = columns[i];
      if (nulls.matches(a, s, e)) {
        c.setNull(row);
      } else if (!c.parse(row, a, s, e, parser)) {
        builder.rollbackRow();
        ColumnSpec spec = c.spec;
        bad(
            spec.mismatch(
                ColumnSpec.shown(new String(a, s, e - s)), parser.kindOf(a, s, e), sampledRows));
        return false;
      }
    }
    return true;
  }

  private void bad(String reason) {
    handler.onBadRow(new BadRow(source, tok.recordLine(), tok.raw(), reason));
  }

  @Override
  public long rowsRead() {
    return rowsRead;
  }

  @Override
  public long bytesRead() {
    return counting.count();
  }

  @Override
  public long totalBytes() {
    return totalBytes;
  }

  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    dictionaries.close();
    reader.close();
  }
}
