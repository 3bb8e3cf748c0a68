package io.streamforge.arrowio.dataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamforge.arrowio.synthetic.SyntheticBatchSource;
import io.streamforge.schemas.Topics;
import io.streamforge.schemas.arrow.Compression;
import io.streamforge.schemas.arrow.DatasetBatch;
import io.streamforge.schemas.records.DatasetManifest;
import io.streamforge.testkit.SharedKafka;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Publishing and reading dataset versions against a real Kafka broker. */
@ExtendWith(SharedKafka.class)
class DatasetPublishReadIT {
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

  private DatasetPublisher.Result publish(
      String dataset, long rows, int features, Compression codec, long seed) throws Exception {
    return new DatasetPublisher(clients)
        .publish(
            handler -> new SyntheticBatchSource(allocator, rows, features, 3, 65_536, seed),
            "synthetic",
            DatasetPublisher.Options.defaults(dataset).withLabel("label").withCompression(codec),
            DatasetPublisher.Progress.NONE);
  }

  @Test
  void millionRowsRoundTripWithIdenticalContent(SharedKafka.Cluster cluster) throws Exception {
    String name = cluster.uniqueName("synthetic");
    DatasetManifest m = publish(name, 1_000_000, 32, Compression.ZSTD, 42).manifest();

    assertThat(m.status()).isEqualTo(DatasetManifest.Status.SEALED);
    assertThat(m.rowCount()).isEqualTo(1_000_000);
    assertThat(m.batchCount()).isEqualTo(16);
    assertThat(m.partitions()).isNotEmpty();
    assertThat(m.contentHash()).hasSize(64);

    try (DatasetReader reader = DatasetReader.open(clients, name, null, null, allocator)) {
      for (int epoch = 0; epoch < 2; epoch++) {
        RowHasher hasher = new RowHasher(reader.schema());
        long rows = reader.forEachBatch(b -> hasher.add(b.root(), b.dictionaries()));
        assertThat(rows).isEqualTo(1_000_000);
        assertThat(hasher.hex()).as("epoch %d content hash", epoch).isEqualTo(m.contentHash());
      }
      assertThat(reader.epochs()).isEqualTo(2);
    }
  }

  @Test
  void disjointPartitionSubsetsTogetherReadEachBatchOnce(SharedKafka.Cluster cluster)
      throws Exception {
    String name = cluster.uniqueName("split");
    DatasetManifest m = publish(name, 300_000, 4, Compression.NONE, 7).manifest();
    assertThat(m.partitions()).hasSizeGreaterThan(1);

    RowHasher total =
        new RowHasher(org.apache.arrow.vector.types.pojo.Schema.fromJSON(m.schemaJson()));
    long rows = 0;
    for (DatasetManifest.PartitionRange r : m.partitions()) {
      try (DatasetReader reader =
          DatasetReader.open(clients, m, Set.of(r.partition()), allocator)) {
        RowHasher part = new RowHasher(reader.schema());
        rows += reader.forEachBatch(b -> part.add(b.root(), b.dictionaries()));
        total.merge(part);
      }
    }
    assertThat(rows).isEqualTo(300_000);
    assertThat(total.hex()).isEqualTo(m.contentHash());
  }

  @Test
  void publishingAgainCreatesANewVersionAndReadersReadTheOneTheyAreGiven(
      SharedKafka.Cluster cluster) throws Exception {
    String name = cluster.uniqueName("versions");
    DatasetManifest v1 = publish(name, 1_000, 3, Compression.ZSTD, 1).manifest();
    DatasetManifest v2 = publish(name, 2_500, 3, Compression.ZSTD, 2).manifest();
    assertThat(v1.version()).isEqualTo(1);
    assertThat(v2.version()).isEqualTo(2);
    assertThat(v1.contentHash()).isNotEqualTo(v2.contentHash());

    try (DatasetReader reader = DatasetReader.open(clients, name, 1, null, allocator)) {
      assertThat(reader.forEachBatch(b -> {})).isEqualTo(1_000);
    }
    try (DatasetReader reader = DatasetReader.open(clients, name, null, null, allocator)) {
      assertThat(reader.manifest().version()).isEqualTo(2);
      assertThat(reader.forEachBatch(b -> assertThat(b.metadata().version()).isEqualTo(2)))
          .isEqualTo(2_500);
    }
    DatasetCatalog catalog = DatasetCatalog.load(clients);
    assertThat(catalog.versions(name)).extracting(DatasetManifest::version).containsExactly(1, 2);
  }

