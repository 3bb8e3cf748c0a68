package io.streamforge.schemas.arrow;

import java.util.Objects;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;

/**
 * One batch of a dataset: rows of the dataset's own schema plus {@link BatchMetadata}. A batch that
 * was decoded from Kafka owns its Arrow memory and must be closed; one made with {@link #view}
 * borrows the caller's root and closing it does nothing.
 */
public final class DatasetBatch implements AutoCloseable {
  private final BatchMetadata metadata;
  private final VectorSchemaRoot root;
  private final DictionaryProvider dictionaries;
  private final AutoCloseable owned;

  private DatasetBatch(
      BatchMetadata metadata,
      VectorSchemaRoot root,
      DictionaryProvider dictionaries,
      AutoCloseable owned) {
    this.metadata = Objects.requireNonNull(metadata, "metadata");
    this.root = Objects.requireNonNull(root, "root");
    this.dictionaries =
        dictionaries != null ? dictionaries : new DictionaryProvider.MapDictionaryProvider();
    this.owned = owned;
    if (metadata.rowCount() != root.getRowCount()) {
      throw new IllegalArgumentException(
          "batch metadata says "
              + metadata.rowCount()
              + " rows but the batch holds "
              + root.getRowCount());
    }
  }

  /** A batch over the caller's root, which stays the caller's to close. */
  public static DatasetBatch view(
      BatchMetadata metadata, VectorSchemaRoot root, DictionaryProvider dictionaries) {
    return new DatasetBatch(metadata, root, dictionaries, null);
  }

  /** A batch that closes {@code owner} (which holds root and dictionaries) when closed. */
  public static DatasetBatch owning(
      BatchMetadata metadata,
      VectorSchemaRoot root,
      DictionaryProvider dictionaries,
      AutoCloseable owner) {
    return new DatasetBatch(metadata, root, dictionaries, Objects.requireNonNull(owner, "owner"));
  }

  public BatchMetadata metadata() {
    return metadata;
  }

  /** The rows. Its schema carries the batch metadata; {@link BatchMetadata#strip} removes it. */
  public VectorSchemaRoot root() {
    return root;
  }

  public DictionaryProvider dictionaries() {
    return dictionaries;
  }

  public int rowCount() {
    return root.getRowCount();
  }

  @Override
  public void close() {
    if (owned != null) {
      try {
        owned.close();
      } catch (Exception e) {
        throw new IllegalStateException("cannot release dataset batch " + metadata, e);
      }
    }
  }
}
