package io.streamforge.launcher.cli;

import io.streamforge.schemas.records.Phase;
import io.streamforge.schemas.records.PhaseTransition;
import io.streamforge.streams.api.Submissions;
import io.streamforge.streams.api.WorkflowWatcher;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code streamforge status ID}: a workflow's phase transitions and progress. */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = {
      "Prints a workflow's phase transitions, trials and debugger actions from the topics.",
      "Exit code: 0 when the workflow is DONE, 1 when it FAILED or was CANCELLED, 3 while it is"
          + " still running (without --follow) or unknown."
    })
public final class StatusCommand implements Callable<Integer> {
  @Mixin ConnectionOptions connection;

  @Parameters(index = "0", paramLabel = "ID", description = "Workflow id.")
  String id;

  @Option(names = "--follow", description = "Keep printing until the workflow ends.")
  boolean follow;

  @Option(
      names = "--timeout",
      defaultValue = "6h",
      description = "How long --follow waits (default ${DEFAULT-VALUE}).")
  String timeout;

  @Override
  public Integer call() {
    PhaseTransition last =
        WorkflowWatcher.watch(
            connection.clients(),
            id,
            new WorkflowPrinter(System.out, true),
            follow,
            Submissions.parseDuration(timeout),
            () -> false);
    if (last == null) {
      System.err.println("no workflow " + id + " on " + connection.describe());
    }
    return exitCode(last);
  }

  static int exitCode(PhaseTransition last) {
    if (last == null || !last.to().terminal()) {
      return 3;
    }
    return last.to() == Phase.DONE ? 0 : 1;
  }
}
