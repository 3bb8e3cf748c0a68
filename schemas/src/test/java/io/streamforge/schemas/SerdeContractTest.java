package io.streamforge.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamforge.schemas.arrow.ArrowIpc;
import io.streamforge.schemas.arrow.Compression;
import io.streamforge.schemas.arrow.RecordSchema;
import io.streamforge.schemas.arrow.SchemaMetadata;
import io.streamforge.schemas.arrow.SchemaVersion;
import io.streamforge.schemas.records.AgentMessage;
import io.streamforge.schemas.records.ArtifactChunk;
import io.streamforge.schemas.records.ControlCommand;
import io.streamforge.schemas.records.DatasetManifest;
import io.streamforge.schemas.records.DeadLetter;
import io.streamforge.schemas.records.Deployment;
import io.streamforge.schemas.records.MetricPoint;
import io.streamforge.schemas.records.ModelEvent;
import io.streamforge.schemas.records.Phase;
import io.streamforge.schemas.records.PhaseTransition;
import io.streamforge.schemas.records.TrainingJob;
import io.streamforge.schemas.records.WorkflowRequest;
import io.streamforge.schemas.serde.RecordBatchSerde;
import io.streamforge.schemas.serde.RecordSerde;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** The serde contract, for every record type on every topic. */
class SerdeContractTest {
  private static final Instant T = Instant.parse("2026-11-24T10:15:30.123456Z");
  private BufferAllocator allocator;

  @BeforeEach
  void allocator() {
    allocator = new RootAllocator();
  }

  @AfterEach
  void noLeaks() {
    assertThat(allocator.getAllocatedMemory()).as("Arrow memory still allocated").isZero();
    allocator.close();
  }

