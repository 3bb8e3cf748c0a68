package io.streamforge.training.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamforge.arrowio.dataset.KafkaClients;
import io.streamforge.arrowio.models.ModelRegistry;
import io.streamforge.schemas.Topics;
import io.streamforge.schemas.records.AgentMessage;
import io.streamforge.schemas.records.ControlCommand;
import io.streamforge.schemas.records.ModelEvent;
import io.streamforge.schemas.records.TrainingJob;
import io.streamforge.testkit.Datasets;
import io.streamforge.testkit.SharedKafka;
import io.streamforge.training.core.JobTrainer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Workers whose consumer keeps polling while jobs run: a worker joining the group gets its
 * partitions while a long job runs elsewhere and runs a job of its own meanwhile; a revoked
 * partition's running job checkpoints, goes back to the group uncommitted and is resumed by the new
 * owner (one model); a worker with two slots runs two jobs at once.
 *
 * <p>"Long" jobs here have far more epochs than any test waits for: they end only when the test
 * sends them {@code STOP}, so what ran before what never depends on the machine's speed.
 */
@ExtendWith(SharedKafka.class)
class WorkerRebalanceIT {
  private static final int ENDLESS = 1_000_000;
  private static final Duration PATIENCE = Duration.ofSeconds(180);
  private static String iris;
  private final List<TrainingWorker> workers = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private final List<String> longJobs = new ArrayList<>();

  @BeforeAll
  static void publish() throws Exception {
    SharedKafka.Cluster cluster = SharedKafka.cluster();
    KafkaClients clients = clients();
    iris = cluster.uniqueName("iris-rebalance");
    TrainingWorkerIT.clients = clients;
    TrainingWorkerIT.publish(clients, iris, Datasets.file("iris.csv"));
  }

  /** The shared cluster's clients (also for the helpers other tests use). */
  static KafkaClients clients() {
    return KafkaClients.of(SharedKafka.cluster().bootstrapServers());
  }

  @AfterEach
  void stopEverything() throws Exception {
    // a long job left unregistered would train on in the groups of later tests
    for (String job : longJobs) {
      if (!ended(job)) {
        stop(job);
        try {
          TrainingWorkerIT.awaitEnd(job);
        } catch (AssertionError e) {
          System.err.println("long job " + job + " did not end: " + e.getMessage());
        }
      }
    }
    for (TrainingWorker w : workers) {
      w.close();
    }
    for (Thread t : threads) {
      t.join(TimeUnit.SECONDS.toMillis(60));
      assertThat(t.isAlive()).as("%s stopped", t.getName()).isFalse();
    }
  }

  @Test
  void aJoiningWorkerGetsPartitionsAndRunsAJobWhileALongJobRunsElsewhere() throws Exception {
    String group = newGroupAtTheEnd("join");
    TrainingWorker first = start(group, 1, Map.of());
    await(
        "the first worker holds every partition", () -> first.assignment().size() == partitions());
    TrainingJob longJob = TrainingWorkerIT.job(model("long"), iris, ENDLESS);
    longJobs.add(longJob.jobId());
    TrainingWorkerIT.submit(longJob);
    await("the long job runs", () -> first.runningJobs().containsValue(longJob.jobId()));
    awaitEpochs(longJob.jobId(), 1);

    // two slots: whether or not the long job's partition moves to it, it has a free one
    TrainingWorker second = start(group, 2, Map.of());
    await("the second worker gets partitions", () -> !second.assignment().isEmpty());
    assertThat(ended(longJob.jobId())).as("the long job is still running").isFalse();
    await(
        "the group settles: every partition owned once, the long job running",
        () -> {
          Set<TopicPartition> a = first.assignment();
          Set<TopicPartition> b = second.assignment();
          Set<TopicPartition> all = new HashSet<>(a);
          all.addAll(b);
          return all.size() == partitions()
              && a.size() + b.size() == partitions()
              && (first.runningJobs().containsValue(longJob.jobId())
                  || second.runningJobs().containsValue(longJob.jobId()));
        });

    TrainingJob quick = TrainingWorkerIT.job(model("quick"), iris, 3);
    // a partition of the second worker other than the long job's: jobs of one partition run one
    // after another, so one queued behind the endless job would never start
    Set<TopicPartition> longJobsPartition = new HashSet<>();
    for (TrainingWorker w : List.of(first, second)) {
      w.runningJobs()
          .forEach(
              (tp, job) -> {
                if (job.equals(longJob.jobId())) {
                  longJobsPartition.add(tp);
                }
              });
    }
    TopicPartition target =
        second.assignment().stream()
            .filter(tp -> !longJobsPartition.contains(tp))
            .min(java.util.Comparator.comparingInt(TopicPartition::partition))
            .orElseThrow(() -> new AssertionError("the second worker holds only the long job's"));
    submit(quick, target.partition());
    JobStatus quickEnd = TrainingWorkerIT.awaitEnd(quick.jobId());
    assertThat(quickEnd.state()).as("%s", quickEnd.reason()).isEqualTo(JobStatus.State.SUCCEEDED);
    assertThat(quickEnd.worker()).isEqualTo(second.name());
    assertThat(ended(longJob.jobId()))
        .as("the long job has not ended when the new worker's job is done")
        .isFalse();

    stop(longJob.jobId());
    JobStatus longEnd = TrainingWorkerIT.awaitEnd(longJob.jobId());
    assertThat(longEnd.state()).as("%s", longEnd.reason()).isEqualTo(JobStatus.State.SUCCEEDED);
    assertThat(registered(longJob)).hasSize(1);
    assertThat(statuses(longJob.jobId())).noneMatch(s -> s.state() == JobStatus.State.FAILED);
  }

