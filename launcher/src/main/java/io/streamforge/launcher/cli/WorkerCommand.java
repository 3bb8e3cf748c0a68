package io.streamforge.launcher.cli;

import io.streamforge.training.core.JobTrainer;
import io.streamforge.training.worker.TrainingWorker;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code streamforge worker}: a training worker, one member of the consumer group on training.jobs
 * with {@code --jobs} job slots. Its consumer keeps polling while jobs run, so rebalances are not
 * held up by long jobs; on SIGTERM the running jobs checkpoint and go back to the group.
 */
@Command(
    name = "worker",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a training worker: a member of the consumer group on training.jobs that runs up to"
          + " --jobs jobs at a time, trains with DJL, exports ONNX, registers the model.",
      "On Ctrl-C / SIGTERM, running jobs write a checkpoint at their next step and go back to the"
          + " group uncommitted (another worker, or this one restarted, resumes them)."
    })
public final class WorkerCommand implements Callable<Integer> {
  @Mixin ConnectionOptions connection;

  @Option(
      names = "--group",
      defaultValue = TrainingWorker.DEFAULT_GROUP,
      description = "Consumer group of the workers (default ${DEFAULT-VALUE}).")
  String group;

  @Option(
      names = {"--jobs", "--concurrency"},
      paramLabel = "N",
      defaultValue = "${env:" + TrainingWorker.JOBS_ENV + ":-1}",
      description =
          "Job slots: jobs this worker runs at once (env "
              + TrainingWorker.JOBS_ENV
              + "; default ${DEFAULT-VALUE}). Jobs running at once share the engine's random seed,"
              + " so above 1 they are not reproducible. --concurrency is the old name.")
  int jobs;

  @Override
  public Integer call() throws Exception {
    if (jobs < 1) {
      throw new IllegalArgumentException("--jobs must be at least 1, was " + jobs);
    }
    TrainingWorker worker =
        new TrainingWorker(connection.clients(), group, new JobTrainer(), jobs, Map.of());
    Thread thread = new Thread(worker, "training-worker");
    Runtime.getRuntime().addShutdownHook(new Thread(worker::close, "worker-shutdown"));
    System.err.printf(
        "worker: %s, group %s, %d job slot(s) (%s), poll every %d ms, max.poll.interval %d s,"
            + " hand-back timeout %d s%n",
        connection.describe(),
        group,
        jobs,
        TrainingWorker.JOBS_ENV,
        TrainingWorker.POLL_INTERVAL.toMillis(),
        TrainingWorker.MAX_POLL_INTERVAL.toSeconds(),
        TrainingWorker.HAND_BACK_TIMEOUT.toSeconds());
    AtomicReference<Throwable> died = new AtomicReference<>();
    thread.setUncaughtExceptionHandler(
        (t, e) -> {
          died.set(e);
          org.slf4j.LoggerFactory.getLogger(WorkerCommand.class).error("{} died", t.getName(), e);
        });
    thread.start();
    thread.join();
    if (died.get() != null) {
      System.err.println("worker: the worker thread died: " + died.get());
      return 1;
    }
    return 0;
  }
}
