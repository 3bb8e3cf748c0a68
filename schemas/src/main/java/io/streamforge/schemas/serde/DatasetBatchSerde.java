package io.streamforge.schemas.serde;

import io.streamforge.schemas.arrow.ArrowIpc;
import io.streamforge.schemas.arrow.BatchMetadata;
import io.streamforge.schemas.arrow.Compression;
import io.streamforge.schemas.arrow.DatasetBatch;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;

/**
 * The serde of {@code datasets.<name>} topics: any columns, plus {@link BatchMetadata} in the
 * schema metadata. Decoded batches own their Arrow memory: close each one.
 */
public final class DatasetBatchSerde extends ArrowSerde<DatasetBatch> {

  public DatasetBatchSerde() {
    this(Compression.ZSTD, null);
  }

  /**
   * @param compression codec used when serializing
   * @param allocator allocator decoded batches take their memory from; null for a child of the
   *     process root closed with this serde
   */
  public DatasetBatchSerde(Compression compression, BufferAllocator allocator) {
    super("dataset batch", compression, allocator);
  }

  /** Encodes a batch; its root is sent with the batch metadata stamped into its schema. */
  @Override
  protected byte[] encode(DatasetBatch batch) {
    VectorSchemaRoot source = batch.root();
    VectorSchemaRoot stamped =
        new VectorSchemaRoot(
            batch.metadata().stamp(source.getSchema()),
            source.getFieldVectors(),
            source.getRowCount());
    return ArrowIpc.write(stamped, batch.dictionaries(), compression());
  }

  @Override
  protected DatasetBatch decode(ArrowStreamReader reader, BufferAllocator decodeAllocator)
      throws java.io.IOException {
    VectorSchemaRoot root = reader.getVectorSchemaRoot();
    BatchMetadata metadata = BatchMetadata.from(root.getSchema());
    return DatasetBatch.owning(
        metadata,
        root,
        reader,
        () -> {
          try {
            reader.close();
          } finally {
            decodeAllocator.close();
          }
        });
  }

  @Override
  protected boolean ownsReader() {
    return true;
  }
}
