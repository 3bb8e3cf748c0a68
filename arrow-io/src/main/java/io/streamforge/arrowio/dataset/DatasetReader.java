package io.streamforge.arrowio.dataset;

import io.streamforge.schemas.Topics;
import io.streamforge.schemas.arrow.DatasetBatch;
import io.streamforge.schemas.records.DatasetManifest;
import io.streamforge.schemas.serde.DatasetBatchSerde;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteBufferDeserializer;

/**
 * Reads one sealed dataset version batch by batch, any number of epochs.
 *
 * <p>Each epoch reads exactly the offset ranges the manifest sealed, in every partition (or in the
 * subset given), skipping records of other versions that share the ranges and duplicates by batch
 * sequence, so every batch is seen exactly once per epoch. Batches are decoded one at a time as the
 * caller asks for them; the consumer fetches at most a few batches ahead, so memory stays bounded
 * whatever the dataset's size. Not thread-safe: one reader per thread.
 */
public final class DatasetReader implements AutoCloseable {
  /** Record header carrying the dataset version, so other versions are skipped undecoded. */
  public static final String VERSION_HEADER = "streamforge.dataset.version";

  private final DatasetManifest manifest;
  private final Schema schema;
  private final KafkaConsumer<String, ByteBuffer> consumer;
  private final DatasetBatchSerde serde;
  private final String topic;
  private final Map<TopicPartition, long[]> ranges = new HashMap<>();
  private final Duration pollTimeout = Duration.ofMillis(200);
  private final Duration stallTimeout;
  private final boolean allPartitions;
  private int epochs;
  private boolean epochOpen;
  private EpochIterator current;

