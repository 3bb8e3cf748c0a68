package io.streamforge.schemas.arrow;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * What every dataset batch says about itself, carried in the Arrow schema's metadata next to the
 * schema name and version, so that a batch read on its own is self-describing.
 *
 * @param dataset the dataset name
 * @param version the dataset version the batch belongs to
 * @param sequence the 0-based position of the batch within that version
 * @param producerId the publisher that wrote it
 * @param rowCount the number of rows in the batch
 */
public record BatchMetadata(
    String dataset, int version, long sequence, String producerId, int rowCount) {
  public static final String SCHEMA_NAME = "dataset-batch";
  public static final SchemaVersion SCHEMA_VERSION = new SchemaVersion(1, 0);

  static final String DATASET = "streamforge.dataset";
  static final String DATASET_VERSION = "streamforge.dataset.version";
  static final String SEQUENCE = "streamforge.batch.sequence";
  static final String PRODUCER = "streamforge.producer.id";
  static final String ROWS = "streamforge.batch.rows";

  public BatchMetadata {
    Objects.requireNonNull(dataset, "dataset");
    Objects.requireNonNull(producerId, "producerId");
    if (version < 1) {
      throw new IllegalArgumentException("dataset version must be >= 1, was " + version);
    }
    if (sequence < 0 || rowCount < 0) {
      throw new IllegalArgumentException("sequence and rowCount must be >= 0");
    }
  }

  /** {@code schema} with this metadata, the schema name and version added. */
  public Schema stamp(Schema schema) {
    Map<String, String> metadata = new HashMap<>();
    if (schema.getCustomMetadata() != null) {
      metadata.putAll(schema.getCustomMetadata());
    }
    metadata.put(DATASET, dataset);
    metadata.put(DATASET_VERSION, Integer.toString(version));
    metadata.put(SEQUENCE, Long.toString(sequence));
    metadata.put(PRODUCER, producerId);
    metadata.put(ROWS, Integer.toString(rowCount));
    return SchemaMetadata.stamp(
        new Schema(schema.getFields(), metadata), SCHEMA_NAME, SCHEMA_VERSION);
  }

  /**
   * Reads the metadata of a dataset batch schema after checking its name and major version.
   *
   * @throws SchemaMismatchException when it is not a dataset batch, or a field is missing or bad
   */
  public static BatchMetadata from(Schema schema) {
    SchemaMetadata.check(schema, SCHEMA_NAME, SCHEMA_VERSION);
    Map<String, String> m = schema.getCustomMetadata();
    try {
      return new BatchMetadata(
          required(m, DATASET),
          Integer.parseInt(required(m, DATASET_VERSION)),
          Long.parseLong(required(m, SEQUENCE)),
          required(m, PRODUCER),
          Integer.parseInt(required(m, ROWS)));
    } catch (IllegalArgumentException e) {
      throw new SchemaMismatchException("dataset batch metadata is invalid: " + e.getMessage());
    }
  }

  /** The schema without StreamForge's metadata: the dataset's own columns. */
  public static Schema strip(Schema schema) {
    Map<String, String> metadata = new HashMap<>();
    if (schema.getCustomMetadata() != null) {
      schema
          .getCustomMetadata()
          .forEach(
              (k, v) -> {
                if (!k.startsWith("streamforge.")) {
                  metadata.put(k, v);
                }
              });
    }
    return new Schema(schema.getFields(), metadata);
  }

  private static String required(Map<String, String> m, String key) {
    String v = m.get(key);
    if (v == null) {
      throw new IllegalArgumentException("'" + key + "' is missing");
    }
    return v;
  }
}
