package io.streamforge.serving.model;

import ai.onnxruntime.TensorInfo.OnnxTensorType;
import io.streamforge.serving.EdgeException;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;

/**
 * The Open Inference Protocol datatypes this edge serves, with their ONNX element types. {@code
 * BYTES} is the protocol's string type: ONNX {@code STRING} tensors (categorical columns), sent as
 * JSON strings.
 */
public enum DataType {
  BOOL(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL),
  INT32(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32),
  INT64(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64),
  FP32(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT),
  FP64(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE),
  BYTES(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING);

  /** Datatypes of the protocol that this edge refuses explicitly. */
  private static final Set<String> KNOWN_UNSUPPORTED =
      Set.of("UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "FP16", "BF16");

  private static final DataType[] VALUES = values();

  private final OnnxTensorType onnx;

  DataType(OnnxTensorType onnx) {
    this.onnx = onnx;
  }

  public OnnxTensorType onnx() {
    return onnx;
  }

  /** The datatype of an ONNX element type, empty when this edge does not serve it. */
  public static Optional<DataType> ofOnnx(OnnxTensorType type) {
    for (DataType d : VALUES) { // per output of every inference: no stream
      if (d.onnx == type) {
        return Optional.of(d);
      }
    }
    return Optional.empty();
  }

  /**
   * Parses a datatype of a request.
   *
   * @throws EdgeException 400 naming the datatype and what is supported
   */
  public static DataType parse(String name) {
    if (name == null) {
      throw EdgeException.badRequest("datatype is missing");
    }
    for (DataType d : values()) {
      if (d.name().equals(name)) {
        return d;
      }
    }
    if (KNOWN_UNSUPPORTED.contains(name)) {
      throw EdgeException.badRequest(
          "datatype " + name + " is not supported (supported: " + Arrays.toString(values()) + ")");
    }
    throw EdgeException.badRequest("unknown datatype '" + name + "'");
  }
}
