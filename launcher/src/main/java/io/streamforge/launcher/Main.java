package io.streamforge.launcher;

import io.streamforge.arrowio.dataset.DatasetUnavailableException;
import io.streamforge.arrowio.read.BadInputException;
import io.streamforge.launcher.cli.BenchCommand;
import io.streamforge.launcher.cli.BrokerCommand;
import io.streamforge.launcher.cli.CancelCommand;
import io.streamforge.launcher.cli.DatasetsCommand;
import io.streamforge.launcher.cli.DemoCommand;
import io.streamforge.launcher.cli.EdgeCommand;
import io.streamforge.launcher.cli.PublishCommand;
import io.streamforge.launcher.cli.QuantizeCommand;
import io.streamforge.launcher.cli.StatusCommand;
import io.streamforge.launcher.cli.StreamsCommand;
import io.streamforge.launcher.cli.SubmitCommand;
import io.streamforge.launcher.cli.TopicsCommand;
import io.streamforge.launcher.cli.TrainCommand;
import io.streamforge.launcher.cli.TrialsCommand;
import io.streamforge.launcher.cli.UpCommand;
import io.streamforge.launcher.cli.WorkerCommand;
import io.streamforge.schemas.KafkaUnavailableException;
import java.io.PrintWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code streamforge} command line: every capability of the platform is a subcommand. */
@Command(
    name = "streamforge",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    description = "Streams of data in, served models out.",
    subcommands = {
      DemoCommand.class,
      UpCommand.class,
      BrokerCommand.class,
      TopicsCommand.class,
      PublishCommand.class,
      DatasetsCommand.class,
      EdgeCommand.class,
      BenchCommand.class,
      WorkerCommand.class,
      TrainCommand.class,
      StreamsCommand.class,
      SubmitCommand.class,
      StatusCommand.class,
      TrialsCommand.class,
      CancelCommand.class,
      QuantizeCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(Main.class);

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Runs the CLI and returns its exit code (0 ok, 1 failed, 2 bad usage). */
  public static int execute(String... args) {
    CommandLine cli = new CommandLine(new Main());
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          PrintWriter err = commandLine.getErr();
          if (e instanceof BadInputException
              || e instanceof DatasetUnavailableException
              || e instanceof IllegalArgumentException
              || e instanceof KafkaUnavailableException
              || e instanceof UserException) {
            err.println("error: " + e.getMessage());
            log.debug("failed", e);
          } else {
            err.println("error: " + e);
            log.error("command failed", e);
          }
          err.flush();
          return 1;
        });
    return cli.execute(args);
  }

  public static void main(String[] args) {
    int code = execute(args);
    // Non-daemon threads of a command that returned (Kafka clients, the broker) must not hold the
    // JVM up.
    System.exit(code);
  }
}
