package io.streamforge.agents.task;

import io.streamforge.schemas.records.DatasetManifest;
import io.streamforge.schemas.records.TrainingJob.TaskType;
import io.streamforge.schemas.records.WorkflowRequest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Task analysis by rules. The task type is the request's when it names one; otherwise the label's
 * Arrow type decides, with the free-text task as the tie-breaker where the type allows both:
 *
 * <ul>
 *   <li>bool, string and dictionary-encoded labels are classification (strings cannot be
 *       regressed);
 *   <li>float and decimal labels are regression unless the text asks to classify and says nothing
 *       of regression (0.0/1.0 labels stored as floats);
 *   <li>integer labels are classification unless the text speaks of regression (a count, a price,
 *       "how many") and not of classes.
 * </ul>
 *
 * The features are every other column the trainer can read (int, float, bool, and text, which it
 * one-hot encodes as categories); dictionary-encoded, decimal and other columns are left out with a
 * note each.
 */
public final class RuleBasedTaskAnalyzer implements TaskAnalyzer {

  /** Phrases that point to classification, with the words quoted back in notes. */
  private static final Map<String, Pattern> CLASSIFICATION_CUES =
      cues(
          "classify", "\\bclassif\\w*",
          "category", "\\bcategor\\w*",
          "class", "\\bclass(es)?\\b",
          "whether", "\\bwhether\\b",
          "which kind/type", "\\bwhich (kind|type|species|group)\\b",
          "detect", "\\bdetect\\w*",
          "yes or no", "\\byes or no\\b",
          "binary", "\\bbinary\\b");

  /** Phrases that point to regression. */
  private static final Map<String, Pattern> REGRESSION_CUES =
      cues(
          "regress", "\\bregress\\w*",
          "price", "\\bprices?\\b",
          "cost", "\\bcosts?\\b",
          "how much/many/long", "\\bhow (much|many|long)\\b",
          "estimate", "\\bestimat\\w*",
          "forecast", "\\bforecast\\w*",
          "amount", "\\bamounts?\\b",
          "quantity", "\\bquantit(y|ies)\\b",
          "continuous", "\\bcontinuous\\b");

  @Override
  public String name() {
    return "rule-based";
  }

  @Override
  public Requirements analyze(WorkflowRequest request, DatasetManifest manifest) {
    Schema schema = schemaOf(manifest);
    String label = labelOf(request, manifest);
    if (label == null) {
      throw new IllegalArgumentException(
          "no label column: neither the request nor dataset "
              + manifest.key()
              + " names one; the columns are: "
              + columns(schema));
    }
    Field labelField = field(schema, label);
    List<String> notes = new ArrayList<>();
    TaskType type = taskType(request, labelField, notes);
    List<String> features = new ArrayList<>();
    for (Field f : schema.getFields()) {
      if (f.getName().equals(label)) {
        continue;
      }
      ColumnKind kind = ColumnKind.of(f);
      if (kind.feature()) {
        features.add(f.getName());
        if (kind == ColumnKind.UTF8) {
          notes.add("text column '" + f.getName() + "' is a categorical feature (one-hot)");
        }
      } else {
        notes.add(
            "skipped column '"
                + f.getName()
                + "' ("
                + ColumnKind.describe(f)
                + "): the trainer reads int, float, bool and text columns only");
      }
    }
    notes.add(features.size() + " feature column(s): " + String.join(", ", features));
    boolean classification = type == TaskType.CLASSIFICATION;
    String metric = classification ? Requirements.ACCURACY : Requirements.RMSE;
    notes.add(
        "models are ranked by "
            + metric
            + (classification ? " (higher is better)" : " (lower is better)"));
    return new Requirements(type, label, features, metric, classification, notes);
  }

