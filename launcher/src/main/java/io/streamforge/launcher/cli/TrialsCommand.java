package io.streamforge.launcher.cli;

import io.streamforge.schemas.records.PhaseTransition;
import io.streamforge.streams.api.WorkflowWatcher;
import io.streamforge.streams.support.Payloads;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code streamforge trials ID}: the search trials of a workflow. */
@Command(
    name = "trials",
    mixinStandardHelpOptions = true,
    description =
        "Prints the trials of a workflow's search (configuration, status, validation metric,"
            + " registered model, duration), as the optimizer reported them.")
public final class TrialsCommand implements Callable<Integer> {
  @Mixin ConnectionOptions connection;

  @Parameters(index = "0", paramLabel = "ID", description = "Workflow id.")
  String id;

  @Override
  public Integer call() {
    Map<String, Payloads.Trial> trials = new TreeMap<>();
    PhaseTransition last =
        WorkflowWatcher.watch(
            connection.clients(),
            id,
            new WorkflowWatcher.Listener() {
              @Override
              public void transition(PhaseTransition t) {}

              @Override
              public void trial(Payloads.Trial t) {
                trials.put(t.trialId(), t);
              }
            },
            false,
            Duration.ofMinutes(1),
            () -> false);
    if (last == null) {
      System.err.println("no workflow " + id + " on " + connection.describe());
      return 3;
    }
    System.out.println("workflow " + id + ": " + last.to() + ", " + trials.size() + " trial(s)");
    WorkflowPrinter.table(trials.values(), System.out);
    return 0;
  }
}
