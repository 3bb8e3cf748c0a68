package io.streamforge.training.quant;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamforge.schemas.records.TrainingJob.TaskType;
import io.streamforge.training.core.UnusableJobException;
import io.streamforge.training.onnx.OnnxExporter;
import java.util.List;
import java.util.Map;

/**
 * The fp32 model a variant is derived from, with what its provenance says about the data it was
 * trained and validated on: the dataset version, feature columns (in input order), label, task and
 * validation fraction. The variants are evaluated on the same rows the fp32 model was validated on
 * (the row-hash split with the same fraction).
 *
 * @param model model name
 * @param version its version
 * @param onnx the fp32 model's bytes
 * @param graph the parsed model
 * @param sha256 the artifact's sha256 (as registered), or null
 * @param dataset dataset name
 * @param datasetVersion dataset version
 * @param features feature columns, in input order
 * @param label label column
 * @param task classification or regression
 * @param validationFraction the split's validation fraction
 * @param seed the training seed (for the fine-tuning's shuffle)
 * @param batchSize the training batch size
 */
public record ParentModel(
    String model,
    int version,
    byte[] onnx,
    ModelProto graph,
    String sha256,
    String dataset,
    int datasetVersion,
    List<String> features,
    String label,
    TaskType task,
    double validationFraction,
    long seed,
    int batchSize) {
  private static final ObjectMapper JSON = new ObjectMapper();

  public ParentModel {
    features = List.copyOf(features);
  }

  public boolean classification() {
    return task == TaskType.CLASSIFICATION;
  }

  /** The output compared with the label: {@code label} (classification) or {@code prediction}. */
  public String scoredOutput() {
    return classification() ? OnnxExporter.LABEL : OnnxExporter.PREDICTION;
  }

  /** The model's metadata properties. */
  public Map<String, String> metadata() {
    return Onnx.metadata(graph);
  }

  /**
   * Reads an exported fp32 model and its provenance.
   *
   * @throws UnusableJobException when the bytes are not ONNX or the provenance lacks what the
   *     evaluation needs (naming the missing key)
   */
  public static ParentModel read(String model, int version, byte[] onnx, String sha256) {
    ModelProto graph;
    try {
      graph = Onnx.parse(onnx);
    } catch (IllegalArgumentException e) {
      throw new UnusableJobException(
          "model " + model + " v" + version + " is " + e.getMessage(), e);
    }
    Map<String, String> meta = Onnx.metadata(graph);
    String encoding = meta.get("streamforge.encoding");
    if (encoding != null && !encoding.isBlank()) {
      throw new UnusableJobException(
          "model "
              + model
              + " v"
              + version
              + " has text (categorical) inputs "
              + io.streamforge.arrowio.tensor.FeatureEncoding.fromJson(encoding)
                  .categories()
                  .keySet()
              + ": quantization and ensembling take models with numeric inputs only (it is"
              + " served in fp32)");
    }
    try {
      JsonNode hp = JSON.readTree(require(meta, "streamforge.hyperparameters", model, version));
      List<String> features =
          JSON.readValue(
              require(meta, "streamforge.features", model, version), new TypeReference<>() {});
      return new ParentModel(
          model,
          version,
          onnx,
          graph,
          sha256,
          require(meta, "streamforge.dataset", model, version),
          Integer.parseInt(require(meta, "streamforge.dataset.version", model, version)),
          features,
          require(meta, "streamforge.label", model, version),
          TaskType.valueOf(require(meta, "streamforge.task", model, version)),
          hp.path("validation_fraction").asDouble(0.2),
          Long.parseLong(meta.getOrDefault("streamforge.seed", "42")),
          Math.max(1, hp.path("batch_size").asInt(16)));
    } catch (java.io.IOException | IllegalArgumentException e) {
      throw new UnusableJobException(
          "model "
              + model
              + " v"
              + version
              + " has unreadable provenance metadata: "
              + e.getMessage(),
          e);
    }
  }

  private static String require(Map<String, String> meta, String key, String model, int version) {
    String v = meta.get(key);
    if (v == null || v.isBlank()) {
      throw new UnusableJobException(
          "model "
              + model
              + " v"
              + version
              + " lacks the provenance metadata '"
              + key
              + "' that quantization and ensembling need to find its validation rows");
    }
    return v;
  }
}
