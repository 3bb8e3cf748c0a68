package io.streamforge.schemas.records;

import io.streamforge.schemas.arrow.ArrowRecord;
import java.time.Instant;
import java.util.List;

/**
 * One version of a dataset, on {@code dataset.manifests} (compacted, keyed {@code name:version}). A
 * publisher writes it {@link Status#OPEN} before the first batch and {@link Status#SEALED} with the
 * end offsets once every batch is acknowledged; readers accept only sealed versions.
 *
 * @param dataset dataset name
 * @param version 1, 2, ... per dataset
 * @param status OPEN while publishing, SEALED when complete, ABORTED when the publish failed
 * @param schemaJson the dataset's Arrow schema as JSON ({@code Schema.toJson()})
 * @param labelColumn the label column named at publish time, if any
 * @param rowCount good rows published
 * @param batchCount batches published
 * @param badRows rows sent to the dead-letter topic instead
 * @param partitions per partition: first offset and end offset (exclusive) of this version
 * @param contentHash content hash of the rows, independent of batching and order (see {@code
 *     RowHasher})
 * @param codec Arrow buffer compression of the batches
 * @param producerId the publisher's id (also in every batch)
 * @param source what was published (a file name)
 * @param createdAt when publishing started
 * @param sealedAt when it was sealed, or null
 * @param error why it was aborted, or null
 */
@ArrowRecord(name = "dataset-manifest", version = "1.0")
public record DatasetManifest(
    String dataset,
    int version,
    Status status,
    String schemaJson,
    String labelColumn,
    long rowCount,
    long batchCount,
    long badRows,
    List<PartitionRange> partitions,
    String contentHash,
    String codec,
    String producerId,
    String source,
    Instant createdAt,
    Instant sealedAt,
    String error) {

  /** Publishing state of a dataset version. */
  public enum Status {
    OPEN,
    SEALED,
    ABORTED
  }

  /** Offsets of one partition that belong to the version: [startOffset, endOffset). */
  public record PartitionRange(int partition, long startOffset, long endOffset) {}

  /** The manifest a publisher writes when it claims {@code version}: OPEN, nothing counted yet. */
  public static DatasetManifest open(
      String dataset,
      int version,
      String labelColumn,
      String codec,
      String producerId,
      String source,
      Instant createdAt) {
    return new DatasetManifest(
        dataset,
        version,
        Status.OPEN,
        null,
        labelColumn,
        0,
        0,
        0,
        List.of(),
        null,
        codec,
        producerId,
        source,
        createdAt,
        null,
        null);
  }

  /** This manifest with the dataset's schema. */
  public DatasetManifest withSchema(String json) {
    return new DatasetManifest(
        dataset,
        version,
        status,
        json,
        labelColumn,
        rowCount,
        batchCount,
        badRows,
        partitions,
        contentHash,
        codec,
        producerId,
        source,
        createdAt,
        sealedAt,
        error);
  }

  /** This manifest, sealed with what was published. */
  public DatasetManifest seal(
      long rows, long batches, long bad, List<PartitionRange> ranges, String hash, Instant at) {
    return new DatasetManifest(
        dataset,
        version,
        Status.SEALED,
        schemaJson,
        labelColumn,
        rows,
        batches,
        bad,
        List.copyOf(ranges),
        hash,
        codec,
        producerId,
        source,
        createdAt,
        at,
        null);
  }

  /** This manifest, aborted for {@code reason}. */
  public DatasetManifest abort(String reason) {
    return new DatasetManifest(
        dataset,
        version,
        Status.ABORTED,
        schemaJson,
        labelColumn,
        0,
        0,
        0,
        List.of(),
        null,
        codec,
        producerId,
        source,
        createdAt,
        null,
        reason);
  }

  /** The compacted-topic key of this manifest. */
  public String key() {
    return key(dataset, version);
  }

  public static String key(String dataset, int version) {
    return dataset + ":" + version;
  }

  public boolean sealed() {
    return status == Status.SEALED;
  }
}
