package io.streamforge.training.worker;

import io.streamforge.arrowio.dataset.KafkaClients;
import io.streamforge.arrowio.models.ModelRegistry;
import io.streamforge.schemas.KafkaUnavailableException;
import io.streamforge.schemas.TopicAdmin;
import io.streamforge.schemas.Topics;
import io.streamforge.schemas.records.AgentMessage;
import io.streamforge.schemas.records.ControlCommand;
import io.streamforge.schemas.records.ModelEvent;
import io.streamforge.schemas.records.TrainingJob;
import io.streamforge.training.core.JobTrainer;
import io.streamforge.training.core.TrainingListener;
import io.streamforge.training.core.UnusableJobException;
import io.streamforge.training.ensemble.EnsembleRunner;
import io.streamforge.training.quant.QuantizationReport;
import io.streamforge.training.quant.QuantizeRunner;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A training worker: one member of the consumer group on {@code training.jobs}, running up to
 * {@code jobs} jobs at a time.
 *
 * <p>The consumer thread never trains: it polls every {@link #POLL_INTERVAL} (so the group's
 * rebalances, a worker joining or leaving, go through in moments whatever the jobs' length) and
 * hands each job record to a bounded pool of job slots. A partition whose job runs is paused, and
 * so is every partition while all slots are busy, so no record is fetched that could not start. A
 * job's offset is committed once the job has ended (registered or failed), one job per partition at
 * a time, so offsets are committed in order and a worker that dies mid-job leaves the job to the
 * group.
 *
 * <p>When a partition is revoked while its job runs (a rebalance moves it to another member), and
 * when the worker is closed (SIGTERM), the job is handed back ({@link HandBack}): it writes a
 * checkpoint at its next step boundary and stops without exporting; its offset is not committed and
 * no status is sent, so the partition's next owner resumes it from that checkpoint. The consumer
 * thread waits for that (at most {@link #HAND_BACK_TIMEOUT}) before the partition moves on. A job
 * that ends while its partition is being revoked is committed then. Partitions are assigned with
 * the cooperative sticky assignor, so a rebalance revokes only the partitions that move.
 *
 * <p>A job whose model is already registered (a redelivery after a crash between registering and
 * committing, or a hand-back that came too late) is not trained again, and versions are claimed
 * before use ({@link ModelRegistry#claimVersion}), so a job registers exactly one model. Every
 * job's status goes to {@code agent.messages}; a job that cannot run fails fast with its reason and
 * the slot takes the next. A job whose {@code params} say {@code kind=quantize} is a quantization
 * job for a registered version ({@link QuantizeRunner}), one with {@code kind=ensemble} an
 * ensembling job over registered versions ({@link EnsembleRunner}), instead of a training job;
 * those have no step boundaries and run to their end when handed back.
 */
public final class TrainingWorker implements Runnable, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TrainingWorker.class);
  public static final String DEFAULT_GROUP = "streamforge-training-workers";

  /** Environment variable read by {@code streamforge worker} for its number of job slots. */
  public static final String JOBS_ENV = "STREAMFORGE_WORKER_JOBS";

  /** Job slots of a worker unless told otherwise. */
  public static final int DEFAULT_JOBS = 1;

  /** How long one poll of {@code training.jobs} waits: the worker's reaction time. */
  public static final Duration POLL_INTERVAL = Duration.ofMillis(200);

  /**
   * {@code max.poll.interval.ms}: the consumer thread polls all the time, so minutes are plenty; it
   * bounds how long a rebalance can wait for this worker.
   */
  public static final Duration MAX_POLL_INTERVAL = Duration.ofMinutes(5);

  /**
   * How long a revoked or closing worker waits for a job to hand itself back (a training job stops
   * within a step; one still scanning its data stops at its next batch; quantization and ensembling
   * run to their end). Below {@link #MAX_POLL_INTERVAL}, so the worker stays in the group.
   */
  public static final Duration HAND_BACK_TIMEOUT = Duration.ofMinutes(2);

  /** A job the platform failed around (Kafka unreachable) is read again after this. */
  static final Duration RETRY_DELAY = Duration.ofSeconds(5);

  private static final AtomicInteger INSTANCES = new AtomicInteger();

  private final KafkaClients clients;
  private final String groupId;
  private final String name;
  private final JobTrainer trainer;
  private final int slots;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicInteger jobsDone = new AtomicInteger();
  private final AtomicInteger jobsHandedBack = new AtomicInteger();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final Map<String, Object> consumerOverrides;

  /** Jobs in the slots, by partition (written by the consumer thread). */
  private final Map<TopicPartition, Running> active = new ConcurrentHashMap<>();

  /** Jobs that did not hand themselves back in time: still in a slot, partition gone. */
  private final List<Running> orphans = new CopyOnWriteArrayList<>();

  /** Partitions whose job is read again later (consumer thread only): nanoTime to resume at. */
  private final Map<TopicPartition, Long> retryAt = new HashMap<>();

  private volatile Set<TopicPartition> assignment = Set.of();
  private volatile KafkaConsumer<String, byte[]> consumer;
  private volatile Thread runThread;

  /** How a job left its slot. */
  private enum Ending {
    /** Ended (registered, or failed with its status sent): commit its offset. */
    DONE,
    /** The platform failed around it: read it again after {@link #RETRY_DELAY}. */
    RETRY,
    /** Handed back to the group: not committed, resumed by the partition's next owner. */
    HANDED_BACK
  }

  /** A job record in a slot. */
  private static final class Running {
    final TopicPartition partition;
    final long offset;
    final String jobId;
    final HandBack handBack = new HandBack();
    final FutureTask<Ending> task;

    Running(ConsumerRecord<String, byte[]> r, java.util.function.Function<Running, Ending> body) {
      this.partition = new TopicPartition(r.topic(), r.partition());
      this.offset = r.offset();
      this.jobId = r.key() == null ? "offset-" + r.offset() : r.key();
      this.task = new FutureTask<>(() -> body.apply(this));
    }
  }

  public TrainingWorker(KafkaClients clients, String groupId, JobTrainer trainer) {
    this(clients, groupId, trainer, DEFAULT_JOBS, Map.of());
  }

  /**
   * @param consumerOverrides settings of the job consumer, e.g. a shorter {@code
   *     session.timeout.ms} so that the group notices a dead worker sooner
   */
  public TrainingWorker(
      KafkaClients clients,
      String groupId,
      JobTrainer trainer,
      Map<String, Object> consumerOverrides) {
    this(clients, groupId, trainer, DEFAULT_JOBS, consumerOverrides);
  }

  /**
   * @param jobs job slots: how many jobs this worker runs at once (jobs running at once share the
   *     engine's global random seed, so above 1 they are not reproducible)
   * @param consumerOverrides settings of the job consumer, e.g. a shorter {@code
   *     session.timeout.ms} so that the group notices a dead worker sooner
   */
  public TrainingWorker(
      KafkaClients clients,
      String groupId,
      JobTrainer trainer,
      int jobs,
      Map<String, Object> consumerOverrides) {
    if (jobs < 1) {
      throw new IllegalArgumentException("a worker needs at least 1 job slot, was " + jobs);
    }
    this.consumerOverrides = Map.copyOf(consumerOverrides);
    this.clients = clients;
    this.groupId = groupId;
    this.trainer = trainer;
    this.slots = jobs;
    int n = INSTANCES.incrementAndGet();
    this.name = hostName() + "-" + ProcessHandle.current().pid() + (n > 1 ? "-" + n : "");
  }

  /** The worker's name, as in job statuses. */
  public String name() {
    return name;
  }

  /** Job slots: how many jobs run at once at most. */
  public int jobSlots() {
    return slots;
  }

  /** Jobs ended so far (succeeded or failed). */
  public int jobsDone() {
    return jobsDone.get();
  }

  /** Jobs handed back to the group so far (partition revoked, or the worker closing). */
  public int jobsHandedBack() {
    return jobsHandedBack.get();
  }

  /** The partitions of {@code training.jobs} this worker holds now. */
  public Set<TopicPartition> assignment() {
    return assignment;
  }

  /** The jobs running now, by the partition they came from (job ids are the records' keys). */
  public Map<TopicPartition, String> runningJobs() {
    Map<TopicPartition, String> out = new HashMap<>();
    active.forEach((tp, r) -> out.put(tp, r.jobId));
    return Map.copyOf(out);
  }

  @Override
  public void run() {
    runThread = Thread.currentThread();
    try {
      try (Admin admin = Admin.create(clients.admin())) {
        TopicAdmin.ensure(admin, Topics.ALL);
      }
      poll();
    } finally {
      log.info(
          "worker {} stopped after {} job(s), {} handed back",
          name,
          jobsDone.get(),
          jobsHandedBack.get());
      stopped.countDown();
    }
  }

  private void poll() {
    Map<String, Object> config = clients.consumer("streamforge-worker-" + name);
    config.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1);
    config.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, (int) MAX_POLL_INTERVAL.toMillis());
    // a rebalance revokes only the partitions that move, so other running jobs go on
    config.put(
        ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
        CooperativeStickyAssignor.class.getName());
    config.putAll(consumerOverrides);
    try (BufferAllocator allocator = new RootAllocator();
        KafkaProducer<String, byte[]> producer =
            new KafkaProducer<>(clients.producer("streamforge-worker-" + name));
        KafkaConsumer<String, byte[]> jobs = new KafkaConsumer<>(config)) {
      consumer = jobs;
      JobRunner runner = new JobRunner(clients, producer, allocator, trainer);
      QuantizeRunner quantizer = new QuantizeRunner(clients, producer, allocator);
      EnsembleRunner ensembler = new EnsembleRunner(clients, producer, allocator);
      AtomicInteger threads = new AtomicInteger();
      ExecutorService pool =
          Executors.newFixedThreadPool(
              slots,
              task -> {
                Thread t = new Thread(task, "training-job-" + threads.incrementAndGet());
                t.setDaemon(true);
                return t;
              });
      String why = "the worker is shutting down";
      try {
        jobs.subscribe(List.of(Topics.TRAINING_JOBS.name()), new Rebalance(jobs));
        log.info(
            "worker {} waiting for jobs on {} (group {}, {} job slot(s))",
            name,
            Topics.TRAINING_JOBS.name(),
            groupId,
            slots);
        while (running.get()) {
          reap(jobs);
          pauseOrResume(jobs);
          for (ConsumerRecord<String, byte[]> r : jobs.poll(POLL_INTERVAL)) {
            take(r, jobs, pool, runner, quantizer, ensembler, producer);
          }
          assignment = Set.copyOf(jobs.assignment());
        }
      } catch (WakeupException e) {
        if (running.get()) {
          why = "the worker failed: " + e;
          throw e;
        }
      } catch (RuntimeException e) {
        why = "the worker failed: " + e;
        throw e;
      } finally {
        try {
          handBack(jobs, List.copyOf(active.keySet()), why, true);
          awaitOrphans();
        } catch (RuntimeException e) {
          log.warn("worker {}: handing back its jobs failed: {}", name, e.toString());
        }
        stopPool(pool);
        consumer = null;
      }
    }
  }

  /** Starts a job in a free slot, or leaves its record to be read again. */
  private void take(
      ConsumerRecord<String, byte[]> r,
      KafkaConsumer<String, byte[]> jobs,
      ExecutorService pool,
      JobRunner runner,
      QuantizeRunner quantizer,
      EnsembleRunner ensembler,
      Producer<String, byte[]> producer) {
    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
    if (!running.get() || busy(tp) || slotsInUse() >= slots) {
      jobs.seek(tp, r.offset()); // not startable now (paused too late): read it again later
      jobs.pause(List.of(tp));
      return;
    }
    Running job = new Running(r, j -> runJob(r, j, runner, quantizer, ensembler, producer));
    active.put(tp, job);
    jobs.pause(List.of(tp));
    pool.execute(job.task);
  }

  private Ending runJob(
      ConsumerRecord<String, byte[]> r,
      Running job,
      JobRunner runner,
      QuantizeRunner quantizer,
      EnsembleRunner ensembler,
      Producer<String, byte[]> producer) {
    try {
      handle(r, job.handBack, runner, quantizer, ensembler, producer);
      return Ending.DONE;
    } catch (JobHandedBackException e) {
      return Ending.HANDED_BACK;
    } catch (RuntimeException e) {
      // Failures of the job itself are reported inside handle(); what gets here is the platform
      // failing around it (the registry or status topic unreachable): retry the job later rather
      // than lose it or stop the worker.
      log.error(
          "job {} at {}@{} could not be handled; reading it again in {} s",
          job.jobId,
          job.partition,
          job.offset,
          RETRY_DELAY.toSeconds(),
          e);
      return Ending.RETRY;
    }
  }

  /** Commits the jobs that ended, sets retried ones back; frees their slots. */
  private void reap(KafkaConsumer<String, byte[]> jobs) {
    for (Running job : List.copyOf(active.values())) {
      if (job.task.isDone()) {
        active.remove(job.partition);
        finish(job, jobs, true);
      }
    }
    for (Running job : orphans) {
      if (job.task.isDone()) {
        orphans.remove(job);
        log.info("job {} (given up on after its partition moved) has left its slot", job.jobId);
      }
    }
  }

  /** What to do once a job has left its slot. */
  private void finish(Running job, KafkaConsumer<String, byte[]> jobs, boolean owned) {
    Ending ending;
    try {
      ending = job.task.get();
    } catch (ExecutionException e) {
      log.error("job {} at {}@{} died", job.jobId, job.partition, job.offset, e.getCause());
      ending = Ending.RETRY;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      ending = Ending.RETRY;
    } catch (java.util.concurrent.CancellationException e) {
      ending = Ending.RETRY;
    }
    switch (ending) {
      case DONE -> {
        jobsDone.incrementAndGet();
        if (owned) {
          commit(jobs, job.partition, job.offset + 1);
        }
      }
      case RETRY -> {
        if (owned) {
          jobs.seek(job.partition, job.offset);
          retryAt.put(job.partition, System.nanoTime() + RETRY_DELAY.toNanos());
        }
      }
      case HANDED_BACK -> {
        jobsHandedBack.incrementAndGet();
        if (owned) {
          jobs.seek(job.partition, job.offset);
        }
        log.info(
            "job {} at {}@{} handed back ({}): checkpointed and stopped, offset not committed;"
                + " the partition's next owner resumes it from its checkpoint",
            job.jobId,
            job.partition,
            job.offset,
            job.handBack.reason());
      }
    }
  }

  /**
   * Asks the jobs of {@code partitions} to hand themselves back and waits for them (at most {@link
   * #HAND_BACK_TIMEOUT} in all); those that ended meanwhile are committed when {@code owned}.
   */
  private void handBack(
      KafkaConsumer<String, byte[]> jobs,
      Collection<TopicPartition> partitions,
      String why,
      boolean owned) {
    List<Running> going = new ArrayList<>();
    for (TopicPartition tp : partitions) {
      Running job = active.remove(tp);
      if (job != null) {
        going.add(job);
      }
      retryAt.remove(tp);
    }
    for (Running job : going) {
      if (!job.task.isDone()) {
        log.info(
            "job {} at {}: {}; asking it to checkpoint and stop", job.jobId, job.partition, why);
      }
      job.handBack.request(why);
    }
    long deadline = System.nanoTime() + HAND_BACK_TIMEOUT.toNanos();
    for (Running job : going) {
      try {
        job.task.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        log.warn(
            "job {} did not stop within {} s of being handed back ({}); it goes on in its slot"
                + " and its partition moves on: the next owner may run it at the same time (the"
                + " registry still keeps one model per job)",
            job.jobId,
            HAND_BACK_TIMEOUT.toSeconds(),
            why);
        orphans.add(job);
        continue;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        orphans.add(job);
        continue;
      } catch (ExecutionException | java.util.concurrent.CancellationException e) {
        // reported by finish()
      }
      finish(job, jobs, owned);
    }
  }

  private void awaitOrphans() {
    long deadline = System.nanoTime() + HAND_BACK_TIMEOUT.toNanos();
    for (Running job : orphans) {
      try {
        job.task.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (ExecutionException
          | TimeoutException
          | java.util.concurrent.CancellationException e) {
        // nothing more to do for it
      }
    }
  }

  private void stopPool(ExecutorService pool) {
    pool.shutdown();
    try {
      if (!pool.awaitTermination(HAND_BACK_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        log.warn("worker {}: jobs still running at shutdown are interrupted", name);
        pool.shutdownNow();
        pool.awaitTermination(30, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      pool.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  /** Pauses the partitions that must not deliver a job now, resumes the others. */
  private void pauseOrResume(KafkaConsumer<String, byte[]> jobs) {
    long now = System.nanoTime();
    retryAt.values().removeIf(at -> at <= now);
    boolean full = slotsInUse() >= slots || !running.get();
    List<TopicPartition> pause = new ArrayList<>();
    List<TopicPartition> resume = new ArrayList<>();
    for (TopicPartition tp : jobs.assignment()) {
      if (full || busy(tp) || retryAt.containsKey(tp)) {
        pause.add(tp);
      } else {
        resume.add(tp);
      }
    }
    jobs.pause(pause);
    jobs.resume(resume);
  }

  private boolean busy(TopicPartition tp) {
    return active.containsKey(tp) || orphans.stream().anyMatch(o -> o.partition.equals(tp));
  }

  private int slotsInUse() {
    return active.size() + orphans.size();
  }

  /** Hands back the jobs of revoked or lost partitions; pauses new ones while slots are full. */
  private final class Rebalance implements ConsumerRebalanceListener {
    private final KafkaConsumer<String, byte[]> jobs;

    Rebalance(KafkaConsumer<String, byte[]> jobs) {
      this.jobs = jobs;
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      if (partitions.isEmpty()) {
        return;
      }
      handBack(
          jobs,
          partitions,
          running.get()
              ? "its partition was revoked (rebalance of group " + groupId + ")"
              : "the worker is shutting down",
          true);
      Set<TopicPartition> left = new HashSet<>(jobs.assignment());
      left.removeAll(partitions);
      assignment = Set.copyOf(left);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      if (partitions.isEmpty()) {
        return;
      }
      // another member may own them already: stop, commit nothing
      handBack(
          jobs, partitions, "its partition was lost (this worker fell out of the group)", false);
      assignment = Set.of();
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      assignment = Set.copyOf(jobs.assignment());
      if (!partitions.isEmpty()) {
        log.info("worker {} got partitions {}", name, partitions);
      }
      pauseOrResume(jobs);
    }
  }

  private void handle(
      ConsumerRecord<String, byte[]> r,
      HandBack handBack,
      JobRunner runner,
      QuantizeRunner quantizer,
      EnsembleRunner ensembler,
      Producer<String, byte[]> producer) {
    TrainingJob job;
    try {
      job = Topics.TRAINING_JOBS.valueSerde().deserializer().deserialize(r.topic(), r.value());
    } catch (RuntimeException e) {
      String id = r.key() == null ? "offset-" + r.offset() : r.key();
      status(
          producer,
          id,
          new JobStatus(
              id,
              JobStatus.State.FAILED,
              "the job record cannot be read: " + e.getMessage(),
              null,
              null,
              null,
              null,
              name));
      return;
    }
    String key = job.workflowId() != null ? job.workflowId() : job.jobId();
    if (QuantizeRunner.isQuantizeJob(job)) {
      quantize(job, key, quantizer, producer);
      return;
    }
    if (EnsembleRunner.isEnsembleJob(job)) {
      ensemble(job, key, ensembler, producer);
      return;
    }
    Optional<ModelEvent> done =
        ModelRegistry.load(clients).events(job.model() == null ? "" : job.model()).stream()
            .filter(e -> job.jobId().equals(e.jobId()))
            .filter(e -> e.status() != ModelEvent.ModelStatus.FAILED)
            .findFirst();
    if (done.isPresent()) {
      log.info(
          "job {} already registered {}; not training it again", job.jobId(), done.get().key());
      status(producer, key, succeeded(job, done.get()));
      return;
    }
    status(
        producer,
        key,
        new JobStatus(
            job.jobId(), JobStatus.State.RUNNING, null, job.model(), null, null, null, name));
    log.info(
        "job {}: training model {} on {} v{}",
        job.jobId(),
        job.model(),
        job.dataset(),
        job.datasetVersion());
    try (ControlChannel control =
        new ControlChannel(clients, job.jobId(), Duration.ofMillis(200), job.submittedAt())) {
      JobRunner.Outcome outcome =
          runner.run(
              job,
              new TrainingListener() {
                @Override
                public List<ControlCommand> pollControl() {
                  return control.poll();
                }
              },
              handBack);
      status(producer, key, succeeded(job, outcome.event()));
    } catch (JobHandedBackException | KafkaUnavailableException e) {
      throw e;
    } catch (UnusableJobException e) {
      log.warn("job {} refused: {}", job.jobId(), e.getMessage());
      status(producer, key, failed(job, null, e.getMessage()));
    } catch (RuntimeException e) {
      log.error("job {} failed", job.jobId(), e);
      status(
          producer, key, failed(job, null, e.getClass().getSimpleName() + ": " + e.getMessage()));
    }
  }

  /**
   * A quantization job: its variants made, judged and published (those already registered for the
   * version are not made again, so a redelivered job publishes nothing twice). Kafka being
   * unreachable is the platform's failure and goes back to the caller, which retries the job.
   */
  private void quantize(
      TrainingJob job, String key, QuantizeRunner quantizer, Producer<String, byte[]> producer) {
    Integer version = null;
    try {
      version = Integer.valueOf(job.params().getOrDefault("version", "").trim());
    } catch (NumberFormatException e) {
      // reported by the runner with the reason
    }
    status(
        producer,
        key,
        new JobStatus(
            job.jobId(), JobStatus.State.RUNNING, null, job.model(), version, null, null, name));
    log.info(
        "job {}: quantizing model {} v{} ({})", job.jobId(), job.model(), version, job.params());
    try {
      QuantizeRunner.Outcome o = quantizer.run(job);
      long accepted =
          o.report().variants().stream().filter(QuantizationReport.Row::accepted).count();
      Map<String, Double> m = new java.util.TreeMap<>();
      m.put("variants", (double) o.report().variants().size());
      m.put("variants_accepted", (double) accepted);
      m.put("variants_rejected", (double) (o.report().variants().size() - accepted));
      m.put("variants_published", (double) o.published().size());
      m.put("variants_already_registered", (double) o.alreadyRegistered().size());
      log.info("job {}: {}", job.jobId(), o.report().toText());
      status(
          producer,
          key,
          new JobStatus(
              job.jobId(),
              JobStatus.State.SUCCEEDED,
              null,
              job.model(),
              version,
              null,
              Map.copyOf(m),
              name,
              o.report().toJson()));
    } catch (KafkaUnavailableException e) {
      throw e;
    } catch (UnusableJobException e) {
      log.warn("job {} refused: {}", job.jobId(), e.getMessage());
      status(producer, key, failed(job, version, e.getMessage()));
    } catch (RuntimeException e) {
      log.error("job {} failed", job.jobId(), e);
      status(
          producer,
          key,
          failed(job, version, e.getClass().getSimpleName() + ": " + e.getMessage()));
    }
  }

  /**
   * An ensembling job: members evaluated, the ensemble judged against the best of them and, when
   * better, registered as a new version of the job's model. A redelivered job whose ensemble is
   * already registered reports that version without registering again. Kafka being unreachable is
   * the platform's failure and goes back to the caller, which retries the job.
   */
  private void ensemble(
      TrainingJob job, String key, EnsembleRunner ensembler, Producer<String, byte[]> producer) {
    status(
        producer,
        key,
        new JobStatus(
            job.jobId(), JobStatus.State.RUNNING, null, job.model(), null, null, null, name));
    log.info("job {}: ensembling into model {} ({})", job.jobId(), job.model(), job.params());
    try {
      EnsembleRunner.Outcome o = ensembler.run(job);
      ModelEvent e = o.event();
      status(
          producer,
          key,
          new JobStatus(
              job.jobId(),
              JobStatus.State.SUCCEEDED,
              null,
              job.model(),
              e == null ? null : e.version(),
              e == null ? null : e.sha256(),
              o.metrics(),
              name,
              o.report().toJson()));
    } catch (KafkaUnavailableException e) {
      throw e;
    } catch (UnusableJobException e) {
      log.warn("job {} refused: {}", job.jobId(), e.getMessage());
      status(producer, key, failed(job, null, e.getMessage()));
    } catch (RuntimeException e) {
      log.error("job {} failed", job.jobId(), e);
      status(
          producer, key, failed(job, null, e.getClass().getSimpleName() + ": " + e.getMessage()));
    }
  }

  private JobStatus failed(TrainingJob job, Integer version, String reason) {
    return new JobStatus(
        job.jobId(), JobStatus.State.FAILED, reason, job.model(), version, null, null, name);
  }

  private JobStatus succeeded(TrainingJob job, ModelEvent e) {
    return new JobStatus(
        job.jobId(),
        JobStatus.State.SUCCEEDED,
        null,
        e.model(),
        e.version(),
        e.sha256(),
        e.metrics(),
        name);
  }

  private void status(Producer<String, byte[]> producer, String key, JobStatus s) {
    AgentMessage m = s.toMessage(key);
    String topic = Topics.AGENT_MESSAGES.name();
    try {
      producer
          .send(
              new ProducerRecord<>(
                  topic, key, Topics.AGENT_MESSAGES.valueSerde().serializer().serialize(topic, m)))
          .get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      log.warn("status of job {} not sent: {}", s.jobId(), e.getMessage());
    }
  }

  /**
   * Runs a worker until SIGTERM: {@code TrainingWorker BOOTSTRAP GROUP [SESSION_TIMEOUT_MS [JOBS]]}
   * (jobs: else {@value #JOBS_ENV}, else 1). On SIGTERM its running jobs are handed back (see the
   * class comment) before the JVM exits. The launcher's {@code streamforge worker} is the usual
   * way; this entry point lets tests start a worker in a JVM of its own.
   */
  public static void main(String[] args) {
    Map<String, Object> overrides =
        args.length > 2 ? Map.of(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, args[2]) : Map.of();
    String jobs = args.length > 3 ? args[3] : System.getenv(JOBS_ENV);
    TrainingWorker w =
        new TrainingWorker(
            KafkaClients.of(args[0]),
            args[1],
            new JobTrainer(),
            jobs == null || jobs.isBlank() ? DEFAULT_JOBS : Integer.parseInt(jobs.trim()),
            overrides);
    Runtime.getRuntime().addShutdownHook(new Thread(w::close, "worker-shutdown"));
    w.run();
  }

  /**
   * Commits a finished job's offset. A shutdown request wakes the consumer up; the wake-up may hit
   * this commit, which is then made again so the finished job is not trained twice. A commit the
   * group refuses (this member was evicted meanwhile) is logged: the job comes again, and the
   * registry check answers it without training.
   */
  private void commit(KafkaConsumer<String, byte[]> jobs, TopicPartition tp, long next) {
    Map<TopicPartition, OffsetAndMetadata> offsets = Map.of(tp, new OffsetAndMetadata(next));
    try {
      try {
        jobs.commitSync(offsets);
      } catch (WakeupException e) {
        jobs.commitSync(offsets);
      }
    } catch (CommitFailedException | RebalanceInProgressException e) {
      log.warn("worker {}: offset {} of {} not committed: {}", name, next, tp, e.getMessage());
    }
  }

  /**
   * Stops taking jobs and hands the running ones back (each checkpoints and stops at its next
   * step), then leaves the group. Called from another thread, waits until {@link #run} has returned
   * (at most {@link #HAND_BACK_TIMEOUT} and a little more).
   */
  @Override
  public void close() {
    running.set(false);
    KafkaConsumer<String, byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
    Thread t = runThread;
    if (t != null && t != Thread.currentThread()) {
      try {
        if (!stopped.await(HAND_BACK_TIMEOUT.toSeconds() + 30, TimeUnit.SECONDS)) {
          log.warn("worker {} did not stop in time", name);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      return "worker";
    }
  }
}
