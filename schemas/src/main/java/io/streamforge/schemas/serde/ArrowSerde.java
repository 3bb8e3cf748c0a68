package io.streamforge.schemas.serde;

import io.streamforge.schemas.arrow.Allocators;
import io.streamforge.schemas.arrow.ArrowIpc;
import io.streamforge.schemas.arrow.Compression;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Objects;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Base of the Kafka serdes for Arrow IPC values: null in gives null out, every failure is a {@link
 * SerializationException} that names the topic and what was wrong, and decoding frees all Arrow
 * memory it takes unless the decoded value owns it on purpose.
 *
 * @param <V> the value type
 */
public abstract class ArrowSerde<V> implements Serde<V>, Serializer<V>, Deserializer<V> {
  private final String description;
  private final Compression compression;
  private final BufferAllocator allocator;
  private static final long MAX_DECODED_BYTES = 1L << 30;
  private final boolean ownsAllocator;

  /**
   * @param description what the bytes hold, for error messages (e.g. {@code "'metric' batch"})
   * @param compression the codec for serialization; any codec is read
   * @param allocator the allocator for decoding, or null for a child of the process root that this
   *     serde closes in {@link #close()}
   */
  protected ArrowSerde(String description, Compression compression, BufferAllocator allocator) {
    this.description = Objects.requireNonNull(description, "description");
    this.compression = Objects.requireNonNull(compression, "compression");
    this.ownsAllocator = allocator == null;
    this.allocator =
        allocator != null ? allocator : Allocators.child("serde " + description + " " + id());
  }

  private String id() {
    return Integer.toHexString(System.identityHashCode(this));
  }

  public Compression compression() {
    return compression;
  }

  protected BufferAllocator allocator() {
    return allocator;
  }

  /** Encodes a non-null value. */
  protected abstract byte[] encode(V value);

  /**
   * Decodes a value from a reader positioned on its first batch. The reader and the allocator it
   * decoded into are closed after this returns unless {@link #ownsReader()} is true, in which case
   * the value must close both (the reader first).
   */
  protected abstract V decode(ArrowStreamReader reader, BufferAllocator decodeAllocator)
      throws IOException;

  /** Whether decoded values take ownership of the reader (and so of the Arrow memory). */
  protected boolean ownsReader() {
    return false;
  }

  @Override
  public final byte[] serialize(String topic, V value) {
    if (value == null) {
      return null;
    }
    try {
      return encode(value);
    } catch (SerializationException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new SerializationException(
          "topic '" + topic + "': cannot encode " + description + ": " + e.getMessage(), e);
    }
  }

  @Override
  public final V deserialize(String topic, byte[] data) {
    return data == null ? null : decodeValue(topic, data.length, a -> ArrowIpc.read(data, a));
  }

  /**
   * Decodes straight from the consumer's fetch buffer (Kafka hands a view of it), without first
   * copying the value into an array. The buffer's position is left as it was.
   */
  @Override
  public final V deserialize(String topic, Headers headers, ByteBuffer data) {
    return deserializeBuffer(topic, data);
  }

  /**
   * Like {@link #deserialize(String, byte[])}, reading the value from a buffer's remaining bytes.
   */
  public final V deserializeBuffer(String topic, ByteBuffer data) {
    return data == null ? null : decodeValue(topic, data.remaining(), a -> ArrowIpc.read(data, a));
  }

  private interface Open {
    ArrowStreamReader open(BufferAllocator allocator) throws IOException;
  }

  private V decodeValue(String topic, int length, Open open) {
    if (length == 0) {
      throw new SerializationException(
          "topic '" + topic + "': cannot decode " + description + ": the value is empty (0 bytes)");
    }
    // A corrupt length field must fail this record, not the process: decode inside a child
    // allocator whose limit bounds what the bytes can plausibly expand to.
    BufferAllocator decodeAllocator = null;
    ArrowStreamReader reader = null;
    boolean handedOver = false;
    try {
      decodeAllocator = allocator.newChildAllocator("decode " + topic, 0, decodeLimit(length));
      reader = open.open(decodeAllocator);
      V value = decode(reader, decodeAllocator);
      handedOver = ownsReader();
      return value;
    } catch (Exception e) {
      throw new SerializationException(
          "topic '"
              + topic
              + "': cannot decode "
              + description
              + " ("
              + length
              + " bytes): "
              + reason(e),
          e);
    } finally {
      if (!handedOver) {
        try {
          if (reader != null) {
            reader.close();
          }
        } catch (Exception ignored) {
          // the decode error, if any, is the one worth reporting
        } finally {
          if (decodeAllocator != null) {
            decodeAllocator.close();
          }
        }
      }
    }
  }

  /** At most 1 GiB, and at most 256 times the encoded size (at least 64 MiB). */
  static long decodeLimit(int encodedBytes) {
    return Math.min(MAX_DECODED_BYTES, Math.max(64L << 20, encodedBytes * 256L));
  }

  private static String reason(Throwable e) {
    String message = e.getMessage();
    if (e instanceof java.io.EOFException
        || (message != null && message.toLowerCase(java.util.Locale.ROOT).contains("end of"))) {
      return "truncated Arrow IPC stream" + (message == null ? "" : " (" + message + ")");
    }
    return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }

  @Override
  public void configure(java.util.Map<String, ?> configs, boolean isKey) {
    // nothing to configure: codec and allocator are fixed at construction
  }

  @Override
  public Serializer<V> serializer() {
    return this;
  }

  @Override
  public Deserializer<V> deserializer() {
    return this;
  }

  @Override
  public void close() {
    if (ownsAllocator) {
      allocator.close();
    }
  }
}
