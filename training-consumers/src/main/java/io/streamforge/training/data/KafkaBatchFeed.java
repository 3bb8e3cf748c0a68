package io.streamforge.training.data;

import io.streamforge.arrowio.dataset.DatasetCatalog;
import io.streamforge.arrowio.dataset.DatasetReader;
import io.streamforge.arrowio.dataset.KafkaClients;
import io.streamforge.arrowio.tensor.CategoryCollector;
import io.streamforge.arrowio.tensor.FeatureEncoding;
import io.streamforge.arrowio.tensor.TensorConverter;
import io.streamforge.schemas.arrow.DatasetBatch;
import io.streamforge.schemas.records.DatasetManifest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.apache.arrow.memory.BufferAllocator;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * A sealed dataset version on Kafka as a Reactor pipeline Kafka → Arrow → tensors.
 *
 * <p>One {@link DatasetReader} per partition, each pulled on its own thread through {@link
 * BlockingSourceBridge} (decode and tensor conversion on that thread, Arrow memory released there);
 * the partitions' streams, each in rising batch sequence, are merged by sequence ({@code
 * Flux.mergeComparing}), so every epoch sees the batches in the same order whatever the timing of
 * the fetches, with at most {@code prefetch} batches waiting per partition.
 */
public final class KafkaBatchFeed implements BatchFeed {
  private final DatasetManifest manifest;
  private final TensorConverter converter;
  private final List<DatasetReader> readers = new ArrayList<>();
  private final List<Scheduler> schedulers = new ArrayList<>();
  private final int prefetch;
  private volatile BooleanSupplier stop = () -> false;

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
    try {
      for (DatasetManifest.PartitionRange r : manifest.partitions()) {
        DatasetReader reader =
            DatasetReader.open(clients, manifest, Set.of(r.partition()), allocator);
        readers.add(reader);
        schedulers.add(
            Schedulers.newSingle("sf-feed-" + manifest.key() + "-p" + r.partition(), true));
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
    List<Flux<TensorBatch>> parts = new ArrayList<>();
    for (int i = 0; i < readers.size(); i++) {
      DatasetReader reader = readers.get(i);
      parts.add(
          BlockingSourceBridge.<Iterator<DatasetBatch>, DatasetBatch, TensorBatch>from(
              reader::epoch, this::convert, it -> {}, schedulers.get(i), prefetch));
    }
    @SuppressWarnings("unchecked")
    Flux<TensorBatch>[] array = parts.toArray(new Flux[0]);
    return Flux.mergeComparing(prefetch, Comparator.comparingLong(TensorBatch::sequence), array)
        .handle(
            (b, sink) -> {
              if (stop.getAsBoolean()) {
                sink.error(new IllegalStateException("reading " + describe() + " was stopped"));
              } else {
                sink.next(b);
              }
            });
  }

  private TensorBatch convert(DatasetBatch batch) {
    try (batch) {
      int rows = batch.rowCount();
      float[] x = new float[rows * converter.featureCount()];
      float[] y = new float[rows];
      converter.features(batch.root(), x, 0);
      converter.labels(batch.root(), y, 0);
      return new TensorBatch(batch.metadata().sequence(), rows, converter.featureCount(), x, y);
    }
  }

  @Override
  public void close() {
    for (DatasetReader r : readers) {
      r.close();
    }
    readers.clear();
    for (Scheduler s : schedulers) {
      s.dispose();
    }
    schedulers.clear();
  }
}
