package io.streamforge.arrowio.dataset;

import io.streamforge.arrowio.read.BadInputException;
import io.streamforge.arrowio.read.BadRow;
import io.streamforge.arrowio.read.BadRowHandler;
import io.streamforge.arrowio.read.BatchSource;
import io.streamforge.schemas.Topic;
import io.streamforge.schemas.TopicAdmin;
import io.streamforge.schemas.Topics;
import io.streamforge.schemas.arrow.BatchMetadata;
import io.streamforge.schemas.arrow.Compression;
import io.streamforge.schemas.arrow.DatasetBatch;
import io.streamforge.schemas.records.DatasetManifest;
import io.streamforge.schemas.records.DeadLetter;
import io.streamforge.schemas.serde.DatasetBatchSerde;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Publishes a dataset to {@code datasets.<name>} as Arrow batches, as a new version.
 *
 * <p>The protocol: claim the next version with an {@code OPEN} manifest on {@code
 * dataset.manifests}; send every batch with an idempotent producer (each batch carries dataset,
 * version and sequence); wait until all are acknowledged; then write the {@code SEALED} manifest
 * with each partition's offset range, the row count and the content hash. A publish that fails
 * writes {@code ABORTED}; one that is killed stays {@code OPEN}. Readers accept only sealed
 * versions, so a partial version is never read.
 */
public final class DatasetPublisher {
  private static final Logger log = LoggerFactory.getLogger(DatasetPublisher.class);

  /** What happens to rows that cannot be read. */
  public enum OnError {
    /** Stop at the first bad row; the version is aborted. */
    FAIL,
    /** Send bad rows with their error to {@code datasets.<name>.dlq} and go on. */
    DLQ
  }

  /**
   * @param dataset dataset name
   * @param labelColumn label column, checked to exist; null for none
   * @param compression Arrow buffer compression
   * @param partitions partitions of the dataset topic when it is created
   * @param onError bad-row policy
   * @param maxBatchBytes batches that encode larger are split in half until they fit
   */
  public record Options(
      String dataset,
      String labelColumn,
      Compression compression,
      int partitions,
      OnError onError,
      long maxBatchBytes) {
    public Options {
      Topics.validDatasetName(dataset);
      Objects.requireNonNull(compression, "compression");
      Objects.requireNonNull(onError, "onError");
      if (partitions < 1) {
        throw new IllegalArgumentException("partitions must be >= 1");
      }
      if (maxBatchBytes < 1024) {
        throw new IllegalArgumentException("maxBatchBytes must be >= 1024");
      }
    }

    /** Defaults: no label, ZSTD, 3 partitions, fail on bad rows, 12 MiB batches at most. */
    public static Options defaults(String dataset) {
      return new Options(dataset, null, Compression.ZSTD, 3, OnError.FAIL, 12L << 20);
    }

    public Options withLabel(String label) {
      return new Options(dataset, label, compression, partitions, onError, maxBatchBytes);
    }

    public Options withCompression(Compression c) {
      return new Options(dataset, labelColumn, c, partitions, onError, maxBatchBytes);
    }

    public Options withPartitions(int n) {
      return new Options(dataset, labelColumn, compression, n, onError, maxBatchBytes);
    }

    public Options withOnError(OnError e) {
      return new Options(dataset, labelColumn, compression, partitions, e, maxBatchBytes);
    }

    public Options withMaxBatchBytes(long n) {
      return new Options(dataset, labelColumn, compression, partitions, onError, n);
    }
  }

  /** Progress callback, called after each batch from the publishing thread. */
  @FunctionalInterface
  public interface Progress {
    void update(long rows, long badRows, long bytesRead, long totalBytes, long bytesSent);

    Progress NONE = (rows, bad, read, total, sent) -> {};
  }

  /**
   * @param manifest the sealed manifest
   * @param bytesSent encoded bytes sent to Kafka
   * @param elapsed wall time of the publish
   */
  public record Result(DatasetManifest manifest, long bytesSent, Duration elapsed) {}

  /** Kafka's default and our topics' limit is 16 MiB per record; keep a margin for framing. */
  static final int MAX_RECORD_BYTES = (16 << 20) - (64 << 10);

