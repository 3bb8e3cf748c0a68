package io.streamforge.benchmarks;

import io.streamforge.arrowio.synthetic.SyntheticBatchSource;
import io.streamforge.schemas.arrow.BatchMetadata;
import io.streamforge.schemas.arrow.Compression;
import io.streamforge.schemas.arrow.DatasetBatch;
import io.streamforge.schemas.serde.DatasetBatchSerde;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
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

/**
 * The dataset batch serde alone: one batch of {@code rows} rows x 32 float32 features + an int32
 * label, encoded to and decoded from Arrow IPC bytes. Rows per second = rows / score.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class DatasetBatchSerdeBenchmark {
  @Param({"ZSTD", "NONE"})
  public Compression codec;

  @Param({"65536"})
  public int rows;

  private BufferAllocator allocator;
  private VectorSchemaRoot root;
  private DatasetBatchSerde serde;
  private DatasetBatch batch;
  private byte[] encoded;

  @Setup(Level.Trial)
  public void setUp() {
    allocator = new RootAllocator();
    try (SyntheticBatchSource source = new SyntheticBatchSource(allocator, rows, 32, 10, rows, 1)) {
      root = source.next();
    }
    serde = new DatasetBatchSerde(codec, allocator);
    batch = DatasetBatch.view(new BatchMetadata("bench", 1, 0, "jmh", rows), root, null);
    encoded = serde.serialize("datasets.bench", batch);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    root.close();
    serde.close();
    allocator.close();
  }

  @Benchmark
  public byte[] serialize() {
    return serde.serialize("datasets.bench", batch);
  }

  @Benchmark
  public int deserialize() {
    try (DatasetBatch b = serde.deserialize("datasets.bench", encoded)) {
      return b.rowCount();
    }
  }
}
