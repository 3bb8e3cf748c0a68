package io.streamforge.schemas.serde;

import io.streamforge.schemas.arrow.ArrowIpc;
import io.streamforge.schemas.arrow.Compression;
import io.streamforge.schemas.arrow.RecordSchema;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;

/**
 * A Kafka serde for a list of records per Kafka value, as one Arrow batch of that many rows (used
 * where many small facts travel together, such as metrics grouped per interval).
 *
 * @param <T> the record type, annotated with {@code @ArrowRecord}
 */
public final class RecordBatchSerde<T extends Record> extends ArrowSerde<List<T>> {
  private final RecordSchema<T> schema;

  public RecordBatchSerde(Class<T> type) {
    this(type, Compression.ZSTD, null);
  }

  public RecordBatchSerde(Class<T> type, Compression compression, BufferAllocator allocator) {
    super("'" + RecordSchema.of(type).name() + "' batch", compression, allocator);
    this.schema = RecordSchema.of(type);
  }

  @Override
  protected byte[] encode(List<T> value) {
    try (VectorSchemaRoot root = schema.write(value, allocator())) {
      return ArrowIpc.write(root, null, compression());
    }
  }

  @Override
  protected List<T> decode(ArrowStreamReader reader, BufferAllocator decodeAllocator)
      throws java.io.IOException {
    return List.copyOf(schema.read(reader.getVectorSchemaRoot()));
  }
}
