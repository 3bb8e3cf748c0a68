package io.streamforge.training;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamforge.schemas.records.TrainingJob;
import io.streamforge.training.core.TrainingResult;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/** Where a model came from, as the metadata properties of its ONNX file. */
public final class Provenance {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Provenance() {}

  /** The StreamForge version this module was built as. */
  public static String streamforgeVersion() {
    try (InputStream in = Provenance.class.getResourceAsStream("streamforge-version.properties")) {
      Properties p = new Properties();
      if (in != null) {
        p.load(in);
      }
      return p.getProperty("version", "unknown");
    } catch (IOException e) {
      return "unknown";
    }
  }

  /** Metadata keys: {@code streamforge.*}. */
  public static Map<String, String> of(
      TrainingJob job,
      String datasetKey,
      int datasetVersion,
      String contentHash,
      TrainingResult r) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("streamforge.version", streamforgeVersion());
    m.put("streamforge.job", job.jobId());
    m.put("streamforge.model", job.model());
    m.put("streamforge.dataset", job.dataset());
    m.put("streamforge.dataset.version", Integer.toString(datasetVersion));
    m.put("streamforge.dataset.content_hash", contentHash == null ? "" : contentHash);
    m.put("streamforge.task", job.task().name());
    m.put("streamforge.label", job.label());
    // the model's raw inputs: numeric columns (the float input), then text columns (string inputs)
    m.put("streamforge.features", json(r.preprocessing().encoding().columns()));
    if (r.preprocessing().encoding().hasCategories()) {
      m.put("streamforge.encoding", r.preprocessing().encoding().toJson());
    }
    if (r.preprocessing().classCount() > 0) {
      m.put("streamforge.classes", json(r.preprocessing().classes()));
    }
    m.put("streamforge.seed", Long.toString(job.seed()));
    Map<String, Object> hp = new LinkedHashMap<>();
    hp.put("architecture", job.architecture());
    hp.put("optimizer", job.optimizer());
    hp.put("batch_size", job.batchSize());
    hp.put("epochs", job.epochs());
    hp.put("validation_fraction", job.validationFraction());
    hp.put("validation_offset", io.streamforge.training.core.JobTrainer.validationOffset(job));
    hp.put("patience", job.patience());
    m.put("streamforge.hyperparameters", json(hp));
    m.put("streamforge.metrics", json(new TreeMap<>(r.metrics())));
    m.put("streamforge.stopped_by", r.stoppedBy());
    m.put("streamforge.source", datasetKey);
    return m;
  }

  static String json(Object o) {
    try {
      return JSON.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write provenance: " + e.getMessage(), e);
    }
  }
}