  private DatasetReader(
      KafkaClients clients,
      DatasetManifest manifest,
      Set<Integer> partitions,
      BufferAllocator allocator,
      int maxPollRecords,
      Duration stallTimeout) {
    this.manifest = manifest;
    try {
      this.schema = Schema.fromJSON(manifest.schemaJson());
    } catch (java.io.IOException e) {
      throw new DatasetUnavailableException(
          "manifest " + manifest.key() + " holds an unreadable schema: " + e.getMessage());
    }
    this.topic = Topics.DATASET_PREFIX + manifest.dataset();
    this.stallTimeout = stallTimeout;
    this.allPartitions = partitions == null;
    for (DatasetManifest.PartitionRange r : manifest.partitions()) {
      if (partitions == null || partitions.contains(r.partition())) {
        ranges.put(
            new TopicPartition(topic, r.partition()), new long[] {r.startOffset(), r.endOffset()});
      }
    }
    Map<String, Object> config = clients.boundedConsumer("streamforge-reader-" + manifest.key());
    config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxPollRecords);
    // Records below a range start that were deleted must fail the read, not silently skip ahead.
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
    // values stay views of the fetch buffers and are decoded from there, not copied to arrays
    config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteBufferDeserializer.class);
    this.consumer = new KafkaConsumer<>(config);
    this.serde = new DatasetBatchSerde(io.streamforge.schemas.arrow.Compression.ZSTD, allocator);
    consumer.assign(ranges.keySet());
  }

  /**
   * Opens a reader of {@code dataset} at {@code version} (null: the latest sealed version).
   *
   * @param partitions the partitions to read (null: all); several readers with disjoint subsets
   *     together read the version once
   * @param allocator where decoded batches take their memory
   * @throws DatasetUnavailableException when the version is missing, unsealed or aborted
   */
  public static DatasetReader open(
      KafkaClients clients,
      String dataset,
      Integer version,
      Set<Integer> partitions,
      BufferAllocator allocator) {
    DatasetManifest manifest = DatasetCatalog.load(clients).readable(dataset, version);
    return open(clients, manifest, partitions, allocator);
  }

  /** Opens a reader of a sealed manifest. */
  public static DatasetReader open(
      KafkaClients clients,
      DatasetManifest manifest,
      Set<Integer> partitions,
      BufferAllocator allocator) {
    Objects.requireNonNull(manifest, "manifest");
    if (!manifest.sealed()) {
      throw new DatasetUnavailableException(
          "dataset '"
              + manifest.dataset()
              + "' version "
              + manifest.version()
              + " is "
              + manifest.status()
              + ", not sealed; only sealed versions can be read");
    }
    return new DatasetReader(clients, manifest, partitions, allocator, 4, Duration.ofSeconds(60));
  }

  public DatasetManifest manifest() {
    return manifest;
  }

  /** The dataset's columns. */
  public Schema schema() {
    return schema;
  }

  /** Epochs started so far. */
  public int epochs() {
    return epochs;
  }

  /**
   * Starts an epoch: an iterator over every batch of the version (in the selected partitions), each
   * exactly once. The caller closes each batch it gets. Starting another epoch ends this one.
   */
  public Iterator<DatasetBatch> epoch() {
    if (current != null) {
      current.discard();
    }
    epochs++;
    epochOpen = true;
    for (Map.Entry<TopicPartition, long[]> e : ranges.entrySet()) {
      consumer.seek(e.getKey(), e.getValue()[0]);
    }
    consumer.resume(ranges.keySet());
    current = new EpochIterator(epochs);
    return current;
  }

  /** Reads one epoch, handing each batch to {@code action} and closing it afterwards. */
  public long forEachBatch(Consumer<DatasetBatch> action) {
    long rows = 0;
    Iterator<DatasetBatch> it = epoch();
    while (it.hasNext()) {
      try (DatasetBatch b = it.next()) {
        rows += b.rowCount();
        action.accept(b);
      }
    }
    return rows;
  }

  private final class EpochIterator implements Iterator<DatasetBatch> {
    private final int epoch;
    private final ArrayDeque<ConsumerRecord<String, ByteBuffer>> buffered = new ArrayDeque<>();
    private final Set<TopicPartition> done = new HashSet<>();
    private final BitSet seen = new BitSet();
    private final String versionText = Integer.toString(manifest.version());
    private DatasetBatch peeked;
    private boolean finished;

    EpochIterator(int epoch) {
      this.epoch = epoch;
    }

    @Override
    public boolean hasNext() {
      checkCurrent();
      while (peeked == null && !finished) {
        ConsumerRecord<String, ByteBuffer> r = nextRecord();
        if (r == null) {
          finish();
        } else {
          peeked = accept(serde.deserializeBuffer(topic, r.value()));
        }
      }
      return peeked != null;
    }

    @Override
    public DatasetBatch next() {
      if (!hasNext()) {
        throw new NoSuchElementException("epoch " + epoch + " of " + manifest.key() + " is done");
      }
      DatasetBatch b = peeked;
      peeked = null;
      return b;
    }

    /** The batch if it belongs to this version and was not seen this epoch; else closes it. */
    private DatasetBatch accept(DatasetBatch batch) {
      long seq = batch.metadata().sequence();
      boolean ours =
          batch.metadata().version() == manifest.version()
              && batch.metadata().producerId().equals(manifest.producerId());
      if (!ours || seq >= manifest.batchCount() || seen.get((int) seq)) {
        batch.close(); // another publish's batch, or a duplicate within this epoch
        return null;
      }
      seen.set((int) seq);
      return batch;
    }

    /** The next raw record of this version in the ranges, or null when every range is read. */
    private ConsumerRecord<String, ByteBuffer> nextRecord() {
      long lastProgress = System.nanoTime();
      while (buffered.isEmpty() && done.size() < ranges.size()) {
        int before = done.size();
        int polled = 0;
        try {
          for (ConsumerRecord<String, ByteBuffer> r : consumer.poll(pollTimeout)) {
            polled++;
            TopicPartition tp = new TopicPartition(r.topic(), r.partition());
            if (!done.contains(tp) && r.offset() < ranges.get(tp)[1] && isThisVersion(r)) {
              buffered.add(r);
            }
          }
        } catch (OffsetOutOfRangeException e) {
          throw new DatasetUnavailableException(
              "dataset '"
                  + manifest.dataset()
                  + "' version "
                  + manifest.version()
                  + " is no longer complete on Kafka: offsets "
                  + e.offsetOutOfRangePartitions()
                  + " were deleted (retention or deleteRecords); publish it again");
        }
        for (TopicPartition tp : ranges.keySet()) {
          if (!done.contains(tp) && consumer.position(tp) >= ranges.get(tp)[1]) {
            done.add(tp);
            consumer.pause(List.of(tp));
          }
        }
        if (polled > 0 || done.size() > before) {
          lastProgress = System.nanoTime();
        } else if (System.nanoTime() - lastProgress > stallTimeout.toNanos()) {
          throw new IllegalStateException(
              "no progress reading "
                  + manifest.key()
                  + " for "
                  + stallTimeout.toSeconds()
                  + " s: is the cluster down?");
        }
      }
      return buffered.poll();
    }

    private void finish() {
      finished = true;
      epochOpen = false;
      if (allPartitions && seen.cardinality() != manifest.batchCount()) {
        throw new DatasetUnavailableException(
            "dataset '"
                + manifest.dataset()
                + "' version "
                + manifest.version()
                + " is incomplete on Kafka: epoch "
                + epoch
                + " found "
                + seen.cardinality()
                + " of "
                + manifest.batchCount()
                + " batches");
      }
    }

    private boolean isThisVersion(ConsumerRecord<String, ByteBuffer> r) {
      Header h = r.headers().lastHeader(VERSION_HEADER);
      return h == null || versionText.equals(new String(h.value(), StandardCharsets.UTF_8));
    }

    /** Releases a batch decoded ahead but not handed out. */
    void discard() {
      if (peeked != null) {
        peeked.close();
        peeked = null;
      }
      finished = true;
    }

    private void checkCurrent() {
      if (epoch != epochs) {
        throw new IllegalStateException("epoch " + epoch + " was superseded by epoch " + epochs);
      }
    }
  }

  /** Whether an epoch is in progress (started and not yet exhausted). */
  public boolean inEpoch() {
    return epochOpen;
  }

  /** Partitions this reader reads. */
  public Collection<Integer> partitions() {
    List<Integer> out = new ArrayList<>();
    for (TopicPartition tp : ranges.keySet()) {
      out.add(tp.partition());
    }
    out.sort(null);
    return out;
  }

  @Override
  public void close() {
    if (current != null) {
      current.discard();
    }
    consumer.close(Duration.ofSeconds(5));
    serde.close();
  }
}
