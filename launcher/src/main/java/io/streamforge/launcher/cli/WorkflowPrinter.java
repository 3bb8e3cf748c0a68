package io.streamforge.launcher.cli;

import io.streamforge.schemas.records.PhaseTransition;
import io.streamforge.streams.api.WorkflowWatcher;
import io.streamforge.streams.support.Payloads;
import java.io.PrintStream;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Collection;
import java.util.Locale;

/** Prints a workflow's progress as lines: phases, trials as they end, the debugger's actions. */
final class WorkflowPrinter implements WorkflowWatcher.Listener {
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneId.systemDefault());

  private final PrintStream out;
  private final boolean trials;

  WorkflowPrinter(PrintStream out, boolean trials) {
    this.out = out;
    this.trials = trials;
  }

  @Override
  public void transition(PhaseTransition t) {
    out.printf(
        "%s  %-10s → %-10s %s%s%n",
        TIME.format(t.time()),
        t.from() == null ? "" : t.from(),
        t.to(),
        t.reason(),
        t.artifacts() == null || t.artifacts().isEmpty() ? "" : "  " + t.artifacts());
  }

  @Override
  public void trial(Payloads.Trial t) {
    if (!trials || "RUNNING".equals(t.status()) && t.value() != null) {
      return;
    }
    out.printf(
        "          %s %-9s %s%s%n",
        t.trialId(), t.status(), t.description(), t.metrics() == null ? "" : "  " + metrics(t));
  }

  @Override
  public void debugAction(Payloads.DebugAction a) {
    out.printf("          debugger: %s %s: %s%n", a.jobId(), a.action(), a.reason());
  }

  static String metrics(Payloads.Trial t) {
    StringBuilder sb = new StringBuilder();
    for (String k : new String[] {"val_accuracy", "val_rmse", "epochs_run"}) {
      Double v = t.metrics().get(k);
      if (v != null) {
        sb.append(k).append('=').append(String.format(Locale.ROOT, "%.4f", v)).append(' ');
      }
    }
    return sb.toString().trim();
  }

  /** A table of trials, best first is the caller's business; one line each. */
  static void table(Collection<Payloads.Trial> trials, PrintStream out) {
    out.printf(
        "%-10s %-9s %-12s %-8s %-8s %s%n",
        "trial", "status", "value", "model", "seconds", "configuration");
    for (Payloads.Trial t : trials) {
      String secs =
          t.endedAtMs() == null
              ? ""
              : String.format(Locale.ROOT, "%.1f", (t.endedAtMs() - t.startedAtMs()) / 1000.0);
      out.printf(
          "%-10s %-9s %-12s %-8s %-8s %s%n",
          t.trialId(),
          t.status(),
          t.metrics() == null ? "" : metrics(t).replace("epochs_run=", "ep="),
          t.modelVersion() == null ? "" : "v" + t.modelVersion(),
          secs,
          t.description() + (t.reason() == null ? "" : " (" + t.reason() + ")"));
    }
  }
}
