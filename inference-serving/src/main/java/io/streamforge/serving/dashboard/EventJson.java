package io.streamforge.serving.dashboard;

import io.streamforge.schemas.records.Deployment;
import io.streamforge.schemas.records.MetricPoint;
import io.streamforge.schemas.records.ModelEvent;
import io.streamforge.schemas.records.PhaseTransition;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The JSON of the streamed records: the record components by their Java names (camelCase, as the
 * agents' payloads), times as ISO-8601 strings, enums by name, and non-finite numbers (a diverging
 * loss) as the strings {@code "NaN"}, {@code "Infinity"} and {@code "-Infinity"}, which JSON cannot
 * hold as numbers and JavaScript's {@code Number()} reads back.
 */
final class EventJson {
  private EventJson() {}

  static JsonObject phase(PhaseTransition t) {
    return new JsonObject()
        .put("workflowId", t.workflowId())
        .put("from", t.from() == null ? null : t.from().name())
        .put("to", t.to() == null ? null : t.to().name())
        .put("reason", t.reason())
        .put("time", time(t.time()))
        .put("artifacts", strings(t.artifacts()));
  }

  static JsonArray metrics(List<MetricPoint> points) {
    JsonArray a = new JsonArray();
    for (MetricPoint p : points) {
      a.add(
          new JsonObject()
              .put("source", p.source())
              .put("run", p.run())
              .put("step", p.step())
              .put("name", p.name())
              .put("value", number(p.value()))
              .put("time", time(p.time()))
              .put("labels", strings(p.labels())));
    }
    return a;
  }

  static JsonObject deployment(Deployment d) {
    return new JsonObject()
        .put("model", d.model())
        .put("stableVersion", d.stableVersion())
        .put("canaryVersion", d.canaryVersion())
        .put("canaryWeight", number(d.canaryWeight()))
        .put("mode", d.mode() == null ? null : d.mode().name())
        .put("stickyHeader", d.stickyHeader())
        .put("decision", d.decision())
        .put("reason", d.reason())
        .put("time", time(d.time()));
  }

  static JsonObject model(ModelEvent e) {
    JsonObject metrics = new JsonObject();
    if (e.metrics() != null) {
      new TreeMap<>(e.metrics()).forEach((k, v) -> metrics.put(k, v == null ? null : number(v)));
    }
    return new JsonObject()
        .put("key", e.key())
        .put("model", e.model())
        .put("version", e.version())
        .put("variant", e.variant())
        .put("format", e.format())
        .put("status", e.status() == null ? null : e.status().name())
        .put("sha256", e.sha256())
        .put("sizeBytes", e.sizeBytes())
        .put("metrics", metrics)
        .put("parentVersion", e.parentVersion())
        .put("jobId", e.jobId())
        .put("reason", e.reason())
        .put("time", time(e.time()));
  }

  /** A finite number as itself, a non-finite one as its name. */
  static Object number(double v) {
    if (Double.isNaN(v)) {
      return "NaN";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "Infinity" : "-Infinity";
    }
    return v;
  }

  private static String time(Instant t) {
    return t == null ? null : t.toString();
  }

  private static JsonObject strings(Map<String, String> m) {
    JsonObject o = new JsonObject();
    if (m != null) {
      new TreeMap<>(m).forEach(o::put);
    }
    return o;
  }
}