  private static TaskType taskType(WorkflowRequest request, Field labelField, List<String> notes) {
    ColumnKind kind = ColumnKind.of(labelField);
    String typeName = ColumnKind.describe(labelField);
    String label = labelField.getName();
    if (request.taskType() != null) {
      notes.add("task type " + request.taskType() + " as the request says");
      return request.taskType();
    }
    String text = request.task() == null ? "" : request.task().toLowerCase(Locale.ROOT);
    List<String> cls = matches(CLASSIFICATION_CUES, text);
    List<String> reg = matches(REGRESSION_CUES, text);
    String words = describeCues(cls, reg);
    TaskType type;
    String why;
    switch (kind) {
      case BOOL, UTF8, DICTIONARY -> {
        type = TaskType.CLASSIFICATION;
        why = "label '" + label + "' is " + typeName + ", which only classification can predict";
        if (!reg.isEmpty()) {
          why += "; the text's " + quote(reg) + " cannot make it regression";
        }
      }
      case FLOAT, DECIMAL -> {
        if (!cls.isEmpty() && reg.isEmpty()) {
          type = TaskType.CLASSIFICATION;
          why = "label '" + label + "' is " + typeName + " but the task says " + quote(cls);
        } else {
          type = TaskType.REGRESSION;
          why = "label '" + label + "' is " + typeName + words;
        }
      }
      case INT, UINT -> {
        if (!reg.isEmpty() && cls.isEmpty()) {
          type = TaskType.REGRESSION;
          why = "label '" + label + "' is " + typeName + " and the task says " + quote(reg);
        } else {
          type = TaskType.CLASSIFICATION;
          why = "label '" + label + "' is " + typeName + words;
        }
      }
      default -> {
        if (!reg.isEmpty() && cls.isEmpty()) {
          type = TaskType.REGRESSION;
        } else {
          type = TaskType.CLASSIFICATION;
        }
        why = "label '" + label + "' is " + typeName + ", which says nothing of the task" + words;
      }
    }
    notes.add("task type " + type + ": " + why);
    return type;
  }

  private static String describeCues(List<String> cls, List<String> reg) {
    if (cls.isEmpty() && reg.isEmpty()) {
      return "; the task text names neither classes nor a quantity";
    }
    StringBuilder b = new StringBuilder("; the task says");
    if (!cls.isEmpty()) {
      b.append(' ').append(quote(cls)).append(" (classification)");
    }
    if (!reg.isEmpty()) {
      b.append(cls.isEmpty() ? " " : " and ").append(quote(reg)).append(" (regression)");
    }
    return b.toString();
  }

  private static String quote(List<String> cues) {
    return "'" + String.join("', '", cues) + "'";
  }

  private static List<String> matches(Map<String, Pattern> cues, String text) {
    List<String> out = new ArrayList<>();
    cues.forEach(
        (name, p) -> {
          if (p.matcher(text).find()) {
            out.add(name);
          }
        });
    return out;
  }

  private static Map<String, Pattern> cues(String... nameAndRegex) {
    Map<String, Pattern> m = new LinkedHashMap<>();
    for (int i = 0; i < nameAndRegex.length; i += 2) {
      m.put(nameAndRegex[i], Pattern.compile(nameAndRegex[i + 1]));
    }
    return m;
  }

  /** The label a request trains on: its own, else the one the dataset was published with. */
  static String labelOf(WorkflowRequest request, DatasetManifest manifest) {
    if (request.label() != null && !request.label().isBlank()) {
      return request.label();
    }
    return manifest == null ? null : manifest.labelColumn();
  }

  /**
   * The dataset's Arrow schema.
   *
   * @throws IllegalArgumentException when the manifest has none or it does not parse
   */
  static Schema schemaOf(DatasetManifest manifest) {
    if (manifest == null || manifest.schemaJson() == null || manifest.schemaJson().isBlank()) {
      throw new IllegalArgumentException(
          "dataset "
              + (manifest == null ? "(none)" : manifest.key())
              + " has no schema: only sealed versions with a schema can be analyzed");
    }
    try {
      return Schema.fromJSON(manifest.schemaJson());
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(
          "dataset " + manifest.key() + " has an unreadable schema: " + e.getMessage(), e);
    }
  }

  /** The field named {@code name}, or null. */
  static Field find(Schema schema, String name) {
    for (Field f : schema.getFields()) {
      if (f.getName().equals(name)) {
        return f;
      }
    }
    return null;
  }

  /** The field named {@code name}, or an exception listing the columns. */
  static Field field(Schema schema, String name) {
    Field f = find(schema, name);
    if (f != null) {
      return f;
    }
    throw new IllegalArgumentException(
        "no label column '" + name + "'; the columns are: " + columns(schema));
  }

  static String columns(Schema schema) {
    return String.join(", ", schema.getFields().stream().map(Field::getName).toList());
  }
}
