package io.streamforge.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamforge.arrowio.dataset.DatasetCatalog;
import io.streamforge.arrowio.dataset.DatasetReader;
import io.streamforge.arrowio.dataset.DatasetUnavailableException;
import io.streamforge.arrowio.dataset.KafkaClients;
import io.streamforge.arrowio.dataset.RowHasher;
import io.streamforge.arrowio.read.BadRowHandler;
import io.streamforge.arrowio.read.CsvBatchSource;
import io.streamforge.arrowio.read.CsvOptions;
import io.streamforge.schemas.Topics;
import io.streamforge.schemas.records.DatasetManifest;
import io.streamforge.schemas.records.DeadLetter;
import io.streamforge.testkit.Datasets;
import io.streamforge.testkit.SharedKafka;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code streamforge publish} and {@code datasets} against a real broker. */
@ExtendWith(SharedKafka.class)
class PublishCommandIT {
  private BufferAllocator allocator;
  private String bootstrap;
  private KafkaClients clients;

  @BeforeEach
  void setUp(SharedKafka.Cluster cluster) {
    allocator = new RootAllocator();
    bootstrap = cluster.bootstrapServers();
    clients = KafkaClients.of(bootstrap);
  }

  @AfterEach
  void noLeaks() {
    assertThat(allocator.getAllocatedMemory()).isZero();
    allocator.close();
  }

  static Stream<Arguments> bundled() {
    return Stream.of(
        Arguments.of("iris.csv", true, "label", 150, 5),
        Arguments.of("wine.csv", true, "label", 178, 14),
        Arguments.of("breast_cancer.csv", true, "label", 569, 31),
        Arguments.of("digits.csv", false, "c64", 1797, 65));
  }

  @ParameterizedTest
  @MethodSource("bundled")
  void everyBundledDatasetRoundTripsWithIdenticalContent(
      String file, boolean header, String label, int rows, int columns, SharedKafka.Cluster cluster)
      throws Exception {
    String name = cluster.uniqueName(file.replace(".csv", "").replace('_', '-'));
    List<String> args =
        new ArrayList<>(
            List.of(
                "publish",
                Datasets.file(file).toString(),
                "--dataset",
                name,
                "--label",
                label,
                "--batch-rows",
                "100",
                "--bootstrap-servers",
                bootstrap));
    if (!header) {
      args.add("--no-header");
    }
    Cli.Result r = Cli.run(args.toArray(String[]::new));
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out())
        .contains("published " + name + " version 1: " + String.format("%,d", rows) + " rows");

    DatasetManifest m = DatasetCatalog.load(clients).readable(name, 1);
    assertThat(m.rowCount()).isEqualTo(rows);
    assertThat(m.labelColumn()).isEqualTo(label);

    // The file read locally and the dataset read back from Kafka hash the same.
    RowHasher local;
    try (CsvBatchSource csv =
        CsvBatchSource.open(
            Datasets.file(file),
            CsvOptions.builder().header(header).build(),
            allocator,
            BadRowHandler.FAIL)) {
      local = new RowHasher(csv.schema());
      VectorSchemaRoot root;
      while ((root = csv.next()) != null) {
        try (VectorSchemaRoot batch = root) {
          local.add(batch, csv.dictionaries());
        }
      }
    }
    try (DatasetReader reader = DatasetReader.open(clients, m, null, allocator)) {
      assertThat(reader.schema().getFields()).hasSize(columns);
      RowHasher remote = new RowHasher(reader.schema());
      assertThat(reader.forEachBatch(b -> remote.add(b.root(), b.dictionaries()))).isEqualTo(rows);
      assertThat(remote.hex()).isEqualTo(local.hex()).isEqualTo(m.contentHash());
    }

