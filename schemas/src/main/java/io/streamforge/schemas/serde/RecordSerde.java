package io.streamforge.schemas.serde;

import io.streamforge.schemas.arrow.ArrowIpc;
import io.streamforge.schemas.arrow.Compression;
import io.streamforge.schemas.arrow.RecordSchema;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;

/**
 * A Kafka serde for one record per Kafka value, as a one-row Arrow batch.
 *
 * @param <T> the record type, annotated with {@code @ArrowRecord}
 */
public final class RecordSerde<T extends Record> extends ArrowSerde<T> {
  private final RecordSchema<T> schema;

  public RecordSerde(Class<T> type) {
    this(type, Compression.ZSTD, null);
  }

  public RecordSerde(Class<T> type, Compression compression, BufferAllocator allocator) {
    super("'" + RecordSchema.of(type).name() + "' record", compression, allocator);
    this.schema = RecordSchema.of(type);
  }

  @Override
  protected byte[] encode(T value) {
    try (VectorSchemaRoot root = schema.write(List.of(value), allocator())) {
      return ArrowIpc.write(root, null, compression());
    }
  }

  @Override
  protected T decode(ArrowStreamReader reader, BufferAllocator decodeAllocator)
      throws java.io.IOException {
    List<T> rows = schema.read(reader.getVectorSchemaRoot());
    if (rows.size() != 1) {
      throw new IllegalArgumentException("expected exactly 1 row but found " + rows.size());
    }
    return rows.get(0);
  }
}
