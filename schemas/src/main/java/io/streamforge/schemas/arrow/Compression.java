package io.streamforge.schemas.arrow;

import java.util.Locale;
import org.apache.arrow.vector.compression.CompressionUtil;

/**
 * Buffer compression for Arrow IPC on Kafka. ZSTD is the default; LZ4_FRAME is deliberately absent:
 * Arrow Java's LZ4 codec is pure Java and very slow (apache/arrow-java#192).
 */
public enum Compression {
  ZSTD(CompressionUtil.CodecType.ZSTD),
  NONE(CompressionUtil.CodecType.NO_COMPRESSION);

  private final CompressionUtil.CodecType codecType;

  Compression(CompressionUtil.CodecType codecType) {
    this.codecType = codecType;
  }

  public CompressionUtil.CodecType codecType() {
    return codecType;
  }

  /** {@code zstd} or {@code none}, case-insensitive. */
  public static Compression parse(String text) {
    return switch (text.trim().toLowerCase(Locale.ROOT)) {
      case "zstd" -> ZSTD;
      case "none", "uncompressed" -> NONE;
      default ->
          throw new IllegalArgumentException(
              "unknown codec '" + text + "' (expected zstd or none)");
    };
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
