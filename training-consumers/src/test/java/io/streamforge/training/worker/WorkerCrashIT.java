package io.streamforge.training.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamforge.arrowio.dataset.KafkaClients;
import io.streamforge.arrowio.models.ModelRegistry;
import io.streamforge.schemas.records.ModelEvent;
import io.streamforge.schemas.records.TrainingJob;
import io.streamforge.testkit.Datasets;
import io.streamforge.testkit.SharedKafka;
import io.streamforge.training.core.JobTrainer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A worker in a JVM of its own is killed with SIGKILL in the middle of a job, or stopped with
 * SIGTERM; another worker of the group resumes the job from its last checkpoint, and exactly one
 * model is registered.
 */
@ExtendWith(SharedKafka.class)
class WorkerCrashIT {
  @Test
  void aKilledWorkersJobIsResumedFromItsCheckpointAndRegisteredOnce(SharedKafka.Cluster cluster)
      throws Exception {
    KafkaClients clients = KafkaClients.of(cluster.bootstrapServers());
    String dataset = cluster.uniqueName("breast-cancer");
    TrainingWorkerIT.clients = clients;
    TrainingWorkerIT.publish(clients, dataset, Datasets.file("breast_cancer.csv"));
    String group = cluster.uniqueName("crash-workers");
    String model = "crash-" + UUID.randomUUID().toString().substring(0, 8);
    TrainingJob job = TrainingWorkerIT.job(model, dataset, 40);

    Process first = startWorkerJvm(cluster.bootstrapServers(), group);
    TrainingWorker second = null;
    Thread secondThread = null;
    try {
      TrainingWorkerIT.submit(job);
      // wait until the first worker has finished (and checkpointed) two epochs
      TrainingWorkerIT.awaitEpochs(job.jobId(), 2, Duration.ofSeconds(120));
      first.destroyForcibly(); // SIGKILL
      assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(first.exitValue()).isEqualTo(137);
      assertThat(ModelRegistry.load(clients).events(model)).as("nothing registered yet").isEmpty();

      second =
          new TrainingWorker(
              clients,
              group,
              new JobTrainer(),
              Map.of(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 6000));
      secondThread = new Thread(second, "second-worker");
      secondThread.start();
      JobStatus end = TrainingWorkerIT.awaitEnd(job.jobId());
      assertThat(end.state()).as("%s", end.reason()).isEqualTo(JobStatus.State.SUCCEEDED);
      assertThat(end.metrics().get("resumed_at_epoch")).isGreaterThanOrEqualTo(3.0);
      assertThat(end.metrics().get("epochs_run")).isEqualTo(40.0);
      assertThat(end.metrics().get("val_accuracy")).isGreaterThanOrEqualTo(0.95);
      List<ModelEvent> events = ModelRegistry.load(clients).events(model);
      assertThat(events).hasSize(1);
      assertThat(events.get(0).jobId()).isEqualTo(job.jobId());
    } finally {
      first.destroyForcibly();
      if (second != null) {
        second.close();
        secondThread.join(30_000);
      }
    }
  }

  @Test
  void aWorkerStoppedWithSigtermHandsItsJobBackAndAnotherResumesIt(SharedKafka.Cluster cluster)
      throws Exception {
    KafkaClients clients = KafkaClients.of(cluster.bootstrapServers());
    String dataset = cluster.uniqueName("iris-sigterm");
    TrainingWorkerIT.clients = clients;
    TrainingWorkerIT.publish(clients, dataset, Datasets.file("iris.csv"));
    String group = WorkerRebalanceIT.newGroupAtTheEnd("sigterm");
    String model = "sigterm-" + UUID.randomUUID().toString().substring(0, 8);
    // ends only when told to: what happens when never depends on the machine's speed
    TrainingJob job = TrainingWorkerIT.job(model, dataset, 1_000_000);

    Path log = Path.of("target", "worker-sigterm-" + UUID.randomUUID() + ".log");
    Process first = startWorkerJvm(cluster.bootstrapServers(), group, log);
    TrainingWorker second = null;
    Thread secondThread = null;
    try {
      TrainingWorkerIT.submit(job);
      TrainingWorkerIT.awaitEpochs(job.jobId(), 2, Duration.ofSeconds(120));
      first.destroy(); // SIGTERM: the shutdown hook hands the job back
      assertThat(first.waitFor(150, TimeUnit.SECONDS)).isTrue();
      assertThat(first.exitValue()).isEqualTo(143);
      String out = java.nio.file.Files.readString(log);
      assertThat(out)
          .contains("job " + job.jobId() + " at training.jobs-")
          .contains("handed back (the worker is shutting down)")
          .contains("stopped after 0 job(s), 1 handed back");
      assertThat(ModelRegistry.load(clients).events(model)).as("nothing registered yet").isEmpty();
      assertThat(WorkerRebalanceIT.statuses(job.jobId()))
          .as("a hand-back is not a failure")
          .isNotEmpty()
          .allMatch(s -> s.state() == JobStatus.State.RUNNING);

      second =
          new TrainingWorker(
              clients,
              group,
              new JobTrainer(),
              Map.of(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 6000));
      secondThread = new Thread(second, "second-worker");
      secondThread.start();
      TrainingWorker resumer = second;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (!resumer.runningJobs().containsValue(job.jobId()) && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(resumer.runningJobs()).containsValue(job.jobId());
      WorkerRebalanceIT.stop(job.jobId());
      JobStatus end = TrainingWorkerIT.awaitEnd(job.jobId());
      assertThat(end.state()).as("%s", end.reason()).isEqualTo(JobStatus.State.SUCCEEDED);
      assertThat(end.worker()).isEqualTo(second.name());
      assertThat(end.metrics().get("resumed_at_epoch")).isGreaterThanOrEqualTo(3.0);
      List<ModelEvent> events = ModelRegistry.load(clients).events(model);
      assertThat(events).hasSize(1);
      assertThat(events.get(0).jobId()).isEqualTo(job.jobId());
    } finally {
      first.destroyForcibly();
      WorkerRebalanceIT.stop(job.jobId());
      if (second != null) {
        second.close();
        secondThread.join(30_000);
      }
    }
  }

  private static Process startWorkerJvm(String bootstrap, String group) throws Exception {
    return startWorkerJvm(
        bootstrap, group, Path.of("target", "worker-crash-" + UUID.randomUUID() + ".log"));
  }

  private static Process startWorkerJvm(String bootstrap, String group, Path log) throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> cmd = new ArrayList<>();
    cmd.add(java.toString());
    cmd.add("--add-opens=java.base/java.nio=ALL-UNNAMED");
    cmd.add("-Xmx1g");
    cmd.add("-Dai.djl.offline=true");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(TrainingWorker.class.getName());
    cmd.add(bootstrap);
    cmd.add(group);
    cmd.add("6000");
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }
}
