package io.streamforge.launcher.cli;

import io.streamforge.training.core.JobTrainer;
import io.streamforge.training.worker.TrainingWorker;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code streamforge worker}: a training worker in the consumer group on training.jobs. */
@Command(
    name = "worker",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a training worker: takes jobs from training.jobs one at a time (as a member of a"
          + " consumer group), trains with DJL, exports ONNX, registers the model.",
      "Stops after the current job on Ctrl-C / SIGTERM."
    })
public final class WorkerCommand implements Callable<Integer> {
  @Mixin ConnectionOptions connection;

  @Option(
      names = "--group",
      defaultValue = TrainingWorker.DEFAULT_GROUP,
      description = "Consumer group of the workers (default ${DEFAULT-VALUE}).")
  String group;

  @Override
  public Integer call() throws Exception {
    TrainingWorker worker = new TrainingWorker(connection.clients(), group, new JobTrainer());
    Thread main = Thread.currentThread();
    Thread hook =
        new Thread(
            () -> {
              worker.close();
              try {
                main.join(60_000);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "worker-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    System.err.printf("worker: %s, group %s%n", connection.describe(), group);
    worker.run();
    return 0;
  }
}