  @Test
  void aRevokedRunningJobIsCheckpointedHandedBackAndResumedByTheNewOwner() throws Exception {
    String group = newGroupAtTheEnd("revoke");
    // eager range assignment with static member names: any rebalance revokes every partition, and
    // "b" then owns the upper half, so the last partition moves from "a" to "b"
    TrainingWorker a = start(group, 1, eager("a"));
    await("a holds every partition", () -> a.assignment().size() == partitions());
    TrainingJob job = TrainingWorkerIT.job(model("revoked"), iris, ENDLESS);
    longJobs.add(job.jobId());
    int last = partitions() - 1;
    submit(job, last);
    await("a runs the job", () -> a.runningJobs().containsValue(job.jobId()));
    awaitEpochs(job.jobId(), 2); // checkpoints exist

    TrainingWorker b = start(group, 1, eager("b"));
    await("a hands the job back", () -> a.jobsHandedBack() == 1);
    await("b resumes the job", () -> b.runningJobs().containsValue(job.jobId()));
    assertThat(b.assignment()).contains(new TopicPartition(Topics.TRAINING_JOBS.name(), last));
    assertThat(a.runningJobs()).isEmpty();
    assertThat(registered(job)).as("nothing registered by the hand-back").isEmpty();

    stop(job.jobId());
    JobStatus end = TrainingWorkerIT.awaitEnd(job.jobId());
    assertThat(end.state()).as("%s", end.reason()).isEqualTo(JobStatus.State.SUCCEEDED);
    assertThat(end.worker()).isEqualTo(b.name());
    assertThat(end.metrics().get("resumed_at_epoch"))
        .as("resumed from a checkpoint, not from epoch 1")
        .isGreaterThanOrEqualTo(2.0);
    List<ModelEvent> models = registered(job);
    assertThat(models).hasSize(1);
    assertThat(models.get(0).jobId()).isEqualTo(job.jobId());
    List<JobStatus> seen = statuses(job.jobId());
    assertThat(seen).noneMatch(s -> s.state() == JobStatus.State.FAILED);
    assertThat(seen)
        .filteredOn(s -> s.state() == JobStatus.State.RUNNING)
        .extracting(JobStatus::worker)
        .containsExactly(a.name(), b.name());
  }

  @Test
  void aWorkerWithTwoSlotsRunsTwoJobsAtOnce() throws Exception {
    String group = newGroupAtTheEnd("slots");
    TrainingWorker w = start(group, 2, Map.of());
    await("the worker holds every partition", () -> w.assignment().size() == partitions());
    TrainingJob one = TrainingWorkerIT.job(model("one"), iris, ENDLESS);
    TrainingJob two = TrainingWorkerIT.job(model("two"), iris, ENDLESS);
    longJobs.add(one.jobId());
    longJobs.add(two.jobId());
    submit(one, 0);
    submit(two, 1);
    await(
        "both jobs run at the same moment",
        () -> w.runningJobs().values().containsAll(List.of(one.jobId(), two.jobId())));
    awaitEpochs(one.jobId(), 1);
    awaitEpochs(two.jobId(), 1);
    assertThat(ended(one.jobId()) || ended(two.jobId())).isFalse();

    // a third job waits for a free slot: its partition is not even fetched meanwhile
    TrainingJob three = TrainingWorkerIT.job(model("three"), iris, 2);
    submit(three, 2);
    stop(one.jobId());
    JobStatus oneEnd = TrainingWorkerIT.awaitEnd(one.jobId());
    JobStatus threeEnd = TrainingWorkerIT.awaitEnd(three.jobId());
    assertThat(oneEnd.state()).as("%s", oneEnd.reason()).isEqualTo(JobStatus.State.SUCCEEDED);
    assertThat(threeEnd.state()).as("%s", threeEnd.reason()).isEqualTo(JobStatus.State.SUCCEEDED);
    assertThat(ended(two.jobId())).as("the third job ran beside the second").isFalse();
    stop(two.jobId());
    assertThat(TrainingWorkerIT.awaitEnd(two.jobId()).state()).isEqualTo(JobStatus.State.SUCCEEDED);
    for (TrainingJob j : List.of(one, two, three)) {
      assertThat(registered(j)).as(j.model()).hasSize(1);
    }
  }