    Cli.Result show = Cli.run("datasets", "show", name, "--bootstrap-servers", bootstrap);
    assertThat(show.exitCode()).as(show.err()).isZero();
    assertThat(show.out()).contains("version        1 (SEALED)").contains("first rows");
    Cli.Result list = Cli.run("datasets", "--bootstrap-servers", bootstrap);
    assertThat(list.out()).contains(name);
  }

  @Test
  void aBrokenCsvStopsWithFileLineAndReasonAndIsNeverSealed(
      @TempDir Path dir, SharedKafka.Cluster cluster) throws Exception {
    Path csv = brokenCsv(dir);
    String name = cluster.uniqueName("broken");
    Cli.Result r =
        Cli.run("publish", csv.toString(), "--dataset", name, "--bootstrap-servers", bootstrap);
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err()).contains("error: " + csv + ":4: expected 3 fields but found 2");

    DatasetCatalog catalog = DatasetCatalog.load(clients);
    assertThat(catalog.versions(name))
        .singleElement()
        .satisfies(m -> assertThat(m.status()).isEqualTo(DatasetManifest.Status.ABORTED));
    assertThatThrownBy(() -> catalog.readable(name, 1))
        .isInstanceOf(DatasetUnavailableException.class)
        .hasMessageContaining("was aborted (" + csv + ":4: expected 3 fields but found 2)");
  }

  @Test
  void withDlqBadRowsGoToTheDeadLetterTopicAndEveryGoodRowIsPublished(
      @TempDir Path dir, SharedKafka.Cluster cluster) throws Exception {
    Path csv = brokenCsv(dir);
    String name = cluster.uniqueName("dlq");
    Cli.Result r =
        Cli.run(
            "publish",
            csv.toString(),
            "--dataset",
            name,
            "--on-error",
            "dlq",
            "--type",
            "b=float64",
            "--bootstrap-servers",
            bootstrap);
    assertThat(r.exitCode()).as(r.err()).isZero();
    DatasetManifest m = DatasetCatalog.load(clients).readable(name, null);
    assertThat(m.rowCount()).isEqualTo(4);
    assertThat(m.badRows()).isEqualTo(2);

    List<DeadLetter> letters = new ArrayList<>();
    String dlq = Topics.deadLetters("datasets." + name).name();
    var serde = Topics.deadLetters(dlq).valueSerde();
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(clients.consumer("dlq-test"))) {
      TopicPartition tp = new TopicPartition(dlq, 0);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (letters.size() < 2 && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> rec : consumer.poll(Duration.ofMillis(200))) {
          letters.add(serde.deserializer().deserialize(dlq, rec.value()));
        }
      }
    }
    assertThat(letters).hasSize(2);
    assertThat(letters.get(0).sourceFile()).isEqualTo(csv.toString());
    assertThat(letters.get(0).sourceLine()).isEqualTo(4);
    assertThat(new String(letters.get(0).original(), StandardCharsets.UTF_8)).isEqualTo("3,oops");
    assertThat(letters.get(0).error()).contains("expected 3 fields but found 2");
    assertThat(letters.get(1).sourceLine()).isEqualTo(6);
    assertThat(letters.get(1).error()).contains("column 'b'");

    try (DatasetReader reader = DatasetReader.open(clients, m, null, allocator)) {
      List<Long> ids = new ArrayList<>();
      reader.forEachBatch(
          b -> {
            var a = (org.apache.arrow.vector.BigIntVector) b.root().getVector("a");
            for (int i = 0; i < b.rowCount(); i++) {
              ids.add(a.get(i));
            }
          });
      assertThat(ids).containsExactlyInAnyOrder(1L, 2L, 4L, 6L);
    }
  }

  @Test
  void anUnknownLabelOrMissingFileIsRefusedClearly(@TempDir Path dir, SharedKafka.Cluster cluster) {
    String name = cluster.uniqueName("nolabel");
    Cli.Result r =
        Cli.run(
            "publish",
            Datasets.file("iris.csv").toString(),
            "--dataset",
            name,
            "--label",
            "species",
            "--bootstrap-servers",
            bootstrap);
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err())
        .contains("label column 'species' does not exist (columns: sepal_length, sepal_width");
    Cli.Result missing =
        Cli.run(
            "publish",
            dir.resolve("nope.csv").toString(),
            "--dataset",
            name,
            "--bootstrap-servers",
            bootstrap);
    assertThat(missing.exitCode()).isEqualTo(1);
    assertThat(missing.err()).contains("cannot read").contains("nope.csv");
    Cli.Result badName =
        Cli.run("publish", Datasets.file("iris.csv").toString(), "--dataset", "a b");
    assertThat(badName.exitCode()).isEqualTo(1);
    assertThat(badName.err()).contains("invalid dataset name 'a b'");
  }

  /** Six data rows; line 4 has a missing field and line 6 a bad number. */
  private static Path brokenCsv(Path dir) throws Exception {
    Path csv = dir.resolve("broken.csv");
    Files.writeString(
        csv,
        String.join(
                "\n",
                "a,b,c",
                "1,1.5,x",
                "2,2.5,y",
                "3,oops",
                "4,4.5,z",
                "5,not-a-number,w",
                "6,6.5,v")
            + "\n");
    return csv;
  }
}
