package io.streamforge.arrowio.models;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The published form of a ternary model variant: its {−1, 0, 1} weight tensors packed at 2 bits per
 * weight, next to the rest of the ONNX model, and the way back to a plain ONNX model that ONNX
 * Runtime can load.
 *
 * <p>Why a container of our own: ONNX Runtime has no 2-bit integer type, so the model it runs holds
 * the ternary weights as int8 initializers feeding {@code DequantizeLinear} (one byte per weight).
 * Publishing that would give away three quarters of the size the ternary weights could take. The
 * artifact therefore stores those initializers packed and the model without them; {@link #toOnnx}
 * unpacks them and puts them back.
 *
 * <p>Putting them back needs no ONNX library: protobuf parsers merge repeated occurrences of an
 * embedded message field, so appending a second {@code ModelProto.graph} field (7) that holds only
 * {@code GraphProto.initializer} entries (5) to the stripped model yields a model whose graph has
 * every initializer back. Each entry is a {@code TensorProto} with {@code dims} (1), {@code
 * data_type} (2) = INT8, {@code name} (8) and {@code raw_data} (9), encoded here by hand. That
 * keeps this module (shared by the training workers, which write the container, and the edge, which
 * reads it) free of a protobuf dependency.
 *
 * <p>Layout (big-endian, {@link DataOutputStream}): the magic {@code "SFTERN2\0"}, a format version
 * (int, 1), the tensor count (int); per tensor its name (modified UTF-8), rank (int), dims (long
 * each), weight count (int) and the packed weights ({@code ceil(count / 4)} bytes); then the length
 * (int) and bytes of the stripped ONNX model.
 *
 * <p>Packing: weight {@code i} takes bits {@code 2*(i%4)} and {@code 2*(i%4)+1} of byte {@code
 * i/4}: {@code 00} = 0, {@code 01} = +1, {@code 10} = −1; {@code 11} is invalid. Unused bits of the
 * last byte are 0.
 */
public final class TernaryPacking {
  /** The registry event's {@code format} of an artifact in this container. */
  public static final String FORMAT = "onnx-ternary2";

  private static final byte[] MAGIC = "SFTERN2\0".getBytes(StandardCharsets.US_ASCII);
  private static final int VERSION = 1;
  private static final int ONNX_INT8 = 3;
  private static final int MAX_RANK = 8;

  private TernaryPacking() {}

  /**
   * One ternary initializer.
   *
   * @param name the initializer's name in the ONNX graph
   * @param dims its shape
   * @param values its values, each −1, 0 or 1, row-major
   */
  public record Tensor(String name, long[] dims, byte[] values) {
    public Tensor {
      Objects.requireNonNull(name, "name");
      dims = dims.clone();
      long n = 1;
      for (long d : dims) {
        if (d < 0) {
          throw new IllegalArgumentException("tensor " + name + ": negative dimension " + d);
        }
        n *= d;
      }
      if (n != values.length) {
        throw new IllegalArgumentException(
            "tensor "
                + name
                + ": shape "
                + Arrays.toString(dims)
                + " holds "
                + n
                + " values, got "
                + values.length);
      }
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Tensor t
          && name.equals(t.name)
          && Arrays.equals(dims, t.dims)
          && Arrays.equals(values, t.values);
    }

    @Override
    public int hashCode() {
      return Objects.hash(name, Arrays.hashCode(dims), Arrays.hashCode(values));
    }

    @Override
    public String toString() {
      return "Tensor[" + name + " " + Arrays.toString(dims) + "]";
    }
  }

  /**
   * A container's parts.
   *
   * @param strippedOnnx the ONNX model without the ternary initializers
   * @param tensors the ternary initializers
   */
  public record Contents(byte[] strippedOnnx, List<Tensor> tensors) {
    public Contents {
      tensors = List.copyOf(tensors);
    }
  }

  /**
   * Packs ternary values at 2 bits each.
   *
   * @throws IllegalArgumentException for a value other than −1, 0 or 1 (naming its index)
   */
  public static byte[] pack(byte[] values) {
    byte[] out = new byte[(values.length + 3) / 4];
    for (int i = 0; i < values.length; i++) {
      int code =
          switch (values[i]) {
            case 0 -> 0;
            case 1 -> 1;
            case -1 -> 2;
            default ->
                throw new IllegalArgumentException(
                    "value " + values[i] + " at index " + i + " is not ternary (-1, 0 or 1)");
          };
      out[i >> 2] |= (byte) (code << ((i & 3) * 2));
    }
    return out;
  }

  /**
   * Unpacks {@code count} values.
   *
   * @throws ArtifactException when the packed bytes are too short or hold the invalid code 11
   */
  public static byte[] unpack(byte[] packed, int count) {
    if (count < 0 || packed.length != (count + 3L) / 4) {
      throw new ArtifactException(
          "ternary tensor of "
              + count
              + " weights needs "
              + (count + 3L) / 4
              + " bytes, has "
              + packed.length);
    }
    byte[] out = new byte[count];
    for (int i = 0; i < count; i++) {
      int code = (packed[i >> 2] >> ((i & 3) * 2)) & 3;
      out[i] =
          switch (code) {
            case 0 -> 0;
            case 1 -> 1;
            case 2 -> -1;
            default ->
                throw new ArtifactException("ternary tensor: invalid code 11 at weight " + i);
          };
    }
    return out;
  }

  /** Whether {@code bytes} start like a container (an ONNX model never does). */
  public static boolean isContainer(byte[] bytes) {
    return bytes != null
        && bytes.length >= MAGIC.length
        && Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length);
  }

  /** Writes a container. */
  public static byte[] write(byte[] strippedOnnx, List<Tensor> tensors) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      out.write(MAGIC);
      out.writeInt(VERSION);
      out.writeInt(tensors.size());
      for (Tensor t : tensors) {
        out.writeUTF(t.name());
        out.writeInt(t.dims().length);
        for (long d : t.dims()) {
          out.writeLong(d);
        }
        out.writeInt(t.values().length);
        out.write(pack(t.values()));
      }
      out.writeInt(strippedOnnx.length);
      out.write(strippedOnnx);
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Reads a container.
   *
   * @throws ArtifactException when the bytes are not a container or are cut short or corrupt
   */
  public static Contents read(byte[] container) {
    if (!isContainer(container)) {
      throw new ArtifactException("not a packed ternary model: the magic bytes are missing");
    }
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(container))) {
      in.skipNBytes(MAGIC.length);
      int version = in.readInt();
      if (version != VERSION) {
        throw new ArtifactException(
            "packed ternary model format version " + version + " is not supported (reads 1)");
      }
      int n = in.readInt();
      if (n < 0 || n > container.length) {
        throw new ArtifactException("packed ternary model: impossible tensor count " + n);
      }
      List<Tensor> tensors = new ArrayList<>(n);
      for (int k = 0; k < n; k++) {
        String name = in.readUTF();
        int rank = in.readInt();
        if (rank < 0 || rank > MAX_RANK) {
          throw new ArtifactException("packed ternary tensor " + name + ": rank " + rank);
        }
        long[] dims = new long[rank];
        for (int i = 0; i < rank; i++) {
          dims[i] = in.readLong();
        }
        int count = in.readInt();
        if (count < 0 || (count + 3L) / 4 > in.available()) {
          throw new ArtifactException(
              "packed ternary tensor " + name + ": " + count + " weights do not fit the artifact");
        }
        byte[] values = unpack(in.readNBytes((count + 3) / 4), count);
        try {
          tensors.add(new Tensor(name, dims, values));
        } catch (IllegalArgumentException e) {
          throw new ArtifactException("packed ternary model: " + e.getMessage());
        }
      }
      int length = in.readInt();
      if (length < 0 || length != in.available()) {
        throw new ArtifactException(
            "packed ternary model: the ONNX part declares "
                + length
                + " bytes, "
                + in.available()
                + " follow");
      }
      return new Contents(in.readNBytes(length), tensors);
    } catch (EOFException e) {
      throw new ArtifactException("packed ternary model is cut short", e);
    } catch (IOException e) {
      throw new ArtifactException("packed ternary model is unreadable: " + e.getMessage(), e);
    }
  }

  /**
   * The plain ONNX model of a container: the stripped model with the unpacked tensors appended as
   * int8 initializers of its graph.
   *
   * @throws ArtifactException when the container is not readable
   */
  public static byte[] toOnnx(byte[] container) {
    Contents c = read(container);
    ByteArrayOutputStream graph = new ByteArrayOutputStream();
    for (Tensor t : c.tensors()) {
      ByteArrayOutputStream tensor = new ByteArrayOutputStream();
      for (long d : t.dims()) {
        tag(tensor, 1, 0);
        varint(tensor, d);
      }
      tag(tensor, 2, 0);
      varint(tensor, ONNX_INT8);
      bytesField(tensor, 8, t.name().getBytes(StandardCharsets.UTF_8));
      bytesField(tensor, 9, t.values());
      bytesField(graph, 5, tensor.toByteArray());
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(c.strippedOnnx());
    bytesField(out, 7, graph.toByteArray());
    return out.toByteArray();
  }

  private static void bytesField(ByteArrayOutputStream out, int field, byte[] value) {
    tag(out, field, 2);
    varint(out, value.length);
    out.writeBytes(value);
  }

  private static void tag(ByteArrayOutputStream out, int field, int wireType) {
    varint(out, ((long) field << 3) | wireType);
  }

  private static void varint(ByteArrayOutputStream out, long v) {
    while ((v & ~0x7FL) != 0) {
      out.write((int) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
  }
}
