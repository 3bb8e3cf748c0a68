package io.streamforge.schemas.arrow;

import org.apache.arrow.compression.ZstdCompressionCodec;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.compression.CompressionCodec;
import org.apache.arrow.vector.compression.CompressionUtil;

/**
 * ZSTD that keeps a buffer compressed only when that saves at least {@link #MIN_SAVING} of it, and
 * leaves buffers under {@link #MIN_BUFFER_BYTES} raw.
 *
 * <p>Arrow's own codec keeps any buffer that comes out smaller, even by a few percent. High-entropy
 * columns (measured floats, embeddings, random features) shrink by 5–10 % under ZSTD, and every
 * reader then pays the decompression on every read: a training job reads its dataset once per
 * epoch, and decoding such a buffer costs more CPU than fetching the bytes it saved. Buffers below
 * the threshold are written raw, which the Arrow IPC format marks per buffer (uncompressed length
 * -1), so every Arrow reader (Java, pyarrow, C++) reads them without knowing this codec.
 */
final class SparingZstdCodec extends ZstdCompressionCodec {
  /** The least share of a buffer that compression must save for the buffer to stay compressed. */
  static final double MIN_SAVING = 0.125;

  /**
   * Buffers smaller than this are written raw: the ZSTD library sets up a decompression context of
   * about 100 KiB for every buffer it decodes, which costs more than reading a few KiB more (a wide
   * batch has a validity bitmap of 1 KiB per column for 8,192 rows).
   */
  static final int MIN_BUFFER_BYTES = 16 * 1024;

  /** Creates this codec for ZSTD and the no-compression codec otherwise. */
  static final CompressionCodec.Factory FACTORY =
      new CompressionCodec.Factory() {
        @Override
        public CompressionCodec createCodec(CompressionUtil.CodecType codecType) {
          return createCodec(codecType, Compression.ZSTD.level().orElseThrow());
        }

        @Override
        public CompressionCodec createCodec(CompressionUtil.CodecType codecType, int level) {
          if (codecType == CompressionUtil.CodecType.ZSTD) {
            return new SparingZstdCodec(level);
          }
          return org.apache.arrow.vector.compression.NoCompressionCodec.Factory.INSTANCE
              .createCodec(codecType, level);
        }
      };

  SparingZstdCodec(int level) {
    super(level);
  }

  @Override
  public ArrowBuf compress(BufferAllocator allocator, ArrowBuf uncompressedBuffer) {
    long uncompressedLength = uncompressedBuffer.writerIndex();
    if (uncompressedLength == 0) {
      return super.compress(allocator, uncompressedBuffer); // the format's empty-buffer shortcut
    }
    if (uncompressedLength < MIN_BUFFER_BYTES) {
      ArrowBuf raw = CompressionUtil.packageRawBuffer(allocator, uncompressedBuffer);
      uncompressedBuffer.close();
      return raw;
    }
    ArrowBuf compressed = doCompress(allocator, uncompressedBuffer);
    long compressedLength = compressed.writerIndex() - CompressionUtil.SIZE_OF_UNCOMPRESSED_LENGTH;
    if (compressedLength > uncompressedLength * (1 - MIN_SAVING)) {
      compressed.close();
      compressed = CompressionUtil.packageRawBuffer(allocator, uncompressedBuffer);
    } else {
      writeUncompressedLength(compressed, uncompressedLength);
    }
    uncompressedBuffer.close();
    return compressed;
  }
}
