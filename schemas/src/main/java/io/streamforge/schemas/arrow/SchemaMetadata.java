package io.streamforge.schemas.arrow;

import java.util.HashMap;
import java.util.Map;
import org.apache.arrow.vector.types.pojo.Schema;

/** The metadata keys every StreamForge Arrow schema carries, and the version check readers run. */
public final class SchemaMetadata {
  /** Schema name, e.g. {@code metric} or {@code dataset-batch}. */
  public static final String NAME = "streamforge.schema";

  /** {@code major.minor}. */
  public static final String VERSION = "streamforge.schema.version";

  private SchemaMetadata() {}

  /** Returns {@code schema} with name and version added to its metadata. */
  public static Schema stamp(Schema schema, String name, SchemaVersion version) {
    Map<String, String> metadata = new HashMap<>();
    if (schema.getCustomMetadata() != null) {
      metadata.putAll(schema.getCustomMetadata());
    }
    metadata.put(NAME, name);
    metadata.put(VERSION, version.toString());
    return new Schema(schema.getFields(), metadata);
  }

  /**
   * Checks that {@code actual} was written as schema {@code expectedName} with the same major
   * version as {@code supported}; returns the version found.
   *
   * @throws SchemaMismatchException naming what was expected and what was found
   */
  public static SchemaVersion check(Schema actual, String expectedName, SchemaVersion supported) {
    Map<String, String> metadata = actual.getCustomMetadata();
    String name = metadata == null ? null : metadata.get(NAME);
    if (name == null) {
      throw new SchemaMismatchException(
          "expected a '"
              + expectedName
              + "' batch but the Arrow schema has no '"
              + NAME
              + "' metadata (not written by StreamForge?)");
    }
    if (!name.equals(expectedName)) {
      throw new SchemaMismatchException(
          "expected a '" + expectedName + "' batch but found a '" + name + "' batch");
    }
    SchemaVersion version;
    try {
      version = SchemaVersion.parse(metadata.get(VERSION));
    } catch (IllegalArgumentException e) {
      throw new SchemaMismatchException("'" + name + "' batch: " + e.getMessage());
    }
    if (version.major() != supported.major()) {
      throw new SchemaMismatchException(
          "'"
              + name
              + "' schema version "
              + version
              + " is not supported by this reader (it reads "
              + supported.major()
              + ".x); upgrade StreamForge to read it");
    }
    return version;
  }
}
