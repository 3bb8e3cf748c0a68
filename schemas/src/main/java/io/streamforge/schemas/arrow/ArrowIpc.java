package io.streamforge.schemas.arrow;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.arrow.compression.CommonsCompressionFactory;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.compression.NoCompressionCodec;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.ReadChannel;
import org.apache.arrow.vector.ipc.message.IpcOption;
import org.apache.arrow.vector.ipc.message.MessageChannelReader;
import org.apache.arrow.vector.ipc.message.MessageResult;

/**
 * Arrow IPC stream bytes: one schema message, the dictionaries, one record batch. This is the value
 * format of every StreamForge topic.
 */
public final class ArrowIpc {
  /** Batches whose buffers total less than this are written uncompressed. */
  public static final int SMALL_BATCH_BYTES = 16 * 1024;

  private ArrowIpc() {}

  /**
   * Encodes the current contents of {@code root} as one IPC stream, compressed with {@code
   * compression} unless the batch is smaller than {@link #SMALL_BATCH_BYTES}. With ZSTD, a buffer
   * that compression would shrink by less than an eighth is written raw ({@link SparingZstdCodec}):
   * decompressing it on every read would cost more than the bytes saved.
   */
  public static byte[] write(
      VectorSchemaRoot root, DictionaryProvider dictionaries, Compression compression) {
    Objects.requireNonNull(root, "root");
    Objects.requireNonNull(compression, "compression");
    DictionaryProvider provider =
        dictionaries != null ? dictionaries : new DictionaryProvider.MapDictionaryProvider();
    int size = estimateSize(root);
    if (size < SMALL_BATCH_BYTES) {
      // Arrow compresses buffer by buffer; for a small batch the per-buffer codec setup and framing
      // cost more time than the bytes saved.
      compression = Compression.NONE;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(size);
    try (ArrowStreamWriter writer =
        new ArrowStreamWriter(
            root,
            provider,
            Channels.newChannel(out),
            IpcOption.DEFAULT,
            compression == Compression.NONE
                ? NoCompressionCodec.Factory.INSTANCE
                : SparingZstdCodec.FACTORY,
            compression.codecType(),
            compression.level())) {
      writer.start();
      writer.writeBatch();
      writer.end();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode Arrow batch", e);
    }
    return out.toByteArray();
  }

  /**
   * Opens IPC stream bytes and loads the first batch. The returned reader owns the batch ({@link
   * ArrowStreamReader#getVectorSchemaRoot()}) and its dictionaries; closing it frees them.
   *
   * @throws IOException or a runtime exception from Arrow when the bytes are not a valid stream
   * @throws IllegalArgumentException when the stream holds no record batch
   */
  public static ArrowStreamReader read(byte[] bytes, BufferAllocator allocator) throws IOException {
    return read(new ReadChannel(Channels.newChannel(new ByteArrayInputStream(bytes))), allocator);
  }

  /**
   * Like {@link #read(byte[], BufferAllocator)}, from the remaining bytes of {@code bytes} (a view
   * of a Kafka fetch buffer, say), with no intermediate copy; its position is left as it was.
   */
  public static ArrowStreamReader read(ByteBuffer bytes, BufferAllocator allocator)
      throws IOException {
    return read(new ReadChannel(new BufferChannel(bytes.duplicate())), allocator);
  }

  private static ArrowStreamReader read(ReadChannel in, BufferAllocator allocator)
      throws IOException {
    TrackingMessageReader messages = new TrackingMessageReader(in, allocator);
    ArrowStreamReader reader =
        new ArrowStreamReader(messages, allocator, CommonsCompressionFactory.INSTANCE);
    try {
      if (!reader.loadNextBatch()) {
        throw new IllegalArgumentException("the Arrow stream holds a schema but no record batch");
      }
      return reader;
    } catch (IOException | RuntimeException e) {
      closeQuietly(reader, e);
      messages.releaseOrphanedBodies();
      throw e;
    }
  }

  /** Reads a buffer's remaining bytes, copying each read straight into the reader's buffer. */
  private static final class BufferChannel implements ReadableByteChannel {
    private final ByteBuffer source;
    private boolean open = true;

    BufferChannel(ByteBuffer source) {
      this.source = source;
    }

    @Override
    public int read(ByteBuffer dst) {
      if (!source.hasRemaining()) {
        return -1;
      }
      int n = Math.min(dst.remaining(), source.remaining());
      dst.put(dst.position(), source, source.position(), n);
      dst.position(dst.position() + n);
      source.position(source.position() + n);
      return n;
    }

    @Override
    public boolean isOpen() {
      return open;
    }

    @Override
    public void close() {
      open = false;
    }
  }

  /**
   * Remembers the message bodies it reads. Arrow's reader leaks a body buffer when a corrupt record
   * batch fails to deserialize (the release comes after the parsing that throws); once the reader
   * is closed, nothing else can hold such a buffer, so it is released here.
   */
  private static final class TrackingMessageReader extends MessageChannelReader {
    private final List<ArrowBuf> bodies = new ArrayList<>(2);

    TrackingMessageReader(ReadChannel in, BufferAllocator allocator) {
      super(in, allocator);
    }

    @Override
    public MessageResult readNext() throws IOException {
      MessageResult result = super.readNext();
      if (result != null && result.getBodyBuffer() != null) {
        bodies.add(result.getBodyBuffer());
      }
      return result;
    }

    void releaseOrphanedBodies() {
      for (ArrowBuf body : bodies) {
        int refs = body.refCnt();
        if (refs > 0) {
          body.getReferenceManager().release(refs);
        }
      }
      bodies.clear();
    }
  }

  private static void closeQuietly(ArrowStreamReader reader, Exception cause) {
    try {
      reader.close();
    } catch (Exception suppressed) {
      cause.addSuppressed(suppressed);
    }
  }

  private static int estimateSize(VectorSchemaRoot root) {
    long bytes = 1024;
    for (var v : root.getFieldVectors()) {
      bytes += v.getBufferSize();
    }
    return (int) Math.min(bytes, Integer.MAX_VALUE - 16);
  }
}
