package io.streamforge.training.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamforge.arrowio.dataset.DatasetPublisher;
import io.streamforge.arrowio.dataset.DatasetUnavailableException;
import io.streamforge.arrowio.dataset.KafkaClients;
import io.streamforge.arrowio.read.BatchSources;
import io.streamforge.arrowio.read.CsvOptions;
import io.streamforge.arrowio.read.ReadOptions;
import io.streamforge.schemas.records.DatasetManifest;
import io.streamforge.testkit.Datasets;
import io.streamforge.testkit.SharedKafka;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The Kafka → Arrow → tensor pipeline against a real broker. */
@ExtendWith(SharedKafka.class)
class KafkaBatchFeedIT {
  private BufferAllocator allocator;
  private KafkaClients clients;

  @BeforeEach
  void setUp(SharedKafka.Cluster cluster) {
    allocator = new RootAllocator();
    clients = KafkaClients.of(cluster.bootstrapServers());
  }

  @AfterEach
  void noLeaks() {
    assertThat(allocator.getAllocatedMemory()).as("Arrow memory still allocated").isZero();
    allocator.close();
  }

  private ReadOptions smallBatches() {
    return ReadOptions.defaults().withText(CsvOptions.builder().batchRows(16).build());
  }

  private DatasetManifest publish(String name, Path file) throws Exception {
    return new DatasetPublisher(clients)
        .publish(
            handler -> {
              try {
                return BatchSources.open(
                    file,
                    allocator,
                    new ReadOptions(null, CsvOptions.builder().batchRows(16).build(), handler));
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            },
            "iris.csv",
            DatasetPublisher.Options.defaults(name).withLabel("label").withPartitions(3),
            DatasetPublisher.Progress.NONE)
        .manifest();
  }

  @Test
  void everyEpochYieldsEveryBatchOnceInSequenceOrderAcrossPartitions(SharedKafka.Cluster cluster)
      throws Exception {
    String name = cluster.uniqueName("iris-feed");
    DatasetManifest m = publish(name, Datasets.file("iris.csv"));
    assertThat(m.batchCount()).isEqualTo(10);
    assertThat(m.partitions().stream().filter(p -> p.endOffset() > p.startOffset()).count())
        .as("partitions holding batches")
        .isGreaterThan(1);

    List<TensorBatch> fromFile;
    try (FileBatchFeed file =
        new FileBatchFeed(Datasets.file("iris.csv"), smallBatches(), null, "label", allocator, 2)) {
      fromFile = file.epoch().collectList().block(Duration.ofSeconds(30));
    }
    try (KafkaBatchFeed feed =
        new KafkaBatchFeed(clients, name, null, null, "label", allocator, 2)) {
      assertThat(feed.featureColumns())
          .containsExactly("sepal_length", "sepal_width", "petal_length", "petal_width");
      assertThat(feed.contentHash()).isEqualTo(m.contentHash());
      for (int epoch = 0; epoch < 3; epoch++) {
        List<TensorBatch> batches = feed.epoch().collectList().block(Duration.ofSeconds(60));
        assertThat(batches)
            .extracting(TensorBatch::sequence)
            .containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L);
        assertThat(batches.stream().mapToInt(TensorBatch::rows).sum()).isEqualTo(150);
        for (int i = 0; i < batches.size(); i++) {
          assertThat(batches.get(i).x())
              .as("epoch %d batch %d", epoch, i)
              .containsExactly(fromFile.get(i).x());
          assertThat(batches.get(i).y()).containsExactly(fromFile.get(i).y());
        }
      }
    }
  }

  @Test
  void anEpochCutShortOrStoppedReleasesWhatItReadAheadAndTheNextEpochIsWhole(
      SharedKafka.Cluster cluster) throws Exception {
    String name = cluster.uniqueName("iris-feed-cut");
    publish(name, Datasets.file("iris.csv"));
    try (KafkaBatchFeed feed =
        new KafkaBatchFeed(clients, name, null, null, "label", allocator, 2)) {
      assertThat(feed.epoch().take(3).collectList().block(Duration.ofSeconds(60)))
          .extracting(TensorBatch::sequence)
          .containsExactly(0L, 1L, 2L);
      assertThat(feed.epoch().collectList().block(Duration.ofSeconds(60))).hasSize(10);

      java.util.concurrent.atomic.AtomicInteger handed =
          new java.util.concurrent.atomic.AtomicInteger();
      feed.stopWhen(() -> handed.get() >= 4);
      List<Long> seen = new java.util.ArrayList<>();
      assertThatThrownBy(
              () ->
                  feed.epoch()
                      .doOnNext(
                          b -> {
                            seen.add(b.sequence());
                            handed.incrementAndGet();
                          })
                      .blockLast(Duration.ofSeconds(60)))
          .hasMessageContaining("reading " + feed.describe() + " was stopped");
      assertThat(seen).containsExactly(0L, 1L, 2L, 3L);

      feed.stopWhen(() -> false);
      assertThat(feed.epoch().collectList().block(Duration.ofSeconds(60)))
          .extracting(TensorBatch::sequence)
          .containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L);
    }
  }

  @Test
  void aMissingDatasetOrColumnIsRefusedWithTheReason(SharedKafka.Cluster cluster) throws Exception {
    String name = cluster.uniqueName("iris-feed-bad");
    publish(name, Datasets.file("iris.csv"));
    assertThatThrownBy(
            () -> new KafkaBatchFeed(clients, name + "-nope", null, null, "label", allocator, 2))
        .isInstanceOf(DatasetUnavailableException.class)
        .hasMessageContaining("does not exist");
    assertThatThrownBy(
            () -> new KafkaBatchFeed(clients, name, null, List.of("petal"), "label", allocator, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no column 'petal'");
  }
}
