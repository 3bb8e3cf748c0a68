package io.streamforge.schemas.records;

import io.streamforge.schemas.arrow.ArrowRecord;

/**
 * One chunk of a model artifact on {@code model.artifacts} (compacted, keyed {@code
 * model:version:variant:index}).
 *
 * @param model model name
 * @param version model version
 * @param variant variant name ({@code fp32}, ...)
 * @param index 0-based chunk index
 * @param count number of chunks
 * @param totalBytes size of the whole artifact
 * @param sha256 hex sha256 of the whole artifact
 * @param data the chunk's bytes (at most 512 KiB)
 */
@ArrowRecord(name = "artifact-chunk", version = "1.0")
public record ArtifactChunk(
    String model,
    int version,
    String variant,
    int index,
    int count,
    long totalBytes,
    String sha256,
    byte[] data) {

  public String key() {
    return model + ":" + version + ":" + variant + ":" + index;
  }
}
