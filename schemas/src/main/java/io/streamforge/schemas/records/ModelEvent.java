package io.streamforge.schemas.records;

import io.streamforge.schemas.arrow.ArrowRecord;
import java.time.Instant;
import java.util.Map;

/**
 * A model registry event on {@code models}, keyed {@code model:version:variant} (see {@link
 * #key()}): compaction keeps the latest status of every version and variant.
 *
 * @param model model name
 * @param version version number, rising per model name
 * @param variant {@code fp32}, {@code int8-weight}, {@code ternary}, ...
 * @param format artifact format, {@code onnx}
 * @param status lifecycle status
 * @param sha256 hex sha256 of the whole artifact
 * @param sizeBytes artifact size
 * @param metrics evaluation metrics (e.g. {@code val_accuracy})
 * @param parentVersion for a quantized variant, the version it was derived from
 * @param jobId the training job that produced it
 * @param reason why the status changed
 * @param time when
 */
@ArrowRecord(name = "model-event", version = "1.0")
public record ModelEvent(
    String model,
    int version,
    String variant,
    String format,
    ModelStatus status,
    String sha256,
    long sizeBytes,
    Map<String, Double> metrics,
    Integer parentVersion,
    String jobId,
    String reason,
    Instant time) {

  /** The compacted-topic key: {@code model:version:variant}, so every version keeps its status. */
  public String key() {
    return key(model, version, variant);
  }

  public static String key(String model, int version, String variant) {
    return model + ":" + version + ":" + variant;
  }

  /** Lifecycle of a model version. */
  public enum ModelStatus {
    REGISTERED,
    CANARY,
    STABLE,
    ROLLED_BACK,
    ARCHIVED,
    FAILED
  }
}
