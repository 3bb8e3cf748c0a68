package io.streamforge.training.worker;

import io.streamforge.arrowio.dataset.DatasetUnavailableException;
import io.streamforge.arrowio.dataset.KafkaClients;
import io.streamforge.arrowio.models.ModelArtifacts;
import io.streamforge.arrowio.models.ModelRegistry;
import io.streamforge.schemas.Topics;
import io.streamforge.schemas.records.ControlCommand;
import io.streamforge.schemas.records.ControlCommand.Action;
import io.streamforge.schemas.records.MetricPoint;
import io.streamforge.schemas.records.ModelEvent;
import io.streamforge.schemas.records.TrainingJob;
import io.streamforge.schemas.records.TrainingJob.TaskType;
import io.streamforge.training.Provenance;
import io.streamforge.training.core.EpochSummary;
import io.streamforge.training.core.GivenPreprocessing;
import io.streamforge.training.core.JobTrainer;
import io.streamforge.training.core.TrainingListener;
import io.streamforge.training.core.TrainingResult;
import io.streamforge.training.core.UnusableJobException;
import io.streamforge.training.data.BatchFeed;
import io.streamforge.training.data.KafkaBatchFeed;
import io.streamforge.training.onnx.OnnxExporter;
import io.streamforge.training.onnx.OnnxParity;
import io.streamforge.training.onnx.ParityException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one job end to end: the dataset from Kafka, training, ONNX export, the parity check, then
 * the artifact on {@code model.artifacts} and a {@code REGISTERED} event on {@code models}.
 */
public final class JobRunner {
  private static final Logger log = LoggerFactory.getLogger(JobRunner.class);
  public static final String VARIANT = "fp32";
  public static final String FORMAT = "onnx";

  private final KafkaClients clients;
  private final Producer<String, byte[]> producer;
  private final BufferAllocator allocator;
  private final JobTrainer trainer;

  /**
   * The registered model.
   *
   * @param event the registry event
   * @param parity the parity check's report
   */
  public record Outcome(ModelEvent event, OnnxParity.Report parity) {}

  public JobRunner(
      KafkaClients clients,
      Producer<String, byte[]> producer,
      BufferAllocator allocator,
      JobTrainer trainer) {
    this.clients = clients;
    this.producer = producer;
    this.allocator = allocator;
    this.trainer = trainer;
  }

  /**
   * @throws UnusableJobException for a job that cannot run (fails fast, before training)
   * @throws ParityException when the export does not match the trained network
   */
  public Outcome run(TrainingJob job, TrainingListener extra) {
    return run(job, extra, HandBack.NEVER);
  }