  // --- helpers

  private TrainingWorker start(String group, int slots, Map<String, Object> overrides) {
    Map<String, Object> config = new HashMap<>(overrides);
    config.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 6000);
    TrainingWorker w = new TrainingWorker(clients(), group, new JobTrainer(), slots, config);
    Thread t = new Thread(w, "worker-" + workers.size());
    workers.add(w);
    threads.add(t);
    t.start();
    return w;
  }

  private static Map<String, Object> eager(String instance) {
    return Map.of(
        ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
        RangeAssignor.class.getName(),
        ConsumerConfig.GROUP_INSTANCE_ID_CONFIG,
        instance);
  }

  /**
   * A new group whose offsets start at the end of {@code training.jobs}: the jobs other tests left
   * on the shared topic are not run again.
   */
  static String newGroupAtTheEnd(String name) throws Exception {
    String group = SharedKafka.cluster().uniqueName("rebalance-" + name);
    try (Admin admin = Admin.create(clients().admin())) {
      io.streamforge.schemas.TopicAdmin.ensure(admin, Topics.ALL);
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      for (int p = 0; p < partitions(); p++) {
        latest.put(new TopicPartition(Topics.TRAINING_JOBS.name(), p), OffsetSpec.latest());
      }
      Map<TopicPartition, OffsetAndMetadata> ends = new HashMap<>();
      admin
          .listOffsets(latest)
          .all()
          .get(30, TimeUnit.SECONDS)
          .forEach((tp, info) -> ends.put(tp, new OffsetAndMetadata(info.offset())));
      admin.alterConsumerGroupOffsets(group, ends).all().get(30, TimeUnit.SECONDS);
    }
    return group;
  }

  private static int partitions() {
    return Topics.TRAINING_JOBS.partitions();
  }

  private static String model(String what) {
    return "rebalance-" + what + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static void submit(TrainingJob job, int partition) throws Exception {
    String topic = Topics.TRAINING_JOBS.name();
    try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(clients().producer("test-submit"))) {
      p.send(
              new ProducerRecord<>(
                  topic,
                  partition,
                  job.jobId(),
                  Topics.TRAINING_JOBS.valueSerde().serializer().serialize(topic, job)))
          .get(30, TimeUnit.SECONDS);
    }
  }

  static void stop(String jobId) throws Exception {
    String topic = Topics.TRAINING_CONTROL.name();
    ControlCommand stop =
        new ControlCommand(
            jobId, ControlCommand.Action.STOP, null, "test over", "test", Instant.now());
    try (KafkaProducer<String, byte[]> p =
        new KafkaProducer<>(clients().producer("test-control"))) {
      p.send(
              new ProducerRecord<>(
                  topic,
                  jobId,
                  Topics.TRAINING_CONTROL.valueSerde().serializer().serialize(topic, stop)))
          .get(30, TimeUnit.SECONDS);
    }
  }

  /** Waits until {@code condition} holds; fails after a generous deadline (a hang, not a speed). */
  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("never happened: " + what);
      }
      Thread.sleep(50);
    }
  }

  private static void awaitEpochs(String jobId, int epochs) {
    TrainingWorkerIT.awaitEpochs(jobId, epochs, PATIENCE);
  }

  /** Every status of the job on {@code agent.messages} so far (read to the end offsets). */
  static List<JobStatus> statuses(String jobId) {
    String topic = Topics.AGENT_MESSAGES.name();
    List<JobStatus> out = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(clients().consumer("test-status"))) {
      List<TopicPartition> parts =
          c.partitionsFor(topic).stream()
              .map(p -> new TopicPartition(topic, p.partition()))
              .toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts);
      long deadline = System.nanoTime() + PATIENCE.toNanos();
      while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("cannot read " + topic + " to its end");
        }
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(100))) {
          if (r.value() != null) {
            AgentMessage m =
                Topics.AGENT_MESSAGES.valueSerde().deserializer().deserialize(topic, r.value());
            JobStatus s = JobStatus.from(m);
            if (s != null && s.jobId().equals(jobId)) {
              out.add(s);
            }
          }
        }
      }
    }
    return out;
  }

  private static boolean ended(String jobId) {
    return statuses(jobId).stream().anyMatch(s -> s.state() != JobStatus.State.RUNNING);
  }

  static List<ModelEvent> registered(TrainingJob job) {
    return ModelRegistry.load(clients()).events(job.model()).stream()
        .filter(e -> Objects.equals(e.jobId(), job.jobId()))
        .filter(e -> e.status() == ModelEvent.ModelStatus.REGISTERED)
        .toList();
  }
}