  private final KafkaClients clients;
  private final String instanceId;
  private final AtomicLong publishes = new AtomicLong();

  public DatasetPublisher(KafkaClients clients) {
    this.clients = Objects.requireNonNull(clients, "clients");
    String runtime = ManagementFactory.getRuntimeMXBean().getName(); // pid@host
    this.instanceId = runtime + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /**
   * Publishes what {@code open} reads as a new version. The source is opened and its schema checked
   * before a version is claimed, so bad options or a bad header never cost a version.
   *
   * @param open opens the source with the bad-row handler this publish needs
   * @param sourceName what is published, recorded in the manifest
   * @return the sealed manifest and figures
   * @throws BadInputException at the first bad row under {@link OnError#FAIL} (the version is
   *     aborted)
   */
  public Result publish(
      Function<BadRowHandler, BatchSource> open,
      String sourceName,
      Options options,
      Progress progress)
      throws IOException {
    long t0 = System.nanoTime();
    // Every publish is its own producer of the version it claims, also when one publisher
    // instance publishes from several threads at once.
    String publishId = instanceId + "-" + publishes.incrementAndGet();
    Topic<String, DatasetBatch> topic = Topics.dataset(options.dataset(), options.partitions());
    Topic<String, DeadLetter> dlq = Topics.deadLetters(topic.name());
    List<Topic<?, ?>> needed = new ArrayList<>(List.of(Topics.DATASET_MANIFESTS, topic));
    if (options.onError() == OnError.DLQ) {
      needed.add(dlq);
    }
    TopicAdmin.ensure(clients.admin(), needed);
    log.debug("topics ready after {} ms", (System.nanoTime() - t0) / 1_000_000);

    AtomicReference<Exception> sendError = new AtomicReference<>();
    AtomicLong badRows = new AtomicLong();
    AtomicInteger claimed = new AtomicInteger();
    try (KafkaProducer<String, byte[]> producer =
            new KafkaProducer<>(clients.producer("streamforge-publish-" + options.dataset()));
        DatasetBatchSerde serde = new DatasetBatchSerde(options.compression(), null)) {
      var deadLetters = dlq.valueSerde().serializer();
      BadRowHandler handler =
          options.onError() == OnError.FAIL
              ? BadRowHandler.FAIL
              : row -> {
                badRows.incrementAndGet();
                producer.send(
                    new ProducerRecord<>(
                        dlq.name(),
                        DatasetManifest.key(options.dataset(), claimed.get()),
                        deadLetters.serialize(dlq.name(), deadLetter(row))),
                    (md, e) -> {
                      if (e != null) {
                        sendError.compareAndSet(null, e);
                      }
                    });
              };

      BatchSource source = open.apply(handler);
      Encoders encoders = new Encoders(encoderThreads());
      DatasetManifest claim = null;
      DatasetManifest sealed = null;
      Exception failure = null;
      try {
        Schema schema = source.schema();
        checkLabel(schema, options.labelColumn(), sourceName);
        claim =
            claimVersion(producer, options, sourceName, publishId, Instant.now())
                .withSchema(schema.toJson());
        claimed.set(claim.version());
        MDC.put("dataset", claim.key());
        Sent sent =
            sendAll(
                source,
                encoders,
                serde,
                producer,
                topic,
                claim,
                badRows,
                sendError,
                progress,
                options.maxBatchBytes());
        sealed =
            claim.seal(
                sent.rows(),
                sent.batches(),
                badRows.get(),
                sent.partitions(),
                sent.contentHash(),
                Instant.now());
        writeManifest(producer, sealed);
        Duration elapsed = Duration.ofNanos(System.nanoTime() - t0);
        log.info(
            "sealed {}: {} rows in {} batches, {} bad rows, {} bytes in {} ms",
            sealed.key(),
            sealed.rowCount(),
            sealed.batchCount(),
            sealed.badRows(),
            sent.bytes(),
            elapsed.toMillis());
        return new Result(sealed, sent.bytes(), elapsed);
      } catch (IOException | RuntimeException e) {
        failure = e;
        if (claim != null && sealed == null) {
          abort(producer, claim, e);
        }
        throw e;
      } finally {
        encoders.close();
        try {
          source.close();
        } catch (IOException | RuntimeException e) {
          if (failure != null) {
            failure.addSuppressed(e);
          } else {
            log.warn(
                "closing {} failed after the version was sealed: {}", sourceName, e.toString());
          }
        }
        MDC.remove("dataset");
      }
    }
  }

  /** What was sent for one version. */
  private record Sent(
      long rows,
      long batches,
      long bytes,
      List<DatasetManifest.PartitionRange> partitions,
      String contentHash) {}

  /**
   * Reads the source to its end, hashing and encoding batches on the worker pool and sending them
   * in sequence order; returns once every batch is acknowledged.
   */
  private Sent sendAll(
      BatchSource source,
      Encoders encoders,
      DatasetBatchSerde serde,
      KafkaProducer<String, byte[]> producer,
      Topic<String, DatasetBatch> topic,
      DatasetManifest claim,
      AtomicLong badRows,
      AtomicReference<Exception> sendError,
      Progress progress,
      long maxBatchBytes)
      throws IOException {
    Schema schema = source.schema();
    int version = claim.version();
    // Dictionaries belong to the source's current batch, so dictionary-encoded data is encoded
    // inline rather than on the pool.
    boolean inline = schema.getFields().stream().anyMatch(f -> f.getDictionary() != null);
    RowHasher hasher = new RowHasher(schema);
    Map<Integer, long[]> ranges = new TreeMap<>();
    long bytesSent = 0;
    long sequence = 0;
    VectorSchemaRoot root;
    while ((root = source.next()) != null) {
      List<VectorSchemaRoot> pieces = splitBySize(root, maxBatchBytes);
      int handed = 0;
      try {
        for (VectorSchemaRoot piece : pieces) {
          handed++; // from here on the encoder owns (and closes) the piece
          BatchMetadata meta =
              new BatchMetadata(
                  claim.dataset(), version, sequence++, claim.producerId(), piece.getRowCount());
          var dictionaries = source.dictionaries();
          Encoders.Task task =
              batch -> {
                RowHasher part = new RowHasher(schema);
                part.add(batch, dictionaries);
                byte[] bytes =
                    serde.serialize(topic.name(), DatasetBatch.view(meta, batch, dictionaries));
                return new Encoded(meta.sequence(), bytes, part);
              };
          for (Encoded e : encoders.submit(piece, task, inline)) {
            hasher.merge(e.hasher());
            bytesSent += e.bytes().length;
            send(producer, topic.name(), version, e, ranges, sendError);
          }
        }
      } finally {
        for (int k = handed; k < pieces.size(); k++) {
          pieces.get(k).close();
        }
      }
      failOnSendError(sendError);
      progress.update(
          source.rowsRead(), badRows.get(), source.bytesRead(), source.totalBytes(), bytesSent);
    }
    for (Encoded e : encoders.drain()) {
      hasher.merge(e.hasher());
      bytesSent += e.bytes().length;
      send(producer, topic.name(), version, e, ranges, sendError);
    }
    producer.flush();
    failOnSendError(sendError);
    List<DatasetManifest.PartitionRange> partitions = new ArrayList<>();
    synchronized (ranges) {
      ranges.forEach(
          (p, r) -> partitions.add(new DatasetManifest.PartitionRange(p, r[0], r[1] + 1)));
    }
    return new Sent(hasher.rows(), sequence, bytesSent, partitions, hasher.hex());
  }

  /**
   * Splits a batch whose buffers exceed {@code maxBytes} into halves until each fits; encoding only
   * shrinks data (Arrow writes incompressible buffers raw), so each piece encodes within the limit.
   * Closes {@code root} when it splits it.
   */
  static List<VectorSchemaRoot> splitBySize(VectorSchemaRoot root, long maxBytes) {
    long size = 0;
    for (var v : root.getFieldVectors()) {
      size += v.getBufferSize();
    }
    if (size <= maxBytes || root.getRowCount() <= 1) {
      return List.of(root);
    }
    List<VectorSchemaRoot> out = new ArrayList<>();
    try (root) {
      int half = root.getRowCount() / 2;
      out.addAll(splitBySize(root.slice(0, half), maxBytes));
      out.addAll(splitBySize(root.slice(half, root.getRowCount() - half), maxBytes));
    }
    return out;
  }

  private static int encoderThreads() {
    return Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
  }

  /** One encoded batch and the content hash of its rows. */
  private record Encoded(long sequence, byte[] bytes, RowHasher hasher) {}

  /**
   * A small pool that encodes batches in parallel and hands results back in submission order, with
   * at most one batch in flight per thread beyond those running (bounded memory). Every batch given
   * to it is closed by it, whatever happens.
   */
  private static final class Encoders implements AutoCloseable {
    /** Encodes one batch; the pool closes the batch afterwards. */
    interface Task {
      Encoded encode(VectorSchemaRoot batch) throws Exception;
    }

    private final ExecutorService pool;
    private final int threads;
    private final ArrayDeque<Future<Encoded>> inFlight = new ArrayDeque<>();

    Encoders(int threads) {
      this.threads = threads;
      AtomicLong n = new AtomicLong();
      this.pool =
          Executors.newFixedThreadPool(
              threads,
              r -> {
                Thread t = new Thread(r, "publish-encoder-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
              });
    }

    /**
     * Encodes {@code batch} (on the pool, or on this thread after everything before it when {@code
     * inline}); returns the results that are due, oldest first.
     */
    List<Encoded> submit(VectorSchemaRoot batch, Task task, boolean inline) {
      Callable<Encoded> job =
          () -> {
            try (batch) {
              return task.encode(batch);
            }
          };
      if (inline) {
        List<Encoded> due;
        try {
          due = drain();
        } catch (RuntimeException e) {
          batch.close();
          throw e;
        }
        try {
          due.add(job.call());
        } catch (RuntimeException e) {
          throw e;
        } catch (Exception e) {
          throw new IllegalStateException("encoding failed: " + e.getMessage(), e);
        }
        return due;
      }
      try {
        inFlight.add(pool.submit(job));
      } catch (RuntimeException e) {
        batch.close();
        throw e;
      }
      List<Encoded> due = new ArrayList<>();
      while (inFlight.size() > threads) {
        due.add(await(inFlight.poll()));
      }
      return due;
    }

    /** Waits for every task in flight; returns their results in order. */
    List<Encoded> drain() {
      List<Encoded> due = new ArrayList<>();
      while (!inFlight.isEmpty()) {
        due.add(await(inFlight.poll()));
      }
      return due;
    }

    private static Encoded await(Future<Encoded> f) {
      try {
        return f.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while encoding", e);
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        throw cause instanceof RuntimeException r
            ? r
            : new IllegalStateException("encoding failed: " + cause.getMessage(), cause);
      }
    }

    /** Lets queued and running tasks finish (each closes its batch), then stops the threads. */
    @Override
    public void close() {
      boolean interrupted = false;
      for (Future<Encoded> f : inFlight) {
        while (true) {
          try {
            f.get();
            break;
          } catch (InterruptedException e) {
            interrupted = true; // keep waiting: the task must close its batch
          } catch (ExecutionException e) {
            break; // the first failure is already being reported
          }
        }
      }
      inFlight.clear();
      pool.shutdown();
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void send(
      KafkaProducer<String, byte[]> producer,
      String topic,
      int version,
      Encoded batch,
      Map<Integer, long[]> ranges,
      AtomicReference<Exception> sendError) {
    if (batch.bytes().length > MAX_RECORD_BYTES) {
      throw new IllegalStateException(
          "batch "
              + batch.sequence()
              + " encodes to "
              + batch.bytes().length
              + " bytes, over the 16 MiB record limit even after splitting (dictionaries are"
              + " sent with every batch): dictionary-encode fewer columns or lower --batch-rows");
    }
    RecordHeaders headers = new RecordHeaders();
    headers.add(
        DatasetReader.VERSION_HEADER, Integer.toString(version).getBytes(StandardCharsets.UTF_8));
    String key = version + "-" + batch.sequence();
    producer.send(
        new ProducerRecord<>(topic, null, key, batch.bytes(), headers),
        (RecordMetadata md, Exception e) -> {
          if (e != null) {
            sendError.compareAndSet(null, e);
            return;
          }
          synchronized (ranges) {
            long[] r =
                ranges.computeIfAbsent(md.partition(), p -> new long[] {md.offset(), md.offset()});
            r[0] = Math.min(r[0], md.offset());
            r[1] = Math.max(r[1], md.offset());
          }
        });
  }

  private static void failOnSendError(AtomicReference<Exception> sendError) {
    Exception e = sendError.get();
    if (e != null) {
      throw new IllegalStateException("sending to Kafka failed: " + e.getMessage(), e);
    }
  }

  private static void checkLabel(Schema schema, String label, String sourceName) {
    if (label == null) {
      return;
    }
    boolean found = schema.getFields().stream().anyMatch(f -> f.getName().equals(label));
    if (!found) {
      throw new BadInputException(
          sourceName
              + ": label column '"
              + label
              + "' does not exist (columns: "
              + String.join(", ", schema.getFields().stream().map(f -> f.getName()).toList())
              + ")");
    }
  }

  private DeadLetter deadLetter(BadRow row) {
    return new DeadLetter(
        null,
        null,
        null,
        row.source(),
        row.line(),
        null,
        row.raw().getBytes(StandardCharsets.UTF_8),
        row.reason(),
        Instant.now());
  }

  // --- versions and manifests -------------------------------------------------------------------

  /**
   * Writes an OPEN manifest for the next free version and checks that this publish was first to
   * claim it. A publish that lost the race moves on to the next version; since its stray OPEN
   * record may now be the newest for that key, it writes the winner's manifest again if that one is
   * already final, so that compaction keeps the winner's.
   */
  private DatasetManifest claimVersion(
      KafkaProducer<String, byte[]> producer,
      Options options,
      String sourceName,
      String publishId,
      Instant createdAt) {
    String dataset = options.dataset();
    int candidate = DatasetCatalog.load(clients).highestVersion(dataset) + 1;
    for (int attempt = 0; attempt < 10; attempt++) {
      DatasetManifest open =
          DatasetManifest.open(
              dataset,
              candidate,
              options.labelColumn(),
              options.compression().toString(),
              publishId,
              sourceName,
              createdAt);
      writeManifest(producer, open);
      DatasetCatalog catalog = DatasetCatalog.load(clients);
      if (catalog.owner(dataset, candidate).map(publishId::equals).orElse(false)) {
        log.info("publishing {} as {}", sourceName, open.key());
        return open;
      }
      log.info("{} was claimed by another publisher; trying the next version", open.key());
      catalog
          .manifest(dataset, candidate)
          .filter(m -> m.status() != DatasetManifest.Status.OPEN)
          .ifPresent(m -> writeManifest(producer, m));
      candidate = Math.max(candidate, catalog.highestVersion(dataset)) + 1;
    }
    throw new IllegalStateException(
        "could not claim a version of dataset '" + dataset + "' after 10 attempts");
  }

  private void abort(KafkaProducer<String, byte[]> producer, DatasetManifest m, Exception cause) {
    String reason = cause.getMessage() == null ? cause.toString() : cause.getMessage();
    try {
      writeManifest(producer, m.abort(reason));
      log.warn("aborted {}:{}: {}", m.dataset(), m.version(), reason);
    } catch (RuntimeException e) {
      cause.addSuppressed(e);
    }
  }

  private static void writeManifest(KafkaProducer<String, byte[]> producer, DatasetManifest m) {
    String topic = Topics.DATASET_MANIFESTS.name();
    byte[] bytes = Topics.DATASET_MANIFESTS.valueSerde().serializer().serialize(topic, m);
    try {
      producer.send(new ProducerRecord<>(topic, m.key(), bytes)).get(60, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while writing manifest " + m.key(), e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(
          "cannot write manifest " + m.key() + " to " + topic + ": " + e.getMessage(), e);
    }
  }
}