  /**
   * Runs the job unless {@code handBack} is requested first: then the job stops at its next step
   * boundary after writing a checkpoint (or at once while it is still scanning its data or skipping
   * to its checkpoint's position, where there is nothing new to save) and nothing is exported.
   *
   * @throws UnusableJobException for a job that cannot run (fails fast, before training)
   * @throws ParityException when the export does not match the trained network
   * @throws JobHandedBackException when the job stopped because {@code handBack} was requested
   */
  public Outcome run(TrainingJob job, TrainingListener extra, HandBack handBack) {
    if (job.model() == null || job.model().isBlank()) {
      throw new UnusableJobException("model name is missing");
    }
    if (job.dataset() == null || job.dataset().isBlank()) {
      throw new UnusableJobException("dataset is missing");
    }
    if (job.label() == null || job.label().isBlank()) {
      throw new UnusableJobException("label column is missing");
    }
    JobTrainer.validate(job);
    if (handBack.requested()) {
      throw new JobHandedBackException(job.jobId(), handBack.reason() + " (before it started)");
    }
    Integer version = job.datasetVersion() > 0 ? job.datasetVersion() : null;
    KafkaBatchFeed feed;
    try {
      feed =
          new KafkaBatchFeed(
              clients,
              job.dataset(),
              version,
              job.features(),
              job.label(),
              GivenPreprocessing.of(job).categories(),
              allocator,
              4);
    } catch (DatasetUnavailableException | IllegalArgumentException e) {
      throw new UnusableJobException(e.getMessage(), e);
    }
    try (feed) {
      MetricsPublisher metrics = new MetricsPublisher(producer, job.jobId());
      // no step trained in this run yet: a hand-back stops the feed itself (the scan, or the
      // skip to the checkpoint's position), as the trainer polls for control after steps only
      AtomicBoolean stepped = new AtomicBoolean();
      AtomicBoolean feedStopped = new AtomicBoolean();
      AtomicBoolean stopAsked = new AtomicBoolean();
      feed.stopWhen(
          () -> {
            if (!stepped.get() && handBack.requested()) {
              feedStopped.set(true);
              return true;
            }
            return false;
          });
      TrainingListener listener =
          new TrainingListener() {
            @Override
            public void metrics(List<MetricPoint> m) {
              metrics.metrics(m);
              extra.metrics(m);
            }

            @Override
            public void epochEnd(EpochSummary s) {
              extra.epochEnd(s);
            }

            @Override
            public List<ControlCommand> pollControl() {
              stepped.set(true);
              List<ControlCommand> commands = extra.pollControl();
              if (handBack.requested() && stopAsked.compareAndSet(false, true)) {
                // checkpoint first, then stop: the trainer acts on them in that order
                List<ControlCommand> all = new ArrayList<>(commands);
                String why = "handed back to the group: " + handBack.reason();
                Instant now = Instant.now();
                all.add(
                    new ControlCommand(job.jobId(), Action.CHECKPOINT, null, why, "worker", now));
                all.add(new ControlCommand(job.jobId(), Action.STOP, null, why, "worker", now));
                return all;
              }
              return commands;
            }
          };
      TrainingResult result;
      try {
        result = trainer.train(job, feed, listener, new KafkaCheckpointStore(clients, producer));
      } catch (RuntimeException e) {
        if (feedStopped.get()) {
          throw new JobHandedBackException(
              job.jobId(), handBack.reason() + " (while reading its data, before any step)");
        }
        throw e;
      }
      if (stopAsked.get() && "control".equals(result.stoppedBy())) {
        throw new JobHandedBackException(
            job.jobId(), handBack.reason() + " (after a checkpoint at its last step)");
      }
      producer.flush();
      Exported exported = export(job, feed, feed.manifest().version(), result);
      byte[] onnx = exported.onnx();
      OnnxParity.Report parity = exported.parity();
      int modelVersion =
          ModelRegistry.claimVersion(clients, producer, job.model(), VARIANT, job.jobId());
      int partitions = partitions(Topics.MODEL_ARTIFACTS.name());
      String sha =
          ModelArtifacts.publish(producer, partitions, job.model(), modelVersion, VARIANT, onnx);
      Map<String, Double> m = new java.util.TreeMap<>(result.metrics());
      m.put("parity_max_abs_diff", parity.maxAbsDiff());
      ModelEvent event =
          new ModelEvent(
              job.model(),
              modelVersion,
              VARIANT,
              FORMAT,
              ModelEvent.ModelStatus.REGISTERED,
              sha,
              onnx.length,
              Map.copyOf(m),
              null,
              job.jobId(),
              "trained on " + feed.describe() + ", stopped by " + result.stoppedBy(),
              Instant.now());
      send(
          Topics.MODELS.name(),
          event.key(),
          Topics.MODELS.valueSerde().serializer().serialize(Topics.MODELS.name(), event));
      log.info(
          "job {}: registered {} ({} bytes, sha256 {}), metrics {}",
          job.jobId(),
          event.key(),
          onnx.length,
          sha,
          result.metrics());
      return new Outcome(event, parity);
    }
  }

  /**
   * An exported model.
   *
   * @param onnx the ONNX bytes, with provenance
   * @param parity its parity check against the trainer's outputs (passed)
   */
  public record Exported(byte[] onnx, OnnxParity.Report parity) {}

  /**
   * The fp32 ONNX model of a training result with its provenance, checked against the trainer's own
   * outputs: what a worker registers (and what quantization benchmarks start from).
   *
   * @throws ParityException when the export does not match the trained network
   */
  public static Exported export(
      TrainingJob job, BatchFeed feed, int datasetVersion, TrainingResult result) {
    boolean classification = job.task() == TaskType.CLASSIFICATION;
    byte[] onnx =
        OnnxExporter.export(
            result.weights(),
            result.preprocessing(),
            classification,
            job.model(),
            Provenance.streamforgeVersion(),
            Provenance.of(job, feed.describe(), datasetVersion, feed.contentHash(), result));
    OnnxParity.Report parity =
        OnnxParity.check(onnx, result.preprocessing(), classification, result.valOutputs());
    if (!parity.passed()) {
      throw new ParityException(
          "ONNX export of job "
              + job.jobId()
              + " does not match the trained network on "
              + parity.rows()
              + " validation rows: max abs diff "
              + parity.maxAbsDiff()
              + " (limit "
              + OnnxParity.TOLERANCE
              + "), "
              + parity.argmaxMismatches()
              + " rows with another class");
    }
    return new Exported(onnx, parity);
  }

  private int partitions(String topic) {
    return producer.partitionsFor(topic).size();
  }

  private void send(String topic, String key, byte[] value) {
    try {
      producer.send(new ProducerRecord<>(topic, key, value)).get(60, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted sending to " + topic, e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot send to " + topic + ": " + e.getMessage(), e);
    }
  }
}
