package io.streamforge.launcher.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streamforge.arrowio.dataset.DatasetPublisher;
import io.streamforge.arrowio.dataset.DatasetReader;
import io.streamforge.arrowio.dataset.KafkaClients;
import io.streamforge.arrowio.read.BatchSource;
import io.streamforge.arrowio.synthetic.SyntheticBatchSource;
import io.streamforge.arrowio.tensor.TensorConverter;
import io.streamforge.launcher.broker.EmbeddedBroker;
import io.streamforge.schemas.TopicAdmin;
import io.streamforge.schemas.Topics;
import io.streamforge.schemas.arrow.Allocators;
import io.streamforge.schemas.arrow.Compression;
import io.streamforge.schemas.records.DatasetManifest;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code streamforge bench dataset}: publish and read-to-tensor throughput on an embedded broker,
 * Arrow batches (ZSTD and uncompressed) against one JSON record per row, all in one run.
 */
@Command(
    name = "dataset",
    mixinStandardHelpOptions = true,
    description = {
      "Benchmarks dataset publishing and reading on a fresh embedded broker, in one run:",
      "Arrow batches with ZSTD and without compression, against the same rows sent as one JSON"
          + " record per row; then reading each Arrow version back into dense float tensors.",
      "Each figure is the median of --repeat runs; data generation is outside the timings."
    })
