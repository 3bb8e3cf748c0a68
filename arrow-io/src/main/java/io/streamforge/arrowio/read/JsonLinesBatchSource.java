package io.streamforge.arrowio.read;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Reads JSON lines (one JSON object per line, UTF-8) as Arrow batches.
 *
 * <p>The columns are the keys of the objects in the first {@link CsvOptions#inferRows()} lines, in
 * order of first appearance (or exactly {@link CsvOptions#columnNames()} when given). Each column
 * gets the narrowest type that holds all its sampled values: bool, int64 (integers), float64 (any
 * other number, or integers mixed with other numbers, or integers beyond the int64 range), else
 * string; a column with no values is a string column. Type overrides win over inference.
 *
 * <p>Nulls: JSON {@code null}, missing keys, and string values equal to one of {@link
 * CsvOptions#nullTokens()}. A string column stores numbers and bools as their JSON text and nested
 * objects or arrays as compact JSON; a number or bool column also accepts a string that parses as
 * its type (so overriding a column of numeric strings works).
 *
 * <p>Bad rows: a line that is not valid JSON or not a single object, a duplicate key, a key that is
 * not a column ({@code unknown field 'z'}) and a value of the wrong type. The CSV-syntax options
 * (header, delimiter, quote) do not apply. Dictionary columns work as in {@link CsvBatchSource}:
 * their dictionaries are per batch.
 */
public final class JsonLinesBatchSource implements BatchSource {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonFactory FACTORY = MAPPER.getFactory();

  private final String source;
  private final CountingInputStream counting;
  private final Reader reader;
  private final long totalBytes;
  private final BufferAllocator allocator;
  private final BadRowHandler handler;
  private final LineReader lines;
  private final NullTokens nulls;
  private final NumberParser parser = new NumberParser();
  private final int batchRows;
  private final BatchBuilder builder;
  private final ColumnBuffer[] columns;
  private final Map<String, Integer> index = new HashMap<>();
  private final int[] seen;
  private int stamp;
  private final long sampledRows;
  private final BatchDictionaries dictionaries = new BatchDictionaries();

  private final List<String> sample = new ArrayList<>();
  private final List<Long> sampleLines = new ArrayList<>();
  private int replay;

  private char[] lineArray;
  private int lineStart;
  private int lineEnd;
  private long lineNo;

  private long rowsRead;
  private boolean done;
  private boolean closed;

  private JsonLinesBatchSource(
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
    this.lines = new LineReader(reader);
    this.nulls = new NullTokens(options.nullTokens());
    this.batchRows = options.batchRows();

    List<String> given = options.columnNames();
    if (!given.isEmpty()) {
      options.checkColumns(given, source);
    }
    Map<String, TypeGuess> guesses = new LinkedHashMap<>();
    for (String name : given) {
      guesses.put(name, new TypeGuess());
    }
    long sampled = 0;
    List<Object> observed = new ArrayList<>();
    while (sampled < options.inferRows() && lines.next()) {
      sample.add(lines.text());
      sampleLines.add(lines.line());
      observed.clear();
      if (!sampleLine(lines.array(), lines.start(), lines.end(), observed)) {
        continue;
      }
      for (int i = 0; i < observed.size(); i += 2) {
        String key = (String) observed.get(i);
        ColumnType kind = (ColumnType) observed.get(i + 1);
        TypeGuess g = guesses.get(key);
        if (g == null) {
          if (!given.isEmpty()) {
            continue;
          }
          g = new TypeGuess();
          guesses.put(key, g);
        }
        if (kind != null) {
          g.observe(kind);
        }
      }
      sampled++;
    }
    this.sampledRows = sampled;
    List<String> names = new ArrayList<>(guesses.keySet());
    options.checkColumns(names, source);
    List<ColumnSpec> specs = new ArrayList<>(names.size());
    long nextId = 0;
    for (String name : names) {
      ColumnType override = options.typeOverrides().get(name);
      ColumnType type;
      if (override != null) {
        type = override;
      } else if (options.dictionaryColumns().contains(name)) {
        type = ColumnType.STRING;
      } else {
        type = guesses.get(name).result();
      }
      boolean dict = options.isDictionary(name, type);
      index.put(name, specs.size());
      specs.add(new ColumnSpec(name, type, dict ? nextId++ : -1, override != null));
    }
    this.builder = new BatchBuilder(specs, batchRows);
    this.columns = builder.columns;
    this.seen = new int[columns.length];
  }

  /** Opens a JSON-lines file. */
  public static JsonLinesBatchSource open(
      Path file, CsvOptions options, BufferAllocator allocator, BadRowHandler handler)
      throws IOException {
    long size = Files.size(file);
    return open(Files.newInputStream(file), file.toString(), size, options, allocator, handler);
  }

  /**
   * Reads JSON lines from a stream, which the source closes (also when opening fails).
   *
   * @param sourceName the name used in bad-row reports
   * @param totalBytes the stream's length when known, else -1
   */
  public static JsonLinesBatchSource open(
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
          return new JsonLinesBatchSource(in, sourceName, totalBytes, options, allocator, handler);
        });
  }

  /**
   * Collects (key, kind) pairs of one sample line into {@code out}; kind is null for a null value.
   *
   * @return false when the line is not a well-formed object (it is reported when read again)
   */
  private boolean sampleLine(char[] a, int start, int end, List<Object> out) throws IOException {
    try (JsonParser p = FACTORY.createParser(a, start, end - start)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return false;
      }
      JsonToken t;
      java.util.Set<String> keys = new java.util.HashSet<>();
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String key = p.currentName();
        if (!keys.add(key)) {
          return false;
        }
        t = p.nextToken();
        ColumnType kind =
            switch (t) {
              case VALUE_NULL -> null;
              case VALUE_TRUE, VALUE_FALSE -> ColumnType.BOOL;
              case VALUE_NUMBER_INT ->
                  p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                      ? ColumnType.FLOAT64
                      : ColumnType.INT64;
              case VALUE_NUMBER_FLOAT -> ColumnType.FLOAT64;
              case VALUE_STRING ->
                  nulls.matches(
                          p.getTextCharacters(),
                          p.getTextOffset(),
                          p.getTextOffset() + p.getTextLength())
                      ? null
                      : ColumnType.STRING;
              case START_OBJECT, START_ARRAY -> {
                p.skipChildren();
                yield ColumnType.STRING;
              }
              default -> throw new IllegalStateException("unexpected token " + t);
            };
        out.add(key);
        out.add(kind);
      }
      return t == JsonToken.END_OBJECT && p.nextToken() == null;
    } catch (JsonProcessingException e) {
      return false;
    }
  }

  @Override
  public Schema schema() {
    return builder.schema;
  }

  /** Dictionaries of the batch returned last; replaced by the next call to {@link #next()}. */
  @Override
  public DictionaryProvider dictionaries() {
    return dictionaries;
  }

  /** Lines sampled for type inference. */
  public long sampledRows() {
    return sampledRows;
  }

  private boolean nextLine() throws IOException {
    if (replay < sample.size()) {
      String s = sample.get(replay);
      lineArray = s.toCharArray();
      lineStart = 0;
      lineEnd = lineArray.length;
      lineNo = sampleLines.get(replay);
      sample.set(replay, null);
      replay++;
      return true;
    }
    if (!lines.next()) {
      return false;
    }
    lineArray = lines.array();
    lineStart = lines.start();
    lineEnd = lines.end();
    lineNo = lines.line();
    return true;
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
    int row = 0;
    while (row < batchRows) {
      if (!nextLine()) {
        done = true;
        break;
      }
      builder.markRow();
      String reason = parseRow(row);
      if (reason == null) {
        row++;
      } else {
        builder.rollbackRow();
        handler.onBadRow(
            new BadRow(
                source, lineNo, new String(lineArray, lineStart, lineEnd - lineStart), reason));
      }
    }
    if (row == 0) {
      return null;
    }
    VectorSchemaRoot root = builder.build(row, allocator, dictionaries.map());
    rowsRead += row;
    return root;
  }

  /** Parses the current line into {@code row}; returns null, or why the line is bad. */
  private String parseRow(int row) throws IOException {
    int s = ++stamp;
    try (JsonParser p = FACTORY.createParser(lineArray, lineStart, lineEnd - lineStart)) {
      JsonToken t = p.nextToken();
      if (t != JsonToken.START_OBJECT) {
        return "not a JSON object but " + describe(t);
      }
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String key = p.currentName();
        Integer col = index.get(key);
        if (col == null) {
          return "unknown field '" + key + "'";
        }
        if (seen[col] == s) {
          return "duplicate field '" + key + "'";
        }
        seen[col] = s;
        String reason = value(p, p.nextToken(), columns[col], row);
        if (reason != null) {
          return reason;
        }
      }
      if (p.nextToken() != null) {
        return "unexpected content after the JSON object";
      }
    } catch (JsonProcessingException e) {
      return "invalid JSON: " + e.getOriginalMessage();
    }
    for (int i = 0; i < columns.length; i++) {
      if (seen[i] != s) {
        columns[i].setNull(row);
      }
    }
    return null;
  }

  private String value(JsonParser p, JsonToken t, ColumnBuffer c, int row) throws IOException {
    ColumnType type = c.spec.type();
    switch (t) {
      case VALUE_NULL -> c.setNull(row);
      case VALUE_TRUE, VALUE_FALSE -> {
        boolean v = t == JsonToken.VALUE_TRUE;
        if (type == ColumnType.BOOL) {
          c.setBool(row, v);
        } else if (type == ColumnType.STRING) {
          setText(c, row, v ? "true" : "false");
        } else {
          return mismatch(c, v ? "true" : "false", ColumnType.BOOL);
        }
      }
      case VALUE_NUMBER_INT -> {
        boolean big = p.getNumberType() == JsonParser.NumberType.BIG_INTEGER;
        switch (type) {
          case INT64 -> {
            if (big) {
              return mismatch(c, p.getText(), ColumnType.FLOAT64);
            }
            c.setLong(row, p.getLongValue());
          }
          case FLOAT64 -> c.setDouble(row, p.getDoubleValue());
          case FLOAT32 -> c.setFloat(row, p.getFloatValue());
          case STRING -> setTextChars(c, row, p);
          case BOOL -> {
            return mismatch(c, p.getText(), big ? ColumnType.FLOAT64 : ColumnType.INT64);
          }
        }
      }
      case VALUE_NUMBER_FLOAT -> {
        switch (type) {
          case FLOAT64 -> c.setDouble(row, p.getDoubleValue());
          case FLOAT32 -> c.setFloat(row, p.getFloatValue());
          case STRING -> setTextChars(c, row, p);
          case INT64, BOOL -> {
            return mismatch(c, p.getText(), ColumnType.FLOAT64);
          }
        }
      }
      case VALUE_STRING -> {
        char[] a = p.getTextCharacters();
        int from = p.getTextOffset();
        int to = from + p.getTextLength();
        if (nulls.matches(a, from, to)) {
          c.setNull(row);
        } else if (!c.parse(row, a, from, to, parser)) {
          String text = new String(a, from, to - from);
          return mismatch(c, MAPPER.writeValueAsString(text), parser.kindOf(a, from, to));
        }
      }
      case START_OBJECT, START_ARRAY -> {
        if (type != ColumnType.STRING) {
          return mismatch(
              c, t == JsonToken.START_OBJECT ? "an object" : "an array", ColumnType.STRING);
        }
        setText(c, row, MAPPER.readTree(p).toString());
      }
      default -> throw new IllegalStateException("unexpected token " + t);
    }
    return null;
  }

  private String mismatch(ColumnBuffer c, String shown, ColumnType kind) {
    return c.spec.mismatch(shown, kind, sampledRows);
  }

  private static void setText(ColumnBuffer c, int row, String text) {
    char[] a = text.toCharArray();
    c.setChars(row, a, 0, a.length);
  }

  private static void setTextChars(ColumnBuffer c, int row, JsonParser p) throws IOException {
    char[] a = p.getTextCharacters();
    int from = p.getTextOffset();
    c.setChars(row, a, from, from + p.getTextLength());
  }

  private static String describe(JsonToken t) {
    if (t == null) {
      return "nothing";
    }
    return switch (t) {
      case START_ARRAY -> "an array";
      case VALUE_STRING -> "a string";
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
      case VALUE_TRUE, VALUE_FALSE -> "a boolean";
      case VALUE_NULL -> "null";
      default -> t.asString() == null ? t.name() : "'" + t.asString() + "'";
    };
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
