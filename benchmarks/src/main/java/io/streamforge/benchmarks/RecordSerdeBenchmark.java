package io.streamforge.benchmarks;

import io.streamforge.schemas.arrow.Compression;
import io.streamforge.schemas.records.MetricPoint;
import io.streamforge.schemas.serde.RecordBatchSerde;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/** The typed record serde: a metrics batch of {@code points} points, as on the metrics topic. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class RecordSerdeBenchmark {
  @Param({"100"})
  public int points;

  private BufferAllocator allocator;
  private RecordBatchSerde<MetricPoint> serde;
  private List<MetricPoint> batch;
  private byte[] encoded;

  @Setup(Level.Trial)
  public void setUp() {
    allocator = new RootAllocator();
    serde = new RecordBatchSerde<>(MetricPoint.class, Compression.ZSTD, allocator);
    batch = new ArrayList<>();
    Instant t = Instant.parse("2026-11-24T00:00:00Z");
    for (int i = 0; i < points; i++) {
      batch.add(
          new MetricPoint(
              "trainer",
              "job-1",
              i,
              "loss",
              1.0 / (i + 1),
              t.plusMillis(i),
              Map.of("split", "train")));
    }
    encoded = serde.serialize("metrics", batch);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    serde.close();
    allocator.close();
  }

  @Benchmark
  public byte[] serialize() {
    return serde.serialize("metrics", batch);
  }

  @Benchmark
  public int deserialize() {
    return serde.deserialize("metrics", encoded).size();
  }
}
