package io.streamforge.training.data;

import io.streamforge.arrowio.dataset.DatasetCatalog;
import io.streamforge.arrowio.dataset.DatasetReader;
import io.streamforge.arrowio.dataset.KafkaClients;
import io.streamforge.arrowio.tensor.CategoryCollector;
import io.streamforge.arrowio.tensor.FeatureEncoding;
import io.streamforge.arrowio.tensor.TensorConverter;
import io.streamforge.schemas.arrow.DatasetBatch;
import io.streamforge.schemas.records.DatasetManifest;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.apache.arrow.memory.BufferAllocator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * A sealed dataset version on Kafka as a Reactor pipeline Kafka → Arrow → tensors.
 *
 * <p>One {@link DatasetReader} per partition, all pulled on one feed thread through {@link
 * BlockingSourceBridge}: the thread keeps the next decoded batch of each partition and hands on the
 * one with the lowest batch sequence (each partition's batches come in rising sequence), so every
 * epoch sees the batches in the same order whatever the timing of the fetches. Decoding and tensor
 * conversion run on that thread, Arrow memory is released there, and at most {@code prefetch}
 * converted batches wait downstream (plus one decoded batch per partition). When an epoch has been
 * read to its end, the thread starts the next one (its first {@code prefetch} batches) while the
 * trainer finishes the last steps and the evaluation, so an epoch does not begin by waiting for
 * fetches; every epoch still reads every batch from Kafka.
 *
 * <p>One thread for all partitions rather than one each: the feed needs a fraction of a core, and
 * on a small machine every extra busy thread takes CPU from the training step's own threads.
 */
public final class KafkaBatchFeed implements BatchFeed {
  private final DatasetManifest manifest;
  private final TensorConverter converter;

  /** Float columns to rows in bulk (feed thread only); null with one-hot encoded columns. */
  private final ColumnsToRows rowsOut;

  private final List<DatasetReader> readers = new ArrayList<>();
  private final Scheduler scheduler;
  private final int prefetch;
  private volatile BooleanSupplier stop = () -> false;
  private volatile boolean closed;

  /** The next epoch, opened while the last one was finishing (feed thread only). */
  private Epoch readAhead;

  /**
   * Opens the readers.
   *
   * @param features feature columns; null or empty for every column but the label
   * @throws io.streamforge.arrowio.dataset.DatasetUnavailableException when the version is missing
   *     or unsealed
   * @throws IllegalArgumentException when a column is missing or not numeric
   */
  public KafkaBatchFeed(
      KafkaClients clients,
      String dataset,
      Integer version,
      List<String> features,
      String label,
      BufferAllocator allocator,
      int prefetch) {
    this(clients, dataset, version, features, label, Map.of(), allocator, prefetch);
  }

  /**
   * Opens the readers; text feature columns are one-hot encoded over {@code categories}, and those
   * without given categories get the values found in one pass over the version.
   *
   * @param categories categories of text feature columns already known (a preprocessing spec's)
   * @throws IllegalArgumentException also when a text column has too many distinct values
   */
  public KafkaBatchFeed(
      KafkaClients clients,
      String dataset,
      Integer version,
      List<String> features,
      String label,
      Map<String, List<String>> categories,
      BufferAllocator allocator,
      int prefetch) {
    this.manifest = DatasetCatalog.load(clients).readable(dataset, version);
    this.prefetch = prefetch;
    this.scheduler = Schedulers.newSingle("sf-feed-" + manifest.key(), true);
    try {
      for (DatasetManifest.PartitionRange r : manifest.partitions()) {
        readers.add(DatasetReader.open(clients, manifest, Set.of(r.partition()), allocator));
      }
      if (readers.isEmpty()) {
        throw new IllegalArgumentException("dataset " + manifest.key() + " has no partitions");
      }
      CategoryCollector found =
          new CategoryCollector(readers.get(0).schema(), features, label, categories);
      if (found.needsData()) {
        for (DatasetReader reader : readers) {
          reader.forEachBatch(b -> found.add(b.root()));
        }
      }
      this.converter =
          new TensorConverter(readers.get(0).schema(), features, label, found.categories());
      // the bulk path reads float columns only; one-hot encoded text goes through the converter
      this.rowsOut =
          converter.encoding().hasCategories()
              ? null
              : new ColumnsToRows(converter.featureColumns());
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /**
   * Makes epochs end with an error as soon as {@code condition} holds (checked before each batch is
   * handed on): a worker stops a job this way while it is still reading its data, where the trainer
   * does not look for control commands.
   */
  public KafkaBatchFeed stopWhen(BooleanSupplier condition) {
    this.stop = Objects.requireNonNull(condition, "condition");
    return this;
  }

  public DatasetManifest manifest() {
    return manifest;
  }

  @Override
  public List<String> featureColumns() {
    return converter.featureColumns();
  }

  @Override
  public FeatureEncoding encoding() {
    return converter.encoding();
  }

  @Override
  public String labelColumn() {
    return converter.labelColumn().orElseThrow();
  }

  @Override
  public String contentHash() {
    return manifest.contentHash();
  }

  @Override
  public String describe() {
    return manifest.key();
  }

  @Override
  public Flux<TensorBatch> epoch() {
    return BlockingSourceBridge.<Epoch, TensorBatch, TensorBatch>from(
            this::openEpoch, b -> b, this::release, scheduler, prefetch)
        .handle(
            (b, sink) -> {
              if (stop.getAsBoolean()) {
                sink.error(new IllegalStateException("reading " + describe() + " was stopped"));
              } else {
                sink.next(b);
              }
            });
  }

  /**
   * Waits until the feed thread has finished what it was asked to do so far, such as reading the
   * next epoch ahead: for benchmarks that interleave other work with this feed's epochs and must
   * not let the feed's work land in it.
   */
  public void awaitReadAhead() {
    Mono.fromRunnable(() -> {}).subscribeOn(scheduler).block(Duration.ofSeconds(60));
  }

  /** On the feed thread: the epoch read ahead, if any, else a new one. */
  private Epoch openEpoch() {
    Epoch e = readAhead;
    readAhead = null;
    return e != null ? e : new Epoch();
  }

  /**
   * On the feed thread, when an epoch completes, fails or is cancelled: releases what it read ahead
   * and, after a complete epoch, reads the next one's first batches while the trainer finishes this
   * one (its last steps, the evaluation), so the next epoch does not start by waiting for fetches.
   * Nothing is kept from one epoch to the next: the next epoch reads Kafka again.
   */
  private void release(Epoch e) {
    boolean complete = e.complete;
    e.close();
    if (complete && !closed) {
      try {
        scheduler.schedule(this::readAhead);
      } catch (java.util.concurrent.RejectedExecutionException ignored) {
        // closing
      }
    }
  }

  private void readAhead() {
    if (closed || readAhead != null) {
      return;
    }
    Epoch e = null;
    try {
      e = new Epoch();
      e.fill(prefetch);
      readAhead = e;
    } catch (RuntimeException ex) {
      if (e != null) {
        e.close();
      }
      // the next epoch opens afresh and meets the problem itself
    }
  }

  /** One epoch as converted batches, the first ones possibly read ahead. */
  private final class Epoch implements Iterator<TensorBatch> {
    private final Merged merged = new Merged(readers);
    private final ArrayDeque<TensorBatch> ready = new ArrayDeque<>();
    private boolean complete;

    void fill(int n) {
      while (ready.size() < n && merged.hasNext()) {
        ready.add(convert(merged.next()));
      }
    }

    @Override
    public boolean hasNext() {
      if (!ready.isEmpty() || merged.hasNext()) {
        return true;
      }
      complete = true;
      return false;
    }

    @Override
    public TensorBatch next() {
      return ready.isEmpty() ? convert(merged.next()) : ready.poll();
    }

    void close() {
      merged.close();
      ready.clear();
    }
  }

  /**
   * One epoch of every partition, merged by batch sequence on the calling thread: the next decoded
   * batch of each partition is kept, the lowest one goes out.
   */
  private static final class Merged implements Iterator<DatasetBatch> {
    private final List<Iterator<DatasetBatch>> epochs = new ArrayList<>();
    private final DatasetBatch[] heads;

    Merged(List<DatasetReader> readers) {
      heads = new DatasetBatch[readers.size()];
      try {
        for (int i = 0; i < readers.size(); i++) {
          epochs.add(readers.get(i).epoch());
          heads[i] = advance(i);
        }
      } catch (RuntimeException e) {
        close();
        throw e;
      }
    }

    private DatasetBatch advance(int i) {
      Iterator<DatasetBatch> it = epochs.get(i);
      return it.hasNext() ? it.next() : null;
    }

    @Override
    public boolean hasNext() {
      for (DatasetBatch h : heads) {
        if (h != null) {
          return true;
        }
      }
      return false;
    }

    @Override
    public DatasetBatch next() {
      int lowest = -1;
      for (int i = 0; i < heads.length; i++) {
        if (heads[i] != null
            && (lowest < 0
                || heads[i].metadata().sequence() < heads[lowest].metadata().sequence())) {
          lowest = i;
        }
      }
      if (lowest < 0) {
        throw new java.util.NoSuchElementException("the epoch is over");
      }
      DatasetBatch out = heads[lowest];
      heads[lowest] = null; // the caller owns it once returned
      try {
        heads[lowest] = advance(lowest);
      } catch (RuntimeException e) {
        out.close();
        throw e;
      }
      return out;
    }

    /** Releases the batches read ahead and not handed out. */
    void close() {
      for (int i = 0; i < heads.length; i++) {
        if (heads[i] != null) {
          heads[i].close();
          heads[i] = null;
        }
      }
    }
  }

  private TensorBatch convert(DatasetBatch batch) {
    try (batch) {
      int rows = batch.rowCount();
      float[] x = new float[rows * converter.featureCount()];
      float[] y = new float[rows];
      if (rowsOut == null || !rowsOut.features(batch.root(), x)) {
        converter.features(batch.root(), x, 0);
      }
      converter.labels(batch.root(), y, 0);
      return new TensorBatch(batch.metadata().sequence(), rows, converter.featureCount(), x, y);
    }
  }

  /**
   * Stops the feed thread (letting a batch under way finish, so no reader is closed under it), then
   * releases what was read ahead and closes the readers.
   */
  @Override
  public void close() {
    closed = true;
    try {
      scheduler.disposeGracefully().block(Duration.ofSeconds(30));
    } catch (RuntimeException e) {
      scheduler.dispose();
    }
    if (readAhead != null) {
      readAhead.close();
      readAhead = null;
    }
    for (DatasetReader r : readers) {
      r.close();
    }
    readers.clear();
  }
}
