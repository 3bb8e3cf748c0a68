package io.streamforge.training.quant;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Small helpers over ONNX's protobuf classes: tensors, nodes, attributes, metadata. Public because
 * the graph rewrites of quantization and of ensembling ({@code training.ensemble}) share them.
 */
public final class Onnx {
  public static final int FLOAT = TensorProto.DataType.FLOAT.getNumber();
  public static final int UINT8 = TensorProto.DataType.UINT8.getNumber();
  public static final int INT8 = TensorProto.DataType.INT8.getNumber();
  public static final int INT32 = TensorProto.DataType.INT32.getNumber();

  private Onnx() {}

  public static ModelProto parse(byte[] onnx) {
    try {
      return ModelProto.parseFrom(onnx);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("not an ONNX model: " + e.getMessage(), e);
    }
  }

  public static TensorProto floats(String name, float[] values, long... dims) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    return tensor(name, FLOAT, b.array(), dims);
  }

  public static TensorProto int8s(String name, byte[] values, long... dims) {
    return tensor(name, INT8, values, dims);
  }

  public static TensorProto uint8s(String name, byte[] values, long... dims) {
    return tensor(name, UINT8, values, dims);
  }

  public static TensorProto int32s(String name, int[] values, long... dims) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asIntBuffer().put(values);
    return tensor(name, INT32, b.array(), dims);
  }

  private static TensorProto tensor(String name, int type, byte[] raw, long... dims) {
    TensorProto.Builder t =
        TensorProto.newBuilder()
            .setName(name)
            .setDataType(type)
            .setRawData(ByteString.copyFrom(raw));
    for (long d : dims) {
      t.addDims(d);
    }
    return t.build();
  }

  /** The values of a float tensor, from {@code raw_data} or {@code float_data}. */
  public static float[] floatValues(TensorProto t) {
    if (t.getDataType() != FLOAT) {
      throw new IllegalArgumentException("tensor " + t.getName() + " is not float");
    }
    if (!t.getRawData().isEmpty()) {
      ByteBuffer b = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
      float[] out = new float[b.remaining() / 4];
      b.asFloatBuffer().get(out);
      return out;
    }
    float[] out = new float[t.getFloatDataCount()];
    for (int i = 0; i < out.length; i++) {
      out[i] = t.getFloatData(i);
    }
    return out;
  }

  /** The raw bytes of an 8-bit tensor. */
  public static byte[] byteValues(TensorProto t) {
    if (!t.getRawData().isEmpty()) {
      return t.getRawData().toByteArray();
    }
    byte[] out = new byte[t.getInt32DataCount()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (byte) t.getInt32Data(i);
    }
    return out;
  }

  public static NodeProto node(
      String op, String name, List<String> inputs, List<String> outputs, Map<String, Long> ints) {
    NodeProto.Builder n =
        NodeProto.newBuilder()
            .setOpType(op)
            .setName(name)
            .addAllInput(inputs)
            .addAllOutput(outputs);
    ints.forEach(
        (k, v) ->
            n.addAttribute(
                AttributeProto.newBuilder()
                    .setName(k)
                    .setType(AttributeProto.AttributeType.INT)
                    .setI(v)));
    return n.build();
  }

  public static long intAttribute(NodeProto n, String name, long otherwise) {
    for (AttributeProto a : n.getAttributeList()) {
      if (a.getName().equals(name)) {
        return a.getI();
      }
    }
    return otherwise;
  }

  public static float floatAttribute(NodeProto n, String name, float otherwise) {
    for (AttributeProto a : n.getAttributeList()) {
      if (a.getName().equals(name)) {
        return a.getF();
      }
    }
    return otherwise;
  }

  /** The model's metadata properties, in order. */
  public static Map<String, String> metadata(ModelProto m) {
    Map<String, String> out = new LinkedHashMap<>();
    for (StringStringEntryProto e : m.getMetadataPropsList()) {
      out.put(e.getKey(), e.getValue());
    }
    return out;
  }

  /** {@code m} with {@code extra} metadata properties set (replacing those of the same key). */
  public static ModelProto withMetadata(ModelProto m, Map<String, String> extra) {
    Map<String, String> all = metadata(m);
    all.putAll(extra);
    ModelProto.Builder b = m.toBuilder().clearMetadataProps();
    all.forEach(
        (k, v) -> b.addMetadataProps(StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
    return b.build();
  }
}
