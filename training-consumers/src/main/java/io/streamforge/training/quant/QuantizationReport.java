package io.streamforge.training.quant;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The comparison of one fp32 model with its variants: the table a quantization run prints and
 * reports (as JSON, in the job's status), one row per model with the fp32 parent first.
 *
 * @param model model name
 * @param version the fp32 version
 * @param metricName {@code val_accuracy} or {@code val_rmse}
 * @param rows the fp32 row, then one row per variant
 */
public record QuantizationReport(String model, int version, String metricName, List<Row> rows) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The fp32 row's variant name. */
  public static final String BASELINE = "fp32";

  public QuantizationReport {
    rows = List.copyOf(rows);
  }

  /**
   * One model of the comparison.
   *
   * @param variant {@code fp32} or the method's id
   * @param accepted whether it passed the gate (the fp32 row: always)
   * @param reason the gate's verdict, or why it was not evaluated again
   * @param bytes artifact size
   * @param sizeRatio bytes / fp32 bytes
   * @param metric validation accuracy or RMSE
   * @param accuracyDelta metric change in points against fp32 (negative: worse; regression: minus
   *     the RMSE increase in percent of the fp32 RMSE)
   * @param latencyB1Ms median latency at batch 1
   * @param latencyB64Ms median latency at batch 64
   * @param speedupB1 fp32 latency / this latency at batch 1
   * @param speedupB64 the same at batch 64
   * @param agreement share of validation rows whose predicted label equals the fp32 model's
   *     (classification; NaN for regression)
   */
  public record Row(
      String variant,
      boolean accepted,
      String reason,
      long bytes,
      double sizeRatio,
      double metric,
      double accuracyDelta,
      double latencyB1Ms,
      double latencyB64Ms,
      double speedupB1,
      double speedupB64,
      double agreement) {}

  /** The fp32 row. */
  public Row baseline() {
    return rows.get(0);
  }

  /** The variant rows. */
  public List<Row> variants() {
    return rows.subList(1, rows.size());
  }

  /** Rows as JSON maps (snake_case keys; NaN left out). */
  public List<Map<String, Object>> toMaps() {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Row r : rows) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("variant", r.variant());
      m.put("accepted", r.accepted());
      m.put("reason", r.reason());
      m.put("bytes", r.bytes());
      putFinite(m, "size_ratio", r.sizeRatio());
      putFinite(m, metricName, r.metric());
      putFinite(m, "accuracy_delta", r.accuracyDelta());
      putFinite(m, "latency_b1_ms", r.latencyB1Ms());
      putFinite(m, "latency_b64_ms", r.latencyB64Ms());
      putFinite(m, "speedup_b1", r.speedupB1());
      putFinite(m, "speedup_b64", r.speedupB64());
      putFinite(m, "agreement", r.agreement());
      out.add(m);
    }
    return out;
  }

  /** The rows as a JSON list: what a quantization job's status carries as {@code report}. */
  public String toJson() {
    try {
      return JSON.writeValueAsString(toMaps());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Reads the rows of {@link #toJson()} back as maps (for readers of job statuses). */
  public static List<Map<String, Object>> rowsFromJson(String json) {
    try {
      return JSON.readValue(json, new TypeReference<>() {});
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not a quantization report: " + e.getMessage(), e);
    }
  }

  /** An aligned text table for terminals. */
  public String toText() {
    String[] head = {
      "variant",
      "accepted",
      "bytes",
      "size",
      metricName,
      "delta (pts)",
      "b1 ms",
      "b64 ms",
      "speedup b1",
      "speedup b64",
      "reason"
    };
    List<String[]> lines = new ArrayList<>();
    lines.add(head);
    for (Row r : rows) {
      lines.add(
          new String[] {
            r.variant(),
            r.accepted() ? "yes" : "no",
            Long.toString(r.bytes()),
            fmt("%.3fx", r.sizeRatio()),
            fmt("%.4f", r.metric()),
            fmt("%+.2f", r.accuracyDelta()),
            fmt("%.4f", r.latencyB1Ms()),
            fmt("%.4f", r.latencyB64Ms()),
            fmt("%.2fx", r.speedupB1()),
            fmt("%.2fx", r.speedupB64()),
            r.reason()
          });
    }
    int[] width = new int[head.length];
    for (String[] l : lines) {
      for (int c = 0; c < l.length; c++) {
        width[c] = Math.max(width[c], l[c].length());
      }
    }
    StringBuilder sb = new StringBuilder();
    sb.append(model).append(" v").append(version).append('\n');
    for (String[] l : lines) {
      StringBuilder line = new StringBuilder("  ");
      for (int c = 0; c < l.length; c++) {
        line.append(String.format(Locale.ROOT, "%-" + width[c] + "s  ", l[c]));
      }
      sb.append(line.toString().stripTrailing()).append('\n');
    }
    return sb.toString();
  }

  private static String fmt(String f, double v) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, f, v) : "-";
  }

  private static void putFinite(Map<String, Object> m, String key, double v) {
    if (Double.isFinite(v)) {
      m.put(key, v);
    }
  }
}
