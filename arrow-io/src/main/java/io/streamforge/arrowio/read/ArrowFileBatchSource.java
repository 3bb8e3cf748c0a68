package io.streamforge.arrowio.read;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Objects;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Reads an Arrow IPC file (random-access format, starting with the {@code ARROW1} magic) or an
 * Arrow IPC stream, and re-batches it to at most {@code batchRows} rows per batch.
 *
 * <p>Batches are zero-copy slices of the record batches read when one input batch covers an output
 * batch; rows of several input batches are combined by copying. Returned batches are owned by the
 * caller and stay valid after the source is closed.
 *
 * <p>When the schema has dictionary-encoded columns, {@link #dictionaries()} is the reader's own
 * provider (valid until the next call to {@link #next()}), and an output batch never spans two
 * input batches, because a stream may replace a dictionary between them.
 */
public final class ArrowFileBatchSource implements BatchSource {
  private static final byte[] MAGIC = "ARROW1".getBytes(StandardCharsets.US_ASCII);

  private final String source;
  private final ArrowReader reader;
  private final VectorSchemaRoot in;
  private final int batchRows;
  private final long totalBytes;
  private final boolean hasDictionaries;

  private int inRows;
  private int inPos;
  private long rowsRead;
  private boolean done;
  private boolean closed;

  private ArrowFileBatchSource(String source, ArrowReader reader, int batchRows, long totalBytes)
      throws IOException {
    this.source = source;
    this.reader = reader;
    this.batchRows = batchRows;
    this.totalBytes = totalBytes;
    this.in = reader.getVectorSchemaRoot();
    this.hasDictionaries =
        in.getSchema().getFields().stream().anyMatch(ArrowFileBatchSource::encoded);
  }

  private static boolean encoded(Field f) {
    return f.getDictionary() != null
        || f.getChildren().stream().anyMatch(ArrowFileBatchSource::encoded);
  }

  /**
   * Opens an Arrow IPC file or stream; the format is detected from the first bytes.
   *
   * @param batchRows the most rows per returned batch
   */
  public static ArrowFileBatchSource open(Path file, int batchRows, BufferAllocator allocator)
      throws IOException {
    checkBatchRows(batchRows);
    Objects.requireNonNull(allocator, "allocator");
    FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
    ArrowReader reader = null;
    try {
      long size = channel.size();
      boolean fileFormat = startsWithMagic(channel);
      channel.position(0);
      reader =
          fileFormat
              ? new ArrowFileReader(channel, allocator)
              : new ArrowStreamReader(channel, allocator);
      reader.getVectorSchemaRoot(); // reads the schema (and the footer of a file)
      return new ArrowFileBatchSource(file.toString(), reader, batchRows, size);
    } catch (IOException | RuntimeException | Error e) {
      closeQuietly(reader, channel, e);
      throw e;
    }
  }

  /**
   * Reads an Arrow IPC stream from {@code in}, which the source closes. The random-access file
   * format needs a seekable file: open it by path.
   *
   * @throws IllegalArgumentException when the stream is in the IPC file format
   */
  public static ArrowFileBatchSource open(
      InputStream in, String sourceName, long totalBytes, int batchRows, BufferAllocator allocator)
      throws IOException {
    ArrowReader reader = null;
    try {
      checkBatchRows(batchRows);
      Objects.requireNonNull(sourceName, "sourceName");
      Objects.requireNonNull(allocator, "allocator");
      BufferedInputStream buffered = new BufferedInputStream(in);
      buffered.mark(MAGIC.length);
      byte[] head = buffered.readNBytes(MAGIC.length);
      buffered.reset();
      if (Arrays.equals(head, MAGIC)) {
        throw new IllegalArgumentException(
            sourceName
                + " is an Arrow IPC file (it starts with ARROW1), which needs random access;"
                + " open it by path");
      }
      reader = new ArrowStreamReader(buffered, allocator);
      reader.getVectorSchemaRoot();
      return new ArrowFileBatchSource(sourceName, reader, batchRows, totalBytes);
    } catch (IOException | RuntimeException | Error e) {
      closeQuietly(reader, in, e);
      throw e;
    }
  }

  private static void checkBatchRows(int batchRows) {
    if (batchRows < 1) {
      throw new IllegalArgumentException("batchRows must be >= 1, got " + batchRows);
    }
  }

  private static boolean startsWithMagic(FileChannel channel) throws IOException {
    ByteBuffer head = ByteBuffer.allocate(MAGIC.length);
    while (head.hasRemaining() && channel.read(head) >= 0) {
      // keep reading
    }
    return !head.hasRemaining() && Arrays.equals(head.array(), MAGIC);
  }

  private static void closeQuietly(AutoCloseable reader, AutoCloseable raw, Throwable failure) {
    try {
      if (reader != null) {
        reader.close();
      } else {
        raw.close();
      }
    } catch (Exception suppressed) {
      failure.addSuppressed(suppressed);
    }
  }

  @Override
  public Schema schema() {
    return in.getSchema();
  }

  @Override
  public DictionaryProvider dictionaries() {
    return reader;
  }

  @Override
  public VectorSchemaRoot next() throws IOException {
    if (closed) {
      throw new IllegalStateException(source + " is closed");
    }
    VectorSchemaRoot out = null;
    int filled = 0;
    try {
      while (filled < batchRows && !done) {
        if (inPos == inRows) {
          if (out != null && hasDictionaries) {
            break;
          }
          if (!reader.loadNextBatch()) {
            done = true;
            break;
          }
          inPos = 0;
          inRows = in.getRowCount();
          continue;
        }
        int k = Math.min(batchRows - filled, inRows - inPos);
        VectorSchemaRoot piece = in.slice(inPos, k);
        piece.setRowCount(k);
        if (out == null) {
          out = piece;
        } else {
          try (piece) {
            org.apache.arrow.vector.util.VectorSchemaRootAppender.append(true, out, piece);
          }
        }
        inPos += k;
        filled += k;
      }
    } catch (IOException | RuntimeException | Error e) {
      if (out != null) {
        out.close();
      }
      throw e;
    }
    if (out != null) {
      rowsRead += filled;
    }
    return out;
  }

  @Override
  public long rowsRead() {
    return rowsRead;
  }

  @Override
  public long bytesRead() {
    return reader.bytesRead();
  }

  @Override
  public long totalBytes() {
    return totalBytes;
  }

  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    reader.close();
  }
}
