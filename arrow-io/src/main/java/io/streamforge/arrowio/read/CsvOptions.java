package io.streamforge.arrowio.read;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Options for the text readers: {@link CsvBatchSource} and, for the parts that are not CSV syntax
 * (column names, type overrides, dictionary columns, null tokens, inference and batch sizes),
 * {@link JsonLinesBatchSource}. Immutable; build with {@link #builder()}. Every setting is checked
 * when {@link Builder#build()} is called; settings that need the file's columns (type overrides and
 * dictionary columns naming a column that does not exist) are checked as soon as the columns are
 * known.
 */
public final class CsvOptions {
  /** Tokens read as missing values by default. */
  public static final List<String> DEFAULT_NULL_TOKENS = List.of("", "NA", "N/A", "null", "NULL");

  public static final int DEFAULT_INFER_ROWS = 10_000;
  public static final int DEFAULT_BATCH_ROWS = 65_536;

  private static final CsvOptions DEFAULTS = builder().build();

  private final boolean header;
  private final char delimiter;
  private final char quote;
  private final List<String> columnNames;
  private final Map<String, ColumnType> typeOverrides;
  private final Set<String> dictionaryColumns;
  private final boolean dictionaryEncodeStrings;
  private final Set<String> nullTokens;
  private final int inferRows;
  private final int batchRows;

  private CsvOptions(Builder b) {
    this.header = b.header;
    this.delimiter = b.delimiter;
    this.quote = b.quote;
    this.columnNames = List.copyOf(b.columnNames);
    this.typeOverrides = Collections.unmodifiableMap(new LinkedHashMap<>(b.typeOverrides));
    this.dictionaryColumns = Collections.unmodifiableSet(new LinkedHashSet<>(b.dictionaryColumns));
    this.dictionaryEncodeStrings = b.dictionaryEncodeStrings;
    this.nullTokens = Collections.unmodifiableSet(new LinkedHashSet<>(b.nullTokens));
    this.inferRows = b.inferRows;
    this.batchRows = b.batchRows;
  }

  /** Header row, ',' delimiter, '"' quote, {@link #DEFAULT_NULL_TOKENS}, 10,000 inference rows. */
  public static CsvOptions defaults() {
    return DEFAULTS;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding these options, to derive changed copies. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.header = header;
    b.delimiter = delimiter;
    b.quote = quote;
    b.columnNames.addAll(columnNames);
    b.typeOverrides.putAll(typeOverrides);
    b.dictionaryColumns.addAll(dictionaryColumns);
    b.dictionaryEncodeStrings = dictionaryEncodeStrings;
    b.nullTokens.clear();
    b.nullTokens.addAll(nullTokens);
    b.inferRows = inferRows;
    b.batchRows = batchRows;
    return b;
  }

  /** Whether the first non-empty line holds the column names (CSV only). */
  public boolean header() {
    return header;
  }

  /** Field delimiter (CSV only). */
  public char delimiter() {
    return delimiter;
  }

  /** Quote character (CSV only). */
  public char quote() {
    return quote;
  }

  /**
   * Explicit column names, empty when not given. For CSV without a header they name the columns
   * (otherwise {@code c0..cN-1}); with a header they replace the header's names. For JSON lines
   * they fix the columns and their order instead of the keys found while sampling.
   */
  public List<String> columnNames() {
    return columnNames;
  }

  /** Column types that replace the inferred ones, by column name. */
  public Map<String, ColumnType> typeOverrides() {
    return typeOverrides;
  }

  /** String columns to dictionary-encode, by name. */
  public Set<String> dictionaryColumns() {
    return dictionaryColumns;
  }

  /** Whether every string column is dictionary-encoded. */
  public boolean dictionaryEncodeStrings() {
    return dictionaryEncodeStrings;
  }

  /** Field values read as missing (Arrow null). */
  public Set<String> nullTokens() {
    return nullTokens;
  }

  /** How many rows are sampled to infer column types. */
  public int inferRows() {
    return inferRows;
  }

  /** The most rows a batch holds. */
  public int batchRows() {
    return batchRows;
  }

  /** Whether column {@code name} is dictionary-encoded, given its final type. */
  boolean isDictionary(String name, ColumnType type) {
    return type == ColumnType.STRING
        && (dictionaryEncodeStrings || dictionaryColumns.contains(name));
  }

  /**
   * Checks that every column named by a type override or a dictionary setting exists.
   *
   * @throws IllegalArgumentException naming the missing column and listing the real ones
   */
  void checkColumns(List<String> actual, String source) {
    Set<String> known = new HashSet<>(actual);
    for (String name : typeOverrides.keySet()) {
      if (!known.contains(name)) {
        throw new IllegalArgumentException(
            "type override for unknown column '"
                + name
                + "' in "
                + source
                + "; the columns are: "
                + listNames(actual));
      }
    }
    for (String name : dictionaryColumns) {
      if (!known.contains(name)) {
        throw new IllegalArgumentException(
            "dictionary encoding for unknown column '"
                + name
                + "' in "
                + source
                + "; the columns are: "
                + listNames(actual));
      }
    }
  }

  static String listNames(List<String> names) {
    if (names.isEmpty()) {
      return "(none)";
    }
    StringBuilder sb = new StringBuilder();
    int shown = Math.min(names.size(), 50);
    for (int i = 0; i < shown; i++) {
      if (i > 0) {
        sb.append(", ");
      }
      sb.append(names.get(i));
    }
    if (shown < names.size()) {
      sb.append(", ... (").append(names.size()).append(" in all)");
    }
    return sb.toString();
  }

  @Override
  public String toString() {
    return "CsvOptions{header="
        + header
        + ", delimiter="
        + printable(delimiter)
        + ", quote="
        + printable(quote)
        + ", columnNames="
        + columnNames
        + ", typeOverrides="
        + typeOverrides
        + ", dictionaryColumns="
        + dictionaryColumns
        + ", dictionaryEncodeStrings="
        + dictionaryEncodeStrings
        + ", nullTokens="
        + nullTokens
        + ", inferRows="
        + inferRows
        + ", batchRows="
        + batchRows
        + "}";
  }

  private static String printable(char c) {
    return switch (c) {
      case '\t' -> "'\\t'";
      case '\n' -> "'\\n'";
      case '\r' -> "'\\r'";
      default -> "'" + c + "'";
    };
  }

  /** Builder for {@link CsvOptions}; {@link #build()} validates. */
  public static final class Builder {
    private boolean header = true;
    private char delimiter = ',';
    private char quote = '"';
    private final List<String> columnNames = new ArrayList<>();
    private final Map<String, ColumnType> typeOverrides = new LinkedHashMap<>();
    private final Set<String> dictionaryColumns = new LinkedHashSet<>();
    private boolean dictionaryEncodeStrings;
    private final Set<String> nullTokens = new LinkedHashSet<>(DEFAULT_NULL_TOKENS);
    private int inferRows = DEFAULT_INFER_ROWS;
    private int batchRows = DEFAULT_BATCH_ROWS;

    private Builder() {}

    public Builder header(boolean header) {
      this.header = header;
      return this;
    }

    public Builder delimiter(char delimiter) {
      this.delimiter = delimiter;
      return this;
    }

    public Builder quote(char quote) {
      this.quote = quote;
      return this;
    }

    /** Replaces the explicit column names. */
    public Builder columnNames(List<String> names) {
      Objects.requireNonNull(names, "names");
      columnNames.clear();
      columnNames.addAll(names);
      return this;
    }

    public Builder columnNames(String... names) {
      return columnNames(List.of(names));
    }

    /** Sets the type of column {@code name}, replacing inference. */
    public Builder typeOverride(String name, ColumnType type) {
      typeOverrides.put(name, type);
      return this;
    }

    /** Adds type overrides. */
    public Builder typeOverrides(Map<String, ColumnType> overrides) {
      overrides.forEach(this::typeOverride);
      return this;
    }

    /** Adds string columns to dictionary-encode. */
    public Builder dictionaryColumns(Collection<String> names) {
      dictionaryColumns.addAll(names);
      return this;
    }

    public Builder dictionaryColumns(String... names) {
      return dictionaryColumns(List.of(names));
    }

    /** Dictionary-encodes every string column. */
    public Builder dictionaryEncodeStrings(boolean all) {
      this.dictionaryEncodeStrings = all;
      return this;
    }

    /** Replaces the null tokens (an empty collection: no value is read as missing). */
    public Builder nullTokens(Collection<String> tokens) {
      Objects.requireNonNull(tokens, "tokens");
      nullTokens.clear();
      nullTokens.addAll(tokens);
      return this;
    }

    public Builder nullTokens(String... tokens) {
      return nullTokens(List.of(tokens));
    }

    /** Rows sampled for type inference; 0 makes every column not overridden a string column. */
    public Builder inferRows(int rows) {
      this.inferRows = rows;
      return this;
    }

    /** The most rows per batch (at least 1). */
    public Builder batchRows(int rows) {
      this.batchRows = rows;
      return this;
    }

    /**
     * Validates and builds.
     *
     * @throws IllegalArgumentException naming the offending setting
     */
    public CsvOptions build() {
      if (delimiter == '\n' || delimiter == '\r') {
        throw new IllegalArgumentException("delimiter cannot be a line break");
      }
      if (quote == '\n' || quote == '\r') {
        throw new IllegalArgumentException("quote cannot be a line break");
      }
      if (delimiter == quote) {
        throw new IllegalArgumentException(
            "delimiter and quote are both '" + delimiter + "'; they must differ");
      }
      if (inferRows < 0) {
        throw new IllegalArgumentException("inferRows must be >= 0, got " + inferRows);
      }
      if (batchRows < 1) {
        throw new IllegalArgumentException("batchRows must be >= 1, got " + batchRows);
      }
      Set<String> seen = new HashSet<>();
      for (String name : columnNames) {
        if (name == null || name.isEmpty()) {
          throw new IllegalArgumentException("column names must not be null or empty");
        }
        if (!seen.add(name)) {
          throw new IllegalArgumentException("column name '" + name + "' is given twice");
        }
      }
      for (Map.Entry<String, ColumnType> e : typeOverrides.entrySet()) {
        if (e.getKey() == null || e.getKey().isEmpty()) {
          throw new IllegalArgumentException("a type override has no column name");
        }
        if (e.getValue() == null) {
          throw new IllegalArgumentException(
              "type override for column '" + e.getKey() + "' has no type");
        }
      }
      for (String name : dictionaryColumns) {
        if (name == null || name.isEmpty()) {
          throw new IllegalArgumentException("a dictionary column has no name");
        }
        ColumnType t = typeOverrides.get(name);
        if (t != null && t != ColumnType.STRING) {
          throw new IllegalArgumentException(
              "column '"
                  + name
                  + "' is to be dictionary-encoded, which needs a string column, but its type"
                  + " override is "
                  + t.name().toLowerCase(java.util.Locale.ROOT));
        }
      }
      for (String token : nullTokens) {
        if (token == null) {
          throw new IllegalArgumentException("null tokens must not contain null");
        }
      }
      CsvOptions options = new CsvOptions(this);
      if (!columnNames.isEmpty()) {
        options.checkColumns(columnNames, "the given column names");
      }
      return options;
    }
  }
}
