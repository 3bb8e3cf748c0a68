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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A training worker: a member of a consumer group on {@code training.jobs} that runs one job at a
 * time. A job's offset is committed once the job has ended (registered or failed), so a worker that
 * dies mid-job leaves it to the group. A job whose model is already registered (a redelivery after
 * a crash between registering and committing) is not trained again. Every job's status goes to
 * {@code agent.messages}; a job that cannot run fails fast with its reason and the worker takes the
 * next. A job whose {@code params} say {@code kind=quantize} is a quantization job for a registered
 * version ({@link QuantizeRunner}), one with {@code kind=ensemble} an ensembling job over
 * registered versions ({@link EnsembleRunner}), instead of a training job.
 */
public final class TrainingWorker implements Runnable, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TrainingWorker.class);
  public static final String DEFAULT_GROUP = "streamforge-training-workers";

  private final KafkaClients clients;
  private final String groupId;
  private final String name;
  private final JobTrainer trainer;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicInteger jobsDone = new AtomicInteger();
  private volatile KafkaConsumer<String, byte[]> consumer;

  private final Map<String, Object> consumerOverrides;

  public TrainingWorker(KafkaClients clients, String groupId, JobTrainer trainer) {
    this(clients, groupId, trainer, Map.of());
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
    this.consumerOverrides = Map.copyOf(consumerOverrides);
    this.clients = clients;
    this.groupId = groupId;
    this.trainer = trainer;
    this.name = hostName() + "-" + ProcessHandle.current().pid();
  }

  /** Jobs ended so far (succeeded or failed). */
  public int jobsDone() {
    return jobsDone.get();
  }

  @Override
  public void run() {
    try (Admin admin = Admin.create(clients.admin())) {
      TopicAdmin.ensure(admin, Topics.ALL);
    }
    Map<String, Object> config = clients.consumer("streamforge-worker-" + name);
    config.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1);
    // a job runs between two polls: allow long jobs before the group moves it elsewhere
    config.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, (int) Duration.ofHours(4).toMillis());
    config.putAll(consumerOverrides);
    try (BufferAllocator allocator = new RootAllocator();
        KafkaProducer<String, byte[]> producer =
            new KafkaProducer<>(clients.producer("streamforge-worker-" + name));
        KafkaConsumer<String, byte[]> jobs = new KafkaConsumer<>(config)) {
      consumer = jobs;
      JobRunner runner = new JobRunner(clients, producer, allocator, trainer);
      QuantizeRunner quantizer = new QuantizeRunner(clients, producer, allocator);
      EnsembleRunner ensembler = new EnsembleRunner(clients, producer, allocator);
      jobs.subscribe(List.of(Topics.TRAINING_JOBS.name()));
      log.info(
          "worker {} waiting for jobs on {} (group {})",
          name,
          Topics.TRAINING_JOBS.name(),
          groupId);
      while (running.get()) {
        for (ConsumerRecord<String, byte[]> r : jobs.poll(Duration.ofMillis(500))) {
          TopicPartition tp = new TopicPartition(r.topic(), r.partition());
          try {
            handle(r, runner, quantizer, ensembler, producer);
          } catch (RuntimeException e) {
            // Failures of the job itself are reported inside handle(); what gets here is the
            // platform failing around it (the registry or status topic unreachable): retry the
            // job later rather than lose it or stop the worker.
            log.error("job at {}@{} could not be handled; retrying in 5 s", tp, r.offset(), e);
            jobs.seek(tp, r.offset());
            sleepQuietly(Duration.ofSeconds(5));
            break;
          }
          commit(jobs, tp, r.offset() + 1);
          jobsDone.incrementAndGet();
          if (!running.get()) {
            break;
          }
        }
      }
    } catch (WakeupException e) {
      if (running.get()) {
        throw e;
      }
    } finally {
      log.info("worker {} stopped after {} job(s)", name, jobsDone.get());
    }
  }

  private void handle(
      ConsumerRecord<String, byte[]> r,
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
        new ControlChannel(clients, job.jobId(), Duration.ofMillis(200))) {
      JobRunner.Outcome outcome =
          runner.run(
              job,
              new TrainingListener() {
                @Override
                public List<ControlCommand> pollControl() {
                  return control.poll();
                }
              });
      status(producer, key, succeeded(job, outcome.event()));
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
   * Runs a worker until SIGTERM: {@code TrainingWorker BOOTSTRAP GROUP [SESSION_TIMEOUT_MS]}. The
   * launcher's {@code streamforge worker} is the usual way; this entry point lets tests start a
   * worker in a JVM of its own.
   */
  public static void main(String[] args) {
    Map<String, Object> overrides =
        args.length > 2 ? Map.of(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, args[2]) : Map.of();
    TrainingWorker w =
        new TrainingWorker(KafkaClients.of(args[0]), args[1], new JobTrainer(), overrides);
    Runtime.getRuntime().addShutdownHook(new Thread(w::close, "worker-shutdown"));
    w.run();
  }

  /**
   * Commits a finished job's offset. A shutdown request wakes the consumer up; the wake-up may hit
   * this commit, which is then made again so the finished job is not trained twice.
   */
  private static void commit(KafkaConsumer<String, byte[]> jobs, TopicPartition tp, long next) {
    Map<TopicPartition, OffsetAndMetadata> offsets = Map.of(tp, new OffsetAndMetadata(next));
    try {
      jobs.commitSync(offsets);
    } catch (WakeupException e) {
      jobs.commitSync(offsets);
    }
  }

  private static void sleepQuietly(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Stops after the current job (or at once when idle). */
  @Override
  public void close() {
    running.set(false);
    KafkaConsumer<String, byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
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
