package io.streamforge.launcher.cli;

import io.streamforge.arrowio.dataset.DatasetPublisher;
import io.streamforge.arrowio.dataset.DatasetPublisher.OnError;
import io.streamforge.arrowio.read.BadRowHandler;
import io.streamforge.arrowio.read.BatchSource;
import io.streamforge.arrowio.read.BatchSources;
import io.streamforge.arrowio.read.ColumnType;
import io.streamforge.arrowio.read.CsvOptions;
import io.streamforge.arrowio.read.InputFormat;
import io.streamforge.arrowio.read.ReadOptions;
import io.streamforge.launcher.UserException;
import io.streamforge.schemas.arrow.Allocators;
import io.streamforge.schemas.arrow.Compression;
import io.streamforge.schemas.records.DatasetManifest;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.pojo.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code streamforge publish FILE --dataset NAME ...}. */
@Command(
    name = "publish",
    mixinStandardHelpOptions = true,
    description = {
      "Streams a CSV, TSV, JSON-lines or Arrow file to datasets.NAME as Arrow batches, as a new"
          + " version, and seals it in dataset.manifests once every batch is acknowledged.",
      "A bad row stops the publish with file, line and reason (exit 1), unless --on-error dlq."
    })
public final class PublishCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(PublishCommand.class);

  @Mixin ConnectionOptions connection;

  @Parameters(index = "0", paramLabel = "FILE", description = "The file to publish.")
  Path file;

  @Option(names = "--dataset", required = true, description = "Dataset name (topic datasets.NAME).")
  String dataset;

  @Option(
      names = "--label",
      description = "Label column (checked to exist, recorded in the manifest).")
  String label;

  @Option(
      names = "--no-header",
      description = "The CSV has no header row (columns are c0, c1, ... unless --columns).")
  boolean noHeader;

  @Option(
      names = "--columns",
      split = ",",
      paramLabel = "NAME",
      description = "Column names for a file without header.")
  List<String> columns;

  @Option(
      names = "--batch-rows",
      defaultValue = "16384",
      description =
          "Rows per Arrow batch (default ${DEFAULT-VALUE}: a few MB for typical widths, which"
              + " pipelines compression and sending best; see docs/benchmarks.md).")
  int batchRows;

  @Option(
      names = "--codec",
      defaultValue = "zstd",
      description = "Arrow buffer compression: zstd or none (default ${DEFAULT-VALUE}).")
  String codec;

  @Option(
      names = "--on-error",
      defaultValue = "fail",
      description =
          "Bad rows: fail (stop, exit 1) or dlq (send to datasets.NAME.dlq and go on); default ${DEFAULT-VALUE}.")
  String onError;

  @Option(
      names = "--format",
      defaultValue = "auto",
      description = "csv, tsv, jsonl or arrow (default: from the file name).")
  String format;

  @Option(
      names = "--delimiter",
      description = "Field delimiter for CSV (default ',' or tab for .tsv).")
  Character delimiter;

  @Option(
      names = "--type",
      paramLabel = "COL=TYPE",
      description = "Column type override, repeatable: bool, int64, float32, float64, string.")
  Map<String, String> types = new LinkedHashMap<>();

  @Option(
      names = "--dictionary",
      split = ",",
      paramLabel = "COL",
      description = "String columns to dictionary-encode.")
  List<String> dictionary = new ArrayList<>();

  @Option(names = "--dictionary-strings", description = "Dictionary-encode every string column.")
  boolean dictionaryStrings;

  @Option(
      names = "--null-values",
      split = ",",
      paramLabel = "TOKEN",
      description = "Tokens read as null (default: empty, NA, N/A, null, NULL).")
  List<String> nullValues;

  @Option(
      names = "--infer-rows",
      defaultValue = "10000",
      description = "Rows sampled to infer column types (default ${DEFAULT-VALUE}).")
  int inferRows;

  @Option(
      names = "--partitions",
      defaultValue = "3",
      description = "Partitions of datasets.NAME when it is created (default ${DEFAULT-VALUE}).")
  int partitions;

  @Option(
      names = "--throttle",
      paramLabel = "ROWS_PER_SEC",
      description = "Publish at most this many rows per second (spares a shared cluster).")
  Long throttle;

  @Override
  public Integer call() throws Exception {
    DatasetPublisher.Result result = publish(System.err);
    DatasetManifest m = result.manifest();
    double seconds = result.elapsed().toNanos() / 1e9;
    System.out.printf(
        "published %s version %d: %,d rows in %d batches (%d bad rows) to datasets.%s in %.2f s"
            + " (%,.0f rows/s, %.1f MB/s on the wire); sealed with content hash %s%n",
        m.dataset(),
        m.version(),
        m.rowCount(),
        m.batchCount(),
        m.badRows(),
        m.dataset(),
        seconds,
        m.rowCount() / Math.max(seconds, 1e-9),
        result.bytesSent() / 1e6 / Math.max(seconds, 1e-9),
        m.contentHash().substring(0, 16));
    return 0;
  }

  /** Publishes with a progress bar on {@code progressOut}; used by {@code demo} too. */
  DatasetPublisher.Result publish(PrintStream progressOut) throws IOException {
    if (!Files.isReadable(file)) {
      throw new UserException("cannot read " + file + ": no such file or not readable");
    }
    DatasetPublisher.Options options =
        DatasetPublisher.Options.defaults(dataset)
            .withLabel(label)
            .withCompression(Compression.parse(codec))
            .withPartitions(partitions)
            .withOnError(parseOnError(onError));
    CsvOptions csv = csvOptions();
    InputFormat fmt = parseFormat(format);
    log.info(
        "configuration: file={}, dataset={}, label={}, format={}, codec={}, on-error={},"
            + " batch-rows={}, partitions={}, {}",
        file,
        dataset,
        label,
        format,
        options.compression(),
        options.onError(),
        batchRows,
        partitions,
        connection.describe());
    ProgressBar bar = new ProgressBar(dataset, progressOut, System.console() != null);
    long size = Files.size(file);
    try (BufferAllocator allocator = Allocators.child("publish " + dataset)) {
      DatasetPublisher.Result result =
          new DatasetPublisher(connection.clients())
              .publish(
                  (BadRowHandler handler) -> {
                    try {
                      BatchSource source =
                          BatchSources.open(file, allocator, new ReadOptions(fmt, csv, handler));
                      return throttle == null ? source : new Throttled(source, throttle);
                    } catch (IOException e) {
                      throw new UserException("cannot read " + file + ": " + e.getMessage(), e);
                    }
                  },
                  file.getFileName().toString(),
                  options,
                  bar);
      bar.finish(result.manifest().rowCount(), result.manifest().badRows(), size, size);
      return result;
    }
  }

  private CsvOptions csvOptions() {
    CsvOptions.Builder b =
        CsvOptions.builder().header(!noHeader).batchRows(batchRows).inferRows(inferRows);
    if (delimiter != null) {
      b.delimiter(delimiter);
    }
    if (columns != null && !columns.isEmpty()) {
      b.columnNames(columns);
    }
    types.forEach((col, type) -> b.typeOverride(col, ColumnType.parse(type)));
    if (!dictionary.isEmpty()) {
      b.dictionaryColumns(dictionary);
    }
    b.dictionaryEncodeStrings(dictionaryStrings);
    if (nullValues != null) {
      b.nullTokens(nullValues);
    }
    return b.build();
  }

  private static InputFormat parseFormat(String text) {
    return switch (text.toLowerCase(java.util.Locale.ROOT)) {
      case "auto" -> null;
      case "csv" -> InputFormat.CSV;
      case "tsv" -> InputFormat.TSV;
      case "jsonl", "json", "ndjson" -> InputFormat.JSON_LINES;
      case "arrow", "ipc", "feather" -> InputFormat.ARROW;
      default ->
          throw new IllegalArgumentException(
              "--format must be auto, csv, tsv, jsonl or arrow, not '" + text + "'");
    };
  }

  private static OnError parseOnError(String text) {
    return switch (text.toLowerCase(java.util.Locale.ROOT)) {
      case "fail" -> OnError.FAIL;
      case "dlq" -> OnError.DLQ;
      default ->
          throw new IllegalArgumentException("--on-error must be fail or dlq, not '" + text + "'");
    };
  }

  /** Limits a source to a number of rows per second. */
  private static final class Throttled implements BatchSource {
    private final BatchSource source;
    private final long rowsPerSecond;
    private final long start = System.nanoTime();

    Throttled(BatchSource source, long rowsPerSecond) {
      if (rowsPerSecond < 1) {
        throw new IllegalArgumentException("--throttle must be >= 1 row per second");
      }
      this.source = source;
      this.rowsPerSecond = rowsPerSecond;
    }

    @Override
    public Schema schema() {
      return source.schema();
    }

    @Override
    public DictionaryProvider dictionaries() {
      return source.dictionaries();
    }

    @Override
    public VectorSchemaRoot next() throws IOException {
      long due = start + source.rowsRead() * 1_000_000_000L / rowsPerSecond;
      long wait = due - System.nanoTime();
      if (wait > 0) {
        try {
          Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted", e);
        }
      }
      return source.next();
    }

    @Override
    public long rowsRead() {
      return source.rowsRead();
    }

    @Override
    public long bytesRead() {
      return source.bytesRead();
    }

    @Override
    public long totalBytes() {
      return source.totalBytes();
    }

    @Override
    public void close() throws IOException {
      source.close();
    }
  }
}
