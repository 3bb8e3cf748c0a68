package io.streamforge.schemas.arrow;

/** A {@code major.minor} schema version. */
public record SchemaVersion(int major, int minor) implements Comparable<SchemaVersion> {

  public SchemaVersion {
    if (major < 0 || minor < 0) {
      throw new IllegalArgumentException(
          "schema version parts must be >= 0: " + major + "." + minor);
    }
  }

  public static SchemaVersion parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("schema version is missing");
    }
    String[] parts = text.trim().split("\\.");
    try {
      int major = Integer.parseInt(parts[0]);
      int minor = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
      if (parts.length > 2) {
        throw new NumberFormatException();
      }
      return new SchemaVersion(major, minor);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("schema version '" + text + "' is not major.minor", e);
    }
  }

  @Override
  public int compareTo(SchemaVersion o) {
    return major != o.major ? Integer.compare(major, o.major) : Integer.compare(minor, o.minor);
  }

  @Override
  public String toString() {
    return major + "." + minor;
  }
}
