package io.streamforge.launcher.cli;

import io.streamforge.training.core.JobTrainer;
import io.streamforge.training.worker.TrainingWorker;
import java.util.ArrayList;
import java.util.List;
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

  @Option(
      names = "--concurrency",
      defaultValue = "1",
      description =
          "Jobs this process runs at once, each on its own group member (default ${DEFAULT-VALUE})."
              + " Above 1, jobs share the engine's random seed, so runs are no longer"
              + " reproducible.")
  int concurrency;

  @Override
  public Integer call() throws Exception {
    if (concurrency < 1) {
      throw new IllegalArgumentException("--concurrency must be at least 1");
    }
    List<TrainingWorker> workers = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < concurrency; i++) {
      TrainingWorker w = new TrainingWorker(connection.clients(), group, new JobTrainer());
      workers.add(w);
      threads.add(new Thread(w, "training-worker-" + i));
    }
    Thread hook =
        new Thread(
            () -> {
              workers.forEach(TrainingWorker::close);
              for (Thread t : threads) {
                try {
                  t.join(60_000);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              }
            },
            "worker-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    System.err.printf(
        "worker: %s, group %s, %d job(s) at a time%n", connection.describe(), group, concurrency);
    java.util.concurrent.atomic.AtomicReference<Throwable> died =
        new java.util.concurrent.atomic.AtomicReference<>();
    for (Thread t : threads) {
      t.setUncaughtExceptionHandler(
          (thread, e) -> {
            died.compareAndSet(null, e);
            org.slf4j.LoggerFactory.getLogger(WorkerCommand.class)
                .error("{} died", thread.getName(), e);
          });
    }
    threads.forEach(Thread::start);
    for (Thread t : threads) {
      t.join();
    }
    if (died.get() != null) {
      System.err.println("worker: a worker thread died: " + died.get());
      return 1;
    }
    return 0;
  }
}