  static Stream<Record> samples() {
    return Stream.of(
        new DatasetManifest(
            "iris",
            2,
            DatasetManifest.Status.SEALED,
            "{\"fields\":[]}",
            "label",
            150,
            1,
            3,
            List.of(
                new DatasetManifest.PartitionRange(0, 10, 12),
                new DatasetManifest.PartitionRange(1, 0, 1)),
            "ab12",
            "zstd",
            "producer-1",
            "iris.csv",
            T,
            T.plusSeconds(1),
            null),
        new MetricPoint("trainer", "job-1", 42, "loss", 0.25, T, Map.of("split", "train")),
        new AgentMessage(
            "m1",
            "c1",
            "wf-1",
            "orchestrator",
            "architect",
            AgentMessage.MessageType.REQUEST,
            5,
            T,
            "design",
            "{\"rows\":150}"),
        new PhaseTransition("wf-1", null, Phase.ANALYZE, "submitted", T, Map.of()),
        new PhaseTransition(
            "wf-1", Phase.TRAIN, Phase.CONVERT, "trained", T, Map.of("job", "job-9")),
        new ModelEvent(
            "iris",
            3,
            "fp32",
            "onnx",
            ModelEvent.ModelStatus.REGISTERED,
            "deadbeef",
            1234,
            Map.of("val_accuracy", 0.97),
            null,
            "job-9",
            null,
            T),
        new Deployment("iris", 3, 4, 12.5, Deployment.Mode.SPLIT, "x-user", "set-weight", "r", T),
        new Deployment("iris", 3, null, 0, Deployment.Mode.SHADOW, null, "promote", "ok", T),
        new Deployment(
            "iris",
            3,
            3,
            5,
            Deployment.Mode.SPLIT,
            null,
            "set-weight",
            "int8 canary",
            T,
            null,
            "int8-dynamic"),
        new TrainingJob(
            "job-1",
            "wf-1",
            "trial-3",
            "iris",
            "iris",
            2,
            "label",
            List.of("a", "b"),
            TrainingJob.TaskType.CLASSIFICATION,
            null,
            new TrainingJob.Architecture(
                "mlp", List.of(64, 32), "relu", 0.1, true, Map.of("init", "xavier")),
            new TrainingJob.OptimizerSpec("adam", 1e-3, 1e-4, 0.9, "cosine"),
            64,
            30,
            7L,
            0.2,
            5,
            "auto",
            Map.of(),
            T),
        new ControlCommand(
            "job-1", ControlCommand.Action.SET_LEARNING_RATE, 1e-4, "plateau", "debugger", T),
        new ControlCommand("job-1", ControlCommand.Action.STOP, null, "nan", "debugger", T),
        new ArtifactChunk("iris", 3, "fp32", 0, 2, 10, "beef", new byte[] {1, 2, 3, 0, -1}),
        new DeadLetter(
            null, null, null, "bad.csv", 17L, null, "1,2,x".getBytes(), "not a number", T),
        new WorkflowRequest(
            "wf-1",
            "classify iris species",
            "iris",
            null,
            "label",
            null,
            600L,
            new WorkflowRequest.Constraints(1_000_000L, 5.0, null),
            new WorkflowRequest.Objectives("accuracy", "latency", Map.of("accuracy", 0.8)),
            new WorkflowRequest.Search("tpe", 20, 2, 3),
            0.2,
            0,
            new WorkflowRequest.Rollout(10, 30, Map.of("max_error_rate", 0.01)),
            false,
            Map.of("k", "v"),
            T));
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  @ParameterizedTest
  @MethodSource("samples")
  void roundTripsEveryRecordType(Record sample) {
    for (Compression c : Compression.values()) {
      try (RecordSerde serde = new RecordSerde(sample.getClass(), c, allocator)) {
        byte[] bytes = serde.serialize("t", sample);
        Object back = serde.deserialize("t", bytes);
        assertRecordEquals(back, sample);
      }
    }
  }

  /** Kafka consumers hand values as views of their fetch buffers; those decode in place too. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  @ParameterizedTest
  @MethodSource("samples")
  void decodesViewsOfALargerBufferAndLeavesTheirPosition(Record sample) {
    try (RecordSerde serde = new RecordSerde(sample.getClass(), Compression.ZSTD, allocator)) {
      byte[] bytes = serde.serialize("t", sample);
      byte[] fetched = new byte[bytes.length + 40];
      System.arraycopy(bytes, 0, fetched, 17, bytes.length);
      java.nio.ByteBuffer view = java.nio.ByteBuffer.wrap(fetched, 17, bytes.length).slice();
      view.position(0);
      Object back =
          serde.deserialize(
              "t", new org.apache.kafka.common.header.internals.RecordHeaders(), view);
      assertRecordEquals(back, sample);
      assertThat(view.position()).isZero();
      assertThat(view.remaining()).isEqualTo(bytes.length);
      assertThat(serde.deserialize("t", null, (java.nio.ByteBuffer) null)).isNull();
      java.nio.ByteBuffer truncated = java.nio.ByteBuffer.wrap(fetched, 17, bytes.length / 2);
      assertThatThrownBy(() -> serde.deserializeBuffer("my.topic", truncated))
          .isInstanceOf(SerializationException.class)
          .hasMessageContaining("topic 'my.topic'")
          .hasMessageContaining("(" + bytes.length / 2 + " bytes)");
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  @ParameterizedTest
  @MethodSource("samples")
  void nullInNullOutAndCorruptBytesNameTheTopic(Record sample) {
    try (RecordSerde serde = new RecordSerde(sample.getClass(), Compression.ZSTD, allocator)) {
      assertThat(serde.serialize("t", null)).isNull();
      assertThat(serde.deserialize("t", null)).isNull();
      byte[] bytes = serde.serialize("t", sample);

      for (int cut : new int[] {0, 1, 7, bytes.length / 2, bytes.length - 9}) {
        byte[] truncated = Arrays.copyOf(bytes, cut);
        assertThatThrownBy(() -> serde.deserialize("my.topic", truncated))
            .isInstanceOf(SerializationException.class)
            .hasMessageContaining("topic 'my.topic'");
      }
      byte[] garbage = new byte[bytes.length];
      new java.util.Random(1).nextBytes(garbage);
      assertThatThrownBy(() -> serde.deserialize("my.topic", garbage))
          .isInstanceOf(SerializationException.class)
          .hasMessageContaining("topic 'my.topic'");
    }
  }

  @Test
  void flippedBytesNeverLeakOrEscapeAsOtherExceptions() {
    MetricPoint p = new MetricPoint("s", "r", 1, "loss", 1.0, T, Map.of("a", "b"));
    try (RecordSerde<MetricPoint> serde =
        new RecordSerde<>(MetricPoint.class, Compression.NONE, allocator)) {
      byte[] bytes = serde.serialize("t", p);
      for (int i = 0; i < bytes.length; i += 3) {
        byte[] copy = bytes.clone();
        copy[i] ^= (byte) 0x5A;
        try {
          serde.deserialize("t", copy);
        } catch (SerializationException expected) {
          assertThat(expected).hasMessageContaining("topic 't'");
        }
      }
    }
  }

  @Test
  void anotherSchemaIsRefusedByName() {
    try (RecordSerde<MetricPoint> metrics =
            new RecordSerde<>(MetricPoint.class, Compression.ZSTD, allocator);
        RecordSerde<ControlCommand> control =
            new RecordSerde<>(ControlCommand.class, Compression.ZSTD, allocator)) {
      byte[] bytes =
          control.serialize(
              "t", new ControlCommand("j", ControlCommand.Action.STOP, null, "r", "me", T));
      assertThatThrownBy(() -> metrics.deserialize("metrics", bytes))
          .isInstanceOf(SerializationException.class)
          .hasMessageContaining("expected a 'metric' batch but found a 'control-command' batch");
    }
  }

  @Test
  void unknownMajorVersionIsRefusedAndNewerMinorIsRead() {
    RecordSchema<MetricPoint> schema = RecordSchema.of(MetricPoint.class);
    MetricPoint p = new MetricPoint("s", "r", 1, "loss", 1.0, T, Map.of());
    try (RecordSerde<MetricPoint> serde =
        new RecordSerde<>(MetricPoint.class, Compression.ZSTD, allocator)) {
      byte[] v2 = encodeWithVersion(schema, p, new SchemaVersion(2, 0));
      assertThatThrownBy(() -> serde.deserialize("metrics", v2))
          .isInstanceOf(SerializationException.class)
          .hasMessageContaining("'metric' schema version 2.0 is not supported")
          .hasMessageContaining("reads 1.x");
      byte[] v17 = encodeWithVersion(schema, p, new SchemaVersion(1, 7));
      assertThat(serde.deserialize("metrics", v17)).isEqualTo(p);
    }
  }

  @Test
  void aDeploymentWrittenAsSchema10ReadsWithoutVariants() {
    RecordSchema<Deployment> schema = RecordSchema.of(Deployment.class);
    assertThat(schema.version()).isEqualTo(new SchemaVersion(1, 1));
    Deployment now =
        new Deployment(
            "iris", 3, 4, 10, Deployment.Mode.SPLIT, null, "set-weight", "r", T, "ternary", "x");
    byte[] old;
    try (VectorSchemaRoot root = schema.write(List.of(now), allocator)) {
      // the 1.0 layout: the first nine fields, stamped 1.0
      List<org.apache.arrow.vector.FieldVector> vectors = root.getFieldVectors().subList(0, 9);
      Schema v10 =
          SchemaMetadata.stamp(
              new Schema(vectors.stream().map(v -> v.getField()).toList()),
              schema.name(),
              new SchemaVersion(1, 0));
      old =
          ArrowIpc.write(
              new VectorSchemaRoot(v10, vectors, root.getRowCount()), null, Compression.ZSTD);
    }
    try (RecordSerde<Deployment> serde =
        new RecordSerde<>(Deployment.class, Compression.ZSTD, allocator)) {
      Deployment read = serde.deserialize("deployments", old);
      assertThat(read)
          .isEqualTo(
              new Deployment("iris", 3, 4, 10, Deployment.Mode.SPLIT, null, "set-weight", "r", T));
      assertThat(read.stableVariant()).isNull();
      assertThat(read.canaryVariant()).isNull();
    }
  }

  private byte[] encodeWithVersion(
      RecordSchema<MetricPoint> schema, MetricPoint p, SchemaVersion version) {
    try (VectorSchemaRoot root = schema.write(List.of(p), allocator)) {
      Schema stamped = SchemaMetadata.stamp(root.getSchema(), schema.name(), version);
      return ArrowIpc.write(
          new VectorSchemaRoot(stamped, root.getFieldVectors(), root.getRowCount()),
          null,
          Compression.ZSTD);
    }
  }

  @ParameterizedTest
  @EnumSource(Compression.class)
  void emptyWideAndLongBatches(Compression c) {
    try (RecordBatchSerde<MetricPoint> serde =
        new RecordBatchSerde<>(MetricPoint.class, c, allocator)) {
      assertThat(serde.deserialize("m", serde.serialize("m", List.of()))).isEmpty();

      List<MetricPoint> many = new ArrayList<>();
      for (int i = 0; i < 100_000; i++) {
        Map<String, String> labels = new LinkedHashMap<>();
        for (int k = 0; k < i % 4; k++) {
          labels.put("k" + k, "v" + i);
        }
        many.add(
            new MetricPoint(
                i % 7 == 0 ? null : "src", "run-" + (i % 13), i, "loss", i * 0.5, T, labels));
      }
      assertThat(serde.deserialize("m", serde.serialize("m", many))).isEqualTo(many);

      Map<String, String> wide = new LinkedHashMap<>();
      for (int k = 0; k < 5_000; k++) {
        wide.put("label_" + k, "x".repeat(k % 50));
      }
      List<MetricPoint> one = List.of(new MetricPoint("s", "r", 0, "n", 0, T, wide));
      assertThat(serde.deserialize("m", serde.serialize("m", one))).isEqualTo(one);
    }
  }

  @Test
  void nullsInNestedRecordsAndPrimitivesDefaultWhenAbsent() {
    WorkflowRequest sparse =
        new WorkflowRequest(
            "wf", null, "d", null, "y", null, null, null, null, null, 0, 0, null, false, null,
            null);
    try (RecordSerde<WorkflowRequest> serde =
        new RecordSerde<>(WorkflowRequest.class, Compression.ZSTD, allocator)) {
      assertThat(serde.deserialize("w", serde.serialize("w", sparse))).isEqualTo(sparse);
    }
  }

  @Test
  void everyTopicIsDeclaredWithItsPolicy() {
    assertThat(Topics.ALL).extracting(Topic::name).doesNotHaveDuplicates().hasSize(10);
    assertThat(Topics.DATASET_MANIFESTS.configs()).containsEntry("cleanup.policy", "compact");
    assertThat(Topics.METRICS.configs()).containsEntry("retention.ms", "259200000");
    assertThat(Topics.dataset("iris", 3).name()).isEqualTo("datasets.iris");
    assertThat(Topics.dataset("iris", 3).configs()).containsEntry("retention.ms", "-1");
    assertThat(Topics.deadLetters("datasets.iris").name()).isEqualTo("datasets.iris.dlq");
    assertThat(Topics.dataset("iris", 3)).isEqualTo(Topics.dataset("iris", 3));
    assertThat(Topics.dataset("iris", 3)).isNotEqualTo(Topics.dataset("iris", 4));
    assertThatThrownBy(() -> Topics.dataset("bad name", 1))
        .hasMessageContaining("invalid dataset name 'bad name'");
  }

  private static void assertRecordEquals(Object actual, Record expected) {
    // recursive comparison compares byte[] components by content
    assertThat(actual).usingRecursiveComparison().isEqualTo(expected);
    assertThat(actual).isInstanceOf(expected.getClass());
  }
}
