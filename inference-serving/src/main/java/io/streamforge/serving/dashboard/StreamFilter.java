package io.streamforge.serving.dashboard;

import io.streamforge.schemas.records.AgentMessage;
import io.streamforge.schemas.records.Deployment;
import io.streamforge.schemas.records.MetricPoint;
import io.streamforge.schemas.records.ModelEvent;
import io.streamforge.schemas.records.PhaseTransition;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What a client asked to see. Each filter holds any number of values (a record matches one of
 * them); filters of different names must all match; an empty filter matches everything.
 *
 * @param workflows workflow ids: {@code phases} and {@code trials} by workflow id, {@code metrics}
 *     by run (the trial and final jobs of workflow {@code W} are {@code W.trial-<n>} and {@code
 *     W.final})
 * @param runs exact {@code metrics} runs
 * @param models model names: {@code deployments} and {@code models} by model, {@code metrics} by
 *     their {@code model} label (the edge's aggregates)
 * @param sources {@code metrics} sources ({@code trainer}, {@code edge})
 */
record StreamFilter(
    Set<String> workflows, Set<String> runs, Set<String> models, Set<String> sources) {
  /** Payload types of {@code agent.messages} that the {@code trials} stream carries. */
  static final Set<String> TRIAL_PAYLOADS = Set.of("trial", "debug-action");

  StreamFilter {
    workflows = Set.copyOf(workflows);
    runs = Set.copyOf(runs);
    models = Set.copyOf(models);
    sources = Set.copyOf(sources);
  }

  static StreamFilter none() {
    return new StreamFilter(Set.of(), Set.of(), Set.of(), Set.of());
  }

  /** An event to send: its SSE name and its data (one line of JSON, or a verbatim payload). */
  record Event(String name, String data) {}

  /** The event this client gets for a record, or null when it gets none. */
  Event select(Delivery d) {
    if (d.value() == null) {
      return null;
    }
    return switch (d.stream()) {
      case PHASES -> {
        PhaseTransition t = (PhaseTransition) d.value();
        yield matches(workflows, t.workflowId())
            ? new Event("phase", d.memo().get(() -> EventJson.phase(t).encode()))
            : null;
      }
      case TRIALS -> {
        AgentMessage m = (AgentMessage) d.value();
        yield TRIAL_PAYLOADS.contains(m.payloadType())
                && m.payload() != null
                && matches(workflows, m.workflowId())
            ? new Event(m.payloadType(), m.payload())
            : null;
      }
      case DEPLOYMENTS -> {
        Deployment x = (Deployment) d.value();
        yield matches(models, x.model())
            ? new Event("deployment", d.memo().get(() -> EventJson.deployment(x).encode()))
            : null;
      }
      case MODELS -> {
        ModelEvent e = (ModelEvent) d.value();
        yield matches(models, e.model())
            ? new Event("model", d.memo().get(() -> EventJson.model(e).encode()))
            : null;
      }
      case METRICS -> metrics(d);
    };
  }

  private Event metrics(Delivery d) {
    @SuppressWarnings("unchecked")
    List<MetricPoint> points = (List<MetricPoint>) d.value();
    List<MetricPoint> kept = new ArrayList<>(points.size());
    for (MetricPoint p : points) {
      if (matches(p)) {
        kept.add(p);
      }
    }
    if (kept.isEmpty()) {
      return null;
    }
    if (kept.size() == points.size()) {
      return new Event("metrics", d.memo().get(() -> EventJson.metrics(points).encode()));
    }
    return new Event("metrics", EventJson.metrics(kept).encode());
  }

  boolean matches(MetricPoint p) {
    if (!matches(runs, p.run()) || !matches(sources, p.source())) {
      return false;
    }
    if (!models.isEmpty() && (p.labels() == null || !matches(models, p.labels().get("model")))) {
      return false;
    }
    if (workflows.isEmpty()) {
      return true;
    }
    String run = p.run();
    if (run == null) {
      return false;
    }
    for (String w : workflows) {
      if (run.length() > w.length() + 1 && run.startsWith(w) && run.charAt(w.length()) == '.') {
        return true;
      }
    }
    return false;
  }

  /** Whether a value is wanted (immutable sets refuse to look up null, hence the check). */
  private static boolean matches(Set<String> wanted, String value) {
    return wanted.isEmpty() || (value != null && wanted.contains(value));
  }
}