  @Test
  void iteratorHandsOutBatchesTheCallerCloses(SharedKafka.Cluster cluster) throws Exception {
    String name = cluster.uniqueName("iter");
    publish(name, 10_000, 2, Compression.ZSTD, 3);
    try (DatasetReader reader = DatasetReader.open(clients, name, null, null, allocator)) {
      Iterator<DatasetBatch> it = reader.epoch();
      long rows = 0;
      while (it.hasNext()) {
        try (DatasetBatch b = it.next()) {
          assertThat(allocator.getAllocatedMemory()).isPositive();
          rows += b.rowCount();
        }
      }
      assertThat(rows).isEqualTo(10_000);
      assertThat(it.hasNext()).isFalse();
    }
  }

  @Test
  void unsealedAbortedAndMissingVersionsAreRefusedWithAReason(SharedKafka.Cluster cluster)
      throws Exception {
    String name = cluster.uniqueName("unsealed");
    publish(name, 100, 2, Compression.ZSTD, 1);
    DatasetManifest open =
        new DatasetManifest(
            name,
            2,
            DatasetManifest.Status.OPEN,
            null,
            null,
            0,
            0,
            0,
            List.of(),
            null,
            "zstd",
            "someone-else",
            "x.csv",
            Instant.now(),
            null,
            null);
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(clients.producer("test"))) {
      producer
          .send(
              new ProducerRecord<>(
                  Topics.DATASET_MANIFESTS.name(),
                  open.key(),
                  Topics.DATASET_MANIFESTS.valueSerde().serializer().serialize("m", open)))
          .get();
    }
    assertThatThrownBy(() -> DatasetReader.open(clients, name, 2, null, allocator))
        .isInstanceOf(DatasetUnavailableException.class)
        .hasMessageContaining("version 2 is not sealed")
        .hasMessageContaining("sealed versions: 1");
    assertThatThrownBy(() -> DatasetReader.open(clients, name, 9, null, allocator))
        .hasMessageContaining("has no version 9");
    assertThatThrownBy(() -> DatasetReader.open(clients, "no-such-" + name, null, null, allocator))
        .hasMessageContaining("does not exist");
    // the next publish skips the version someone else holds open
    assertThat(publish(name, 10, 2, Compression.ZSTD, 5).manifest().version()).isEqualTo(3);
  }

  @Test
  void oversizedBatchesAreSplitAndStillReadOnceWithTheSameHash(SharedKafka.Cluster cluster)
      throws Exception {
    String name = cluster.uniqueName("split-size");
    DatasetManifest m =
        new DatasetPublisher(clients)
            .publish(
                handler -> new SyntheticBatchSource(allocator, 40_000, 16, 3, 20_000, 11),
                "synthetic",
                DatasetPublisher.Options.defaults(name).withMaxBatchBytes(200_000),
                DatasetPublisher.Progress.NONE)
            .manifest();
    // 20,000 rows x 17 columns x 4 bytes = 1.36 MB per source batch: split into pieces <= 200 kB
    assertThat(m.batchCount()).isGreaterThanOrEqualTo(2 * 8);
    try (DatasetReader reader = DatasetReader.open(clients, m, null, allocator)) {
      RowHasher hasher = new RowHasher(reader.schema());
      java.util.List<Long> sequences = new java.util.ArrayList<>();
      long rows =
          reader.forEachBatch(
              b -> {
                hasher.add(b.root(), b.dictionaries());
                sequences.add(b.metadata().sequence());
              });
      assertThat(rows).isEqualTo(40_000);
      assertThat(sequences).doesNotHaveDuplicates().hasSize((int) m.batchCount());
      assertThat(hasher.hex()).isEqualTo(m.contentHash());
    }
  }

  @Test
  void dictionaryEncodedColumnsRoundTripThroughKafka(SharedKafka.Cluster cluster) throws Exception {
    String name = cluster.uniqueName("dict");
    StringBuilder csv = new StringBuilder("city,temp\n");
    String[] cities = {"Oslo", "Lima", "Pune", "Kyiv"};
    for (int i = 0; i < 5_000; i++) {
      csv.append(cities[i % 4]).append(',').append(i % 40).append('\n');
    }
    byte[] bytes = csv.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    io.streamforge.arrowio.read.CsvOptions options =
        io.streamforge.arrowio.read.CsvOptions.builder()
            .dictionaryColumns("city")
            .batchRows(1_000)
            .build();
    DatasetManifest m =
        new DatasetPublisher(clients)
            .publish(
                handler -> {
                  try {
                    return io.streamforge.arrowio.read.CsvBatchSource.open(
                        new java.io.ByteArrayInputStream(bytes),
                        "cities.csv",
                        bytes.length,
                        options,
                        allocator,
                        handler);
                  } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                  }
                },
                "cities.csv",
                DatasetPublisher.Options.defaults(name),
                DatasetPublisher.Progress.NONE)
            .manifest();
    assertThat(m.rowCount()).isEqualTo(5_000);
    try (DatasetReader reader = DatasetReader.open(clients, m, null, allocator)) {
      assertThat(reader.schema().findField("city").getDictionary()).isNotNull();
      java.util.Map<String, Integer> counts = new java.util.TreeMap<>();
      RowHasher hasher = new RowHasher(reader.schema());
      reader.forEachBatch(
          b -> {
            hasher.add(b.root(), b.dictionaries());
            var field = b.root().getVector("city").getField();
            var dictionary = b.dictionaries().lookup(field.getDictionary().getId());
            var indices = (org.apache.arrow.vector.BaseIntVector) b.root().getVector("city");
            for (int i = 0; i < b.rowCount(); i++) {
              Object city = dictionary.getVector().getObject((int) indices.getValueAsLong(i));
              counts.merge(city.toString(), 1, Integer::sum);
            }
          });
      assertThat(counts)
          .containsOnlyKeys(cities)
          .allSatisfy((k, v) -> assertThat(v).isEqualTo(1250));
      assertThat(hasher.hex()).isEqualTo(m.contentHash());
    }
  }

  @Test
  void concurrentPublishesThroughOnePublisherGetTheirOwnVersions(SharedKafka.Cluster cluster)
      throws Exception {
    String name = cluster.uniqueName("concurrent");
    DatasetPublisher publisher = new DatasetPublisher(clients);
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(2);
    try {
      List<java.util.concurrent.Future<DatasetManifest>> futures = new java.util.ArrayList<>();
      for (int i = 0; i < 2; i++) {
        long rows = 20_000 + i * 5_000;
        long seed = 100 + i;
        futures.add(
            pool.submit(
                () ->
                    publisher
                        .publish(
                            h -> new SyntheticBatchSource(allocator, rows, 4, 3, 2_000, seed),
                            "synthetic",
                            DatasetPublisher.Options.defaults(name),
                            DatasetPublisher.Progress.NONE)
                        .manifest()));
      }
      List<DatasetManifest> manifests = new java.util.ArrayList<>();
      for (var f : futures) {
        manifests.add(f.get());
      }
      assertThat(manifests).extracting(DatasetManifest::version).containsExactlyInAnyOrder(1, 2);
      for (DatasetManifest m : manifests) {
        try (DatasetReader reader =
            DatasetReader.open(clients, name, m.version(), null, allocator)) {
          RowHasher hasher = new RowHasher(reader.schema());
          assertThat(reader.forEachBatch(b -> hasher.add(b.root(), b.dictionaries())))
              .isEqualTo(m.rowCount());
          assertThat(hasher.hex()).isEqualTo(m.contentHash());
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aSourceThatFailsToCloseAfterSealingLeavesTheVersionSealed(SharedKafka.Cluster cluster)
      throws Exception {
    String name = cluster.uniqueName("close-fails");
    DatasetManifest m =
        new DatasetPublisher(clients)
            .publish(
                h -> new FailingClose(new SyntheticBatchSource(allocator, 1_000, 2, 2, 500, 1)),
                "synthetic",
                DatasetPublisher.Options.defaults(name),
                DatasetPublisher.Progress.NONE)
            .manifest();
    assertThat(m.sealed()).isTrue();
    assertThat(DatasetCatalog.load(clients).readable(name, 1).sealed()).isTrue();
  }

  @Test
  void deletedRecordsFailTheReadInsteadOfShorteningIt(SharedKafka.Cluster cluster)
      throws Exception {
    String name = cluster.uniqueName("deleted");
    DatasetManifest m =
        new DatasetPublisher(clients)
            .publish(
                h -> new SyntheticBatchSource(allocator, 10_000, 2, 2, 1_000, 3),
                "synthetic",
                DatasetPublisher.Options.defaults(name).withPartitions(1),
                DatasetPublisher.Progress.NONE)
            .manifest();
    try (var admin = cluster.admin()) {
      admin
          .deleteRecords(
              java.util.Map.of(
                  new org.apache.kafka.common.TopicPartition("datasets." + name, 0),
                  org.apache.kafka.clients.admin.RecordsToDelete.beforeOffset(4)))
          .all()
          .get();
    }
    try (DatasetReader reader = DatasetReader.open(clients, m, null, allocator)) {
      assertThatThrownBy(() -> reader.forEachBatch(b -> {}))
          .isInstanceOf(DatasetUnavailableException.class)
          .hasMessageContaining("were deleted");
    }
  }

  @Test
  void anUnreadableManifestRecordDoesNotHideTheOthers(SharedKafka.Cluster cluster)
      throws Exception {
    String name = cluster.uniqueName("garbage");
    publish(name, 100, 2, Compression.ZSTD, 1);
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(clients.producer("t"))) {
      producer
          .send(
              new ProducerRecord<>(
                  Topics.DATASET_MANIFESTS.name(), name + ":9", new byte[] {1, 2, 3, 4}))
          .get();
    }
    assertThat(DatasetCatalog.load(clients).readable(name, null).version()).isEqualTo(1);
  }

  @Test
  void theSharedTopicSerdesSurviveAClientClosingThem() throws Exception {
    var config = clients.consumer("closer");
    new org.apache.kafka.clients.consumer.KafkaConsumer<>(
            config,
            new org.apache.kafka.common.serialization.StringDeserializer(),
            Topics.DATASET_MANIFESTS.valueSerde().deserializer())
        .close();
    DatasetManifest m =
        DatasetManifest.open(
            "x", 1, null, "zstd", "p", "s", Instant.parse("2026-11-24T10:00:00.123456Z"));
    var serde = Topics.DATASET_MANIFESTS.valueSerde();
    assertThat(serde.deserializer().deserialize("t", serde.serializer().serialize("t", m)))
        .isEqualTo(m);
  }

  /** A source whose close() fails after it was read to the end. */
  private record FailingClose(SyntheticBatchSource delegate)
      implements io.streamforge.arrowio.read.BatchSource {
    @Override
    public org.apache.arrow.vector.types.pojo.Schema schema() {
      return delegate.schema();
    }

    @Override
    public org.apache.arrow.vector.dictionary.DictionaryProvider dictionaries() {
      return delegate.dictionaries();
    }

    @Override
    public org.apache.arrow.vector.VectorSchemaRoot next() {
      return delegate.next();
    }

    @Override
    public long rowsRead() {
      return delegate.rowsRead();
    }

    @Override
    public long bytesRead() {
      return delegate.bytesRead();
    }

    @Override
    public long totalBytes() {
      return delegate.totalBytes();
    }

    @Override
    public void close() {
      throw new IllegalStateException("close failed");
    }
  }
}
