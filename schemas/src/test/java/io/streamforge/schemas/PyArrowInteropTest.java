package io.streamforge.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamforge.schemas.arrow.BatchMetadata;
import io.streamforge.schemas.arrow.Compression;
import io.streamforge.schemas.arrow.DatasetBatch;
import io.streamforge.schemas.records.MetricPoint;
import io.streamforge.schemas.serde.DatasetBatchSerde;
import io.streamforge.schemas.serde.RecordBatchSerde;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * StreamForge's Kafka values are plain Arrow IPC streams: pyarrow reads what the Java serdes write,
 * and the Java serdes read what pyarrow writes. Needs python3 with pyarrow (installed by the
 * README's test command); skipped without it.
 */
class PyArrowInteropTest {
  private static final Path SCRIPT = Path.of("src/test/python/interop.py").toAbsolutePath();
  private static final ObjectMapper JSON = new ObjectMapper();

  @BeforeAll
  static void pyarrowPresent() throws Exception {
    boolean present;
    try {
      Process p = new ProcessBuilder("python3", "-c", "import pyarrow").start();
      present = p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (java.io.IOException e) {
      present = false;
    }
    assumeTrue(present, "python3 with pyarrow is not installed (pip install pyarrow)");
  }

  private static String python(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("python3", SCRIPT.toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return out;
  }

  @Test
  void pyarrowReadsWhatJavaWrites(@TempDir Path dir) throws Exception {
    Instant t = Instant.parse("2026-11-24T10:00:00.000123Z");
    List<MetricPoint> points = new ArrayList<>();
    for (int i = 0; i < 3_000; i++) { // large enough to be ZSTD-compressed
      points.add(
          new MetricPoint(
              "trainer", "job-" + (i % 3), i, "loss", i * 0.25, t, Map.of("k", "v" + i)));
    }
    Path metrics = dir.resolve("metrics.arrows");
    Path dataset = dir.resolve("dataset.arrows");
    try (BufferAllocator allocator = new RootAllocator();
        RecordBatchSerde<MetricPoint> serde =
            new RecordBatchSerde<>(MetricPoint.class, Compression.ZSTD, allocator);
        DatasetBatchSerde batches = new DatasetBatchSerde(Compression.ZSTD, allocator)) {
      Files.write(metrics, serde.serialize("metrics", points));
      Schema schema =
          new Schema(
              List.of(
                  new Field(
                      "x",
                      FieldType.nullable(
                          new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)),
                      null),
                  new Field("n", FieldType.nullable(new ArrowType.Int(64, true)), null),
                  new Field("s", FieldType.nullable(ArrowType.Utf8.INSTANCE), null)));
      try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator)) {
        root.allocateNew();
        ((Float4Vector) root.getVector("x")).setSafe(0, 1.5f);
        ((Float4Vector) root.getVector("x")).setNull(1);
        ((BigIntVector) root.getVector("n")).setSafe(0, 42);
        ((BigIntVector) root.getVector("n")).setSafe(1, -7);
        ((VarCharVector) root.getVector("s")).setSafe(0, "héllo".getBytes(StandardCharsets.UTF_8));
        ((VarCharVector) root.getVector("s")).setNull(1);
        root.setRowCount(2);
        BatchMetadata meta = new BatchMetadata("demo", 3, 7, "java", 2);
        Files.write(
            dataset, batches.serialize("datasets.demo", DatasetBatch.view(meta, root, null)));
      }
    }

    JsonNode out = JSON.readTree(python("read", metrics.toString(), dataset.toString()));
    JsonNode m = out.get(metrics.toString());
    assertThat(m.get("metadata").get("streamforge.schema").asText()).isEqualTo("metric");
    assertThat(m.get("types").get("time").asText()).isEqualTo("timestamp[us, tz=UTC]");
    assertThat(m.get("types").get("labels").asText()).isEqualTo("map<string, string>");
    assertThat(m.get("rows")).hasSize(3_000);
    JsonNode row = m.get("rows").get(2999);
    assertThat(row.get("run").asText()).isEqualTo("job-2");
    assertThat(row.get("step").asLong()).isEqualTo(2999);
    assertThat(row.get("value").asDouble()).isEqualTo(2999 * 0.25);
    assertThat(row.get("time").asText()).isEqualTo("2026-11-24 10:00:00.000123+00:00");
    assertThat(row.get("labels").toString()).isEqualTo("[[\"k\",\"v2999\"]]");

    JsonNode d = out.get(dataset.toString());
    assertThat(d.get("metadata").get("streamforge.dataset").asText()).isEqualTo("demo");
    assertThat(d.get("metadata").get("streamforge.dataset.version").asText()).isEqualTo("3");
    assertThat(d.get("metadata").get("streamforge.batch.sequence").asText()).isEqualTo("7");
    assertThat(d.get("rows").toString())
        .isEqualTo("[{\"x\":1.5,\"n\":42,\"s\":\"héllo\"},{\"x\":null,\"n\":-7,\"s\":null}]");
  }

  @Test
  void pyarrowReadsBatchesMixingRawAndCompressedBuffers(@TempDir Path dir) throws Exception {
    int rows = 4_096;
    java.util.Random rng = new java.util.Random(11);
    float[] noise = new float[rows];
    Path file = dir.resolve("mixed.arrows");
    try (BufferAllocator allocator = new RootAllocator();
        DatasetBatchSerde batches = new DatasetBatchSerde(Compression.ZSTD, allocator)) {
      Schema schema =
          new Schema(
              List.of(
                  new Field(
                      "noise",
                      FieldType.nullable(
                          new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)),
                      null),
                  new Field("n", FieldType.nullable(new ArrowType.Int(64, true)), null)));
      try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator)) {
        root.allocateNew();
        for (int i = 0; i < rows; i++) {
          noise[i] = rng.nextFloat(); // stays raw: ZSTD would save a few percent
          ((Float4Vector) root.getVector("noise")).setSafe(i, noise[i]);
          ((BigIntVector) root.getVector("n")).setSafe(i, i % 4); // compressed
        }
        root.setRowCount(rows);
        byte[] bytes =
            batches.serialize(
                "datasets.demo",
                DatasetBatch.view(new BatchMetadata("demo", 1, 0, "java", rows), root, null));
        assertThat(bytes.length).isBetween(rows * Float.BYTES, rows * (Float.BYTES + 2));
        Files.write(file, bytes);
      }
    }
    JsonNode read = JSON.readTree(python("read", file.toString())).get(file.toString()).get("rows");
    assertThat(read).hasSize(rows);
    for (int i = 0; i < rows; i++) {
      assertThat((float) read.get(i).get("noise").asDouble()).isEqualTo(noise[i]);
      assertThat(read.get(i).get("n").asLong()).isEqualTo(i % 4);
    }
  }

  @Test
  void javaReadsWhatPyarrowWrites(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("from-python.arrows");
    python("write-metrics", file.toString(), "500");
    try (BufferAllocator allocator = new RootAllocator();
        RecordBatchSerde<MetricPoint> serde =
            new RecordBatchSerde<>(MetricPoint.class, Compression.ZSTD, allocator)) {
      List<MetricPoint> points = serde.deserialize("metrics", Files.readAllBytes(file));
      assertThat(points).hasSize(500);
      MetricPoint p = points.get(499);
      assertThat(p.source()).isEqualTo("python");
      assertThat(p.run()).isEqualTo("run-1");
      assertThat(p.step()).isEqualTo(499);
      assertThat(p.value()).isEqualTo(1.0 / 500);
      assertThat(p.time()).isEqualTo(Instant.parse("2026-11-24T00:00:00.499Z"));
      assertThat(p.labels()).containsExactly(Map.entry("split", "val"), Map.entry("i", "499"));
      assertThat(allocator.getAllocatedMemory()).isZero();
    }
  }
}
