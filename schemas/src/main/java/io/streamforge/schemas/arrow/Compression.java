package io.streamforge.schemas.arrow;

import java.util.Locale;
import java.util.Optional;
import org.apache.arrow.vector.compression.CompressionUtil;

/**
 * Buffer compression for Arrow IPC on Kafka. ZSTD is the default; LZ4_FRAME is deliberately absent:
 * Arrow Java's LZ4 codec is pure Java and very slow (apache/arrow-java#192).
 */
public enum Compression {
  /**
   * Zstandard at level 1: on numeric data it compresses nearly as well as the library default
   * (level 3) at about twice the speed, and publishing is usually bound by compression.
   */
  ZSTD(CompressionUtil.CodecType.ZSTD, Optional.of(1)),
  NONE(CompressionUtil.CodecType.NO_COMPRESSION, Optional.empty());

  private final CompressionUtil.CodecType codecType;
  private final Optional<Integer> level;

  Compression(CompressionUtil.CodecType codecType, Optional<Integer> level) {
    this.codecType = codecType;
    this.level = level;
  }

  /** The compression level the writer uses, when the codec has levels. */
  public Optional<Integer> level() {
    return level;
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