public final class BenchDatasetCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(BenchDatasetCommand.class);

  @Option(
      names = "--rows",
      defaultValue = "1000000",
      description = "Rows (default ${DEFAULT-VALUE}).")
  int rows;

  @Option(
      names = "--features",
      defaultValue = "32",
      description = "float32 feature columns (default ${DEFAULT-VALUE}).")
  int features;

  @Option(
      names = "--batch-rows",
      defaultValue = "16384",
      description =
          "Rows per Arrow batch (default ${DEFAULT-VALUE}: a few MB for typical widths, which"
              + " pipelines compression and sending best; see docs/benchmarks.md).")
  int batchRows;

  @Option(
      names = "--repeat",
      defaultValue = "3",
      description = "Runs per figure; the median is reported (default ${DEFAULT-VALUE}).")
  int repeat;

  @Option(
      names = "--json-rows",
      defaultValue = "200000",
      description =
          "Rows for the JSON baseline, which is much slower (default ${DEFAULT-VALUE}); rates are per row so they compare.")
  int jsonRows;

  @Option(
      names = "--data-dir",
      description = "Broker data directory (default: a temporary directory, deleted afterwards).")
  Path dataDir;

  /** One measured figure. */
  record Figure(
      String name,
      double rowsPerSecond,
      double mbPerSecond,
      double seconds,
      long rows,
      double[] runs) {}

  @Override
  public Integer call() throws Exception {
    Path dir = dataDir != null ? dataDir : Files.createTempDirectory("streamforge-bench-");
    log.info(
        "configuration: rows={}, features={}, batch-rows={}, repeat={}, json-rows={}, data-dir={}",
        rows,
        features,
        batchRows,
        repeat,
        jsonRows,
        dir);
    List<Figure> figures = new ArrayList<>();
    try (EmbeddedBroker broker = EmbeddedBroker.start(dir, 0, 0, Map.of());
        BufferAllocator allocator = Allocators.child("bench")) {
      KafkaClients clients = KafkaClients.of(broker.bootstrapServers());
      TopicAdmin.ensure(clients.admin(), Topics.ALL);
      long rawBytes = (long) rows * (features + 1) * 4;
      for (Compression codec : List.of(Compression.ZSTD, Compression.NONE)) {
        String dataset = "bench-" + codec;
        double[] seconds = new double[repeat];
        DatasetManifest last = null;
        long sent = 0;
        for (int r = -1; r < repeat; r++) { // r = -1: warm-up, not measured
          List<VectorSchemaRoot> batches = generate(allocator, r + 1);
          long t0 = System.nanoTime();
          DatasetPublisher.Result result =
              new DatasetPublisher(clients)
                  .publish(
                      handler -> new ListSource(batches, schema()),
                      "synthetic",
                      DatasetPublisher.Options.defaults(dataset)
                          .withCompression(codec)
                          .withLabel("label"),
                      DatasetPublisher.Progress.NONE);
          if (r >= 0) {
            seconds[r] = (System.nanoTime() - t0) / 1e9;
          }
          last = result.manifest();
          sent = result.bytesSent();
        }
        double s = median(seconds);
        figures.add(
            new Figure("publish arrow " + codec, rows / s, rawBytes / 1e6 / s, s, rows, seconds));
        log.info("arrow {}: {} bytes on the wire for {} raw bytes", codec, sent, rawBytes);
        figures.add(readToTensor(clients, last, allocator, codec));
      }
      figures.add(publishJson(clients));
    } finally {
      if (dataDir == null) {
        deleteRecursively(dir);
      }
    }
    print(figures, System.out);
    return 0;
  }

  private Schema schema() {
    try (BufferAllocator a = Allocators.child("schema");
        SyntheticBatchSource s = new SyntheticBatchSource(a, 0, features, 10, 1, 0)) {
      return s.schema();
    }
  }

  private List<VectorSchemaRoot> generate(BufferAllocator allocator, long seed) {
    List<VectorSchemaRoot> out = new ArrayList<>();
    try (SyntheticBatchSource source =
        new SyntheticBatchSource(allocator, rows, features, 10, batchRows, seed)) {
      VectorSchemaRoot root;
      while ((root = source.next()) != null) {
        out.add(root);
      }
    }
    return out;
  }

  private Figure readToTensor(
      KafkaClients clients,
      DatasetManifest manifest,
      BufferAllocator allocator,
      Compression codec) {
    double[] seconds = new double[repeat];
    try (DatasetReader reader = DatasetReader.open(clients, manifest, null, allocator)) {
      TensorConverter converter = new TensorConverter(reader.schema(), null, "label");
      float[] x = new float[batchRows * converter.featureCount()];
      float[] y = new float[batchRows];
      double[] checksum = new double[1];
      for (int r = -1; r < repeat; r++) { // r = -1: warm-up, not measured
        long t0 = System.nanoTime();
        long n =
            reader.forEachBatch(
                b -> {
                  converter.features(b.root(), x, 0);
                  converter.labels(b.root(), y, 0);
                  checksum[0] += x[0] + y[b.rowCount() - 1];
                });
        if (r >= 0) {
          seconds[r] = (System.nanoTime() - t0) / 1e9;
        }
        if (n != rows) {
          throw new IllegalStateException("read " + n + " rows, expected " + rows);
        }
      }
      log.debug("checksum {}", checksum[0]);
    }
    double s = median(seconds);
    long rawBytes = (long) rows * (features + 1) * 4;
    return new Figure(
        "read arrow " + codec + " to tensors", rows / s, rawBytes / 1e6 / s, s, rows, seconds);
  }

  private Figure publishJson(KafkaClients clients) throws Exception {
    String name = "bench-json-rows";
    try (Admin admin = Admin.create(clients.admin())) {
      admin.createTopics(List.of(new NewTopic(name, 3, (short) 1))).all().get();
    } catch (java.util.concurrent.ExecutionException e) {
      if (!(e.getCause() instanceof org.apache.kafka.common.errors.TopicExistsException)) {
        throw e;
      }
    }
    ObjectMapper json = new ObjectMapper();
    double[] seconds = new double[repeat];
    long bytes = 0;
    for (int r = -1; r < repeat; r++) { // r = -1: warm-up, not measured
      float[][] data = new float[jsonRows][];
      int[] labels = new int[jsonRows];
      try (BufferAllocator a = Allocators.child("json-gen");
          SyntheticBatchSource source =
              new SyntheticBatchSource(a, jsonRows, features, 10, batchRows, r)) {
        int i = 0;
        VectorSchemaRoot root;
        while ((root = source.next()) != null) {
          try (VectorSchemaRoot batch = root) {
            for (int k = 0; k < batch.getRowCount(); k++, i++) {
              data[i] = new float[features];
              for (int f = 0; f < features; f++) {
                data[i][f] = ((Float4Vector) batch.getVector(f)).get(k);
              }
              labels[i] = ((IntVector) batch.getVector(features)).get(k);
            }
          }
        }
      }
      AtomicReference<Exception> error = new AtomicReference<>();
      long t0 = System.nanoTime();
      bytes = 0;
      try (KafkaProducer<String, byte[]> producer =
          new KafkaProducer<>(clients.producer("bench-json"))) {
        for (int i = 0; i < jsonRows; i++) {
          ObjectNode row = json.createObjectNode();
          for (int f = 0; f < features; f++) {
            row.put("f" + f, data[i][f]);
          }
          row.put("label", labels[i]);
          byte[] value = json.writeValueAsBytes(row);
          bytes += value.length;
          producer.send(
              new ProducerRecord<>(name, Integer.toString(i), value),
              (md, e) -> {
                if (e != null) {
                  error.compareAndSet(null, e);
                }
              });
        }
        producer.flush();
      }
      if (r >= 0) {
        seconds[r] = (System.nanoTime() - t0) / 1e9;
      }
      if (error.get() != null) {
        throw error.get();
      }
    }
    double s = median(seconds);
    long rawBytes = (long) jsonRows * (features + 1) * 4;
    log.info("json: {} bytes on the wire for {} rows", bytes, jsonRows);
    return new Figure(
        "publish json per row", jsonRows / s, rawBytes / 1e6 / s, s, jsonRows, seconds);
  }

  static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    int n = v.length;
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }

  private void print(List<Figure> figures, PrintStream out) {
    out.printf(
        "%n%-32s %14s %10s %10s %12s   %s%n",
        "benchmark (median of " + repeat + ")",
        "rows/s",
        "MB/s raw",
        "seconds",
        "rows",
        "rows/s range (min..max)");
    for (Figure f : figures) {
      double slowest = Arrays.stream(f.runs()).max().orElse(f.seconds());
      double fastest = Arrays.stream(f.runs()).min().orElse(f.seconds());
      out.printf(
          "%-32s %,14.0f %10.1f %10.3f %,12d   %,.0f..%,.0f%n",
          f.name(),
          f.rowsPerSecond(),
          f.mbPerSecond(),
          f.seconds(),
          f.rows(),
          f.rows() / slowest,
          f.rows() / fastest);
    }
    Figure json = figures.get(figures.size() - 1);
    for (Figure f : figures) {
      if (f.name().startsWith("publish arrow")) {
        out.printf(
            "%s vs json: %.1fx rows/s%n", f.name(), f.rowsPerSecond() / json.rowsPerSecond());
      }
    }
    out.println("(MB/s raw: 4 bytes per cell of the float32 features and int32 label)");
  }

  private static void deleteRecursively(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (Exception e) {
      log.warn("could not delete {}: {}", dir, e.toString());
    }
  }

  /** Hands out pre-built batches (ownership passes to the caller). */
  private static final class ListSource implements BatchSource {
    private final ArrayDeque<VectorSchemaRoot> batches;
    private final Schema schema;
    private long rows;
    private long bytes;
    private final long total;

    ListSource(List<VectorSchemaRoot> batches, Schema schema) {
      this.batches = new ArrayDeque<>(batches);
      this.schema = schema;
      long t = 0;
      for (VectorSchemaRoot b : batches) {
        for (FieldVector v : b.getFieldVectors()) {
          t += v.getBufferSize();
        }
      }
      this.total = t;
    }

    @Override
    public Schema schema() {
      return schema;
    }

    @Override
    public DictionaryProvider dictionaries() {
      return new DictionaryProvider.MapDictionaryProvider();
    }

    @Override
    public VectorSchemaRoot next() {
      VectorSchemaRoot b = batches.poll();
      if (b != null) {
        rows += b.getRowCount();
        for (FieldVector v : b.getFieldVectors()) {
          bytes += v.getBufferSize();
        }
      }
      return b;
    }

    @Override
    public long rowsRead() {
      return rows;
    }

    @Override
    public long bytesRead() {
      return bytes;
    }

    @Override
    public long totalBytes() {
      return total;
    }

    @Override
    public void close() {
      batches.forEach(VectorSchemaRoot::close);
      batches.clear();
    }
  }
}
