package io.streamforge.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamforge.arrowio.dataset.DatasetCatalog;
import io.streamforge.arrowio.dataset.DatasetPublisher;
import io.streamforge.arrowio.dataset.DatasetReader;
import io.streamforge.arrowio.dataset.DatasetUnavailableException;
import io.streamforge.arrowio.dataset.KafkaClients;
import io.streamforge.arrowio.dataset.RowHasher;
import io.streamforge.arrowio.synthetic.SyntheticBatchSource;
import io.streamforge.launcher.broker.EmbeddedBroker;
import io.streamforge.schemas.records.DatasetManifest;
import io.streamforge.testkit.SharedKafka;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The embedded broker, a publish killed half-way, and the demo. */
@ExtendWith(SharedKafka.class)
class BrokerAndDemoIT {

  @Test
  void restartingOnTheSameDataDirKeepsTheData(@TempDir Path dir) throws Exception {
    DatasetManifest published;
    try (BufferAllocator allocator = new RootAllocator()) {
      try (EmbeddedBroker broker = EmbeddedBroker.start(dir, 0, 0, Map.of())) {
        published =
            new DatasetPublisher(KafkaClients.of(broker.bootstrapServers()))
                .publish(
                    h -> new SyntheticBatchSource(allocator, 50_000, 8, 3, 10_000, 9),
                    "synthetic",
                    DatasetPublisher.Options.defaults("kept"),
                    DatasetPublisher.Progress.NONE)
                .manifest();
      }
      try (EmbeddedBroker broker = EmbeddedBroker.start(dir, 0, 0, Map.of())) {
        KafkaClients clients = KafkaClients.of(broker.bootstrapServers());
        DatasetManifest again = DatasetCatalog.load(clients).readable("kept", null);
        assertThat(again.contentHash()).isEqualTo(published.contentHash());
        try (DatasetReader reader = DatasetReader.open(clients, again, null, allocator)) {
          RowHasher hasher = new RowHasher(reader.schema());
          assertThat(reader.forEachBatch(b -> hasher.add(b.root(), b.dictionaries())))
              .isEqualTo(50_000);
          assertThat(hasher.hex()).isEqualTo(published.contentHash());
        }
      }
    }
  }

  @Test
  void aPublishKilledHalfWayLeavesAnUnsealedVersionThatReadersRefuse(
      @TempDir Path dir, SharedKafka.Cluster cluster) throws Exception {
    Path csv = dir.resolve("big.csv");
    StringBuilder sb = new StringBuilder("id,x,y\n");
    for (int i = 0; i < 100_000; i++) {
      sb.append(i).append(',').append(i * 0.5).append(',').append(i % 7).append('\n');
    }
    Files.writeString(csv, sb);
    String name = cluster.uniqueName("killed");
    KafkaClients clients = KafkaClients.of(cluster.bootstrapServers());

    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("--add-opens=java.base/java.nio=ALL-UNNAMED");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Main.class.getName());
    cmd.addAll(
        List.of(
            "publish",
            csv.toString(),
            "--dataset",
            name,
            "--batch-rows",
            "1000",
            "--throttle",
            "5000",
            "--bootstrap-servers",
            cluster.bootstrapServers()));
    Process child =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("child.log").toFile())
            .start();
    try {
      // Wait until the version is claimed and some batches are on the topic, then SIGKILL.
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      Optional<DatasetManifest> open = Optional.empty();
      while (System.nanoTime() < deadline) {
        open = DatasetCatalog.load(clients).manifest(name, 1);
        if (open.isPresent() && offsetsWritten(cluster, "datasets." + name) >= 3) {
          break;
        }
        Thread.sleep(200);
      }
      assertThat(open).as(Files.readString(dir.resolve("child.log"))).isPresent();
      assertThat(child.isAlive()).as("publish must still be running when killed").isTrue();
    } finally {
      child.destroyForcibly(); // SIGKILL on Linux
      child.waitFor();
    }
    DatasetManifest m = DatasetCatalog.load(clients).manifest(name, 1).orElseThrow();
    assertThat(m.status()).isEqualTo(DatasetManifest.Status.OPEN);
    try (BufferAllocator allocator = new RootAllocator()) {
      assertThatThrownBy(() -> DatasetReader.open(clients, name, 1, null, allocator))
          .isInstanceOf(DatasetUnavailableException.class)
          .hasMessageContaining("is not sealed");
      assertThatThrownBy(() -> DatasetReader.open(clients, name, null, null, allocator))
          .hasMessageContaining("has no sealed version yet");
    }
    // Publishing again gives a new, complete version.
    Cli.Result again =
        Cli.run(
            "publish",
            csv.toString(),
            "--dataset",
            name,
            "--bootstrap-servers",
            cluster.bootstrapServers());
    assertThat(again.exitCode()).as(again.err()).isZero();
    assertThat(DatasetCatalog.load(clients).readable(name, null).version()).isEqualTo(2);
  }

  private static long offsetsWritten(SharedKafka.Cluster cluster, String topic) throws Exception {
    try (var admin = cluster.admin()) {
      if (!admin.listTopics().names().get().contains(topic)) {
        return 0;
      }
      var partitions =
          admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions();
      Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.OffsetSpec>
          request = new java.util.HashMap<>();
      for (var p : partitions) {
        request.put(
            new org.apache.kafka.common.TopicPartition(topic, p.partition()),
            org.apache.kafka.clients.admin.OffsetSpec.latest());
      }
      long total = 0;
      for (var info : admin.listOffsets(request).all().get().values()) {
        total += info.offset();
      }
      return total;
    }
  }

  @Test
  void theDemoRunsAWorkflowToAStableModelAndARestartKeepsIt(@TempDir Path dir) {
    String home = Path.of("").toAbsolutePath().getParent().toString();
    System.setProperty("streamforge.home", home);
    String[] args = {
      "demo",
      "--exit-when-done",
      "--port",
      "0",
      "--controller-port",
      "0",
      "--http-port",
      "0",
      "--api-port",
      "0",
      "--data-dir",
      dir.toString()
    };
    Cli.Result first = Cli.run(args);
    assertThat(first.exitCode()).as(first.err()).isZero();
    assertThat(first.out())
        .contains(
            "publishing " + home + File.separator + "datasets" + File.separator + "digits.csv")
        .contains("version        1 (SEALED)")
        .contains("1,797 in")
        .contains("first rows")
        .contains("→ ANALYZE")
        .contains("SEARCH     → TRAIN")
        .contains("OPTIMIZE   → DEPLOY")
        .contains("DEPLOY     → DONE")
        .contains("is STABLE: val_accuracy")
        .contains("call it: curl -s http://localhost:")
        .contains("== demo done");
    Cli.Result second = Cli.run(args);
    assertThat(second.exitCode()).as(second.err()).isZero();
    assertThat(second.out())
        .contains("dataset digits version 1 is already published (1,797 rows)")
        .contains("is STABLE already (from an earlier run)")
        .doesNotContain("→ ANALYZE");
  }
}
