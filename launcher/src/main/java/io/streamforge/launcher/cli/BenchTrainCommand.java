package io.streamforge.launcher.cli;

import io.streamforge.arrowio.dataset.DatasetPublisher;
import io.streamforge.arrowio.dataset.KafkaClients;
import io.streamforge.arrowio.synthetic.SyntheticBatchSource;
import io.streamforge.launcher.broker.EmbeddedBroker;
import io.streamforge.schemas.TopicAdmin;
import io.streamforge.schemas.Topics;
import io.streamforge.schemas.arrow.Allocators;
import io.streamforge.schemas.records.DatasetManifest;
import io.streamforge.schemas.records.TrainingJob;
import io.streamforge.training.JobSpecs;
import io.streamforge.training.core.EpochSummary;
import io.streamforge.training.core.JobTrainer;
import io.streamforge.training.core.Preprocessing;
import io.streamforge.training.core.TrainingListener;
import io.streamforge.training.data.BatchFeed;
import io.streamforge.training.data.KafkaBatchFeed;
import io.streamforge.training.data.TensorBatch;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.arrow.memory.BufferAllocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import reactor.core.publisher.Flux;

/**
 * {@code streamforge bench train}: the same training job fed from Kafka and from the same batches
 * preloaded in memory, in one run: epoch times, their ratio, the share of step time spent waiting
 * for data, and samples per second.
 */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description = {
      "Trains the same MLP job twice on a synthetic dataset published to an embedded broker: fed"
          + " from Kafka, then from the same batches preloaded in memory; prints epoch times,"
          + " their ratio, data-wait share and samples/s."
    })
public final class BenchTrainCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(BenchTrainCommand.class);

  @Option(
      names = "--rows",
      defaultValue = "100000",
      description = "Rows (default ${DEFAULT-VALUE}).")
  int rows;

  @Option(
      names = "--features",
      defaultValue = "64",
      description = "Features (default ${DEFAULT-VALUE}).")
  int features;

  @Option(
      names = "--hidden",
      split = ",",
      defaultValue = "256,256",
      description = "Hidden sizes (default ${DEFAULT-VALUE}).")
  List<Integer> hidden;

  @Option(
      names = "--classes",
      defaultValue = "10",
      description = "Classes (default ${DEFAULT-VALUE}).")
  int classes;

  @Option(
      names = "--batch-size",
      defaultValue = "256",
      description = "Training batch size (default ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(
      names = "--epochs",
      defaultValue = "5",
      description = "Epochs per run (default ${DEFAULT-VALUE}).")
  int epochs;

  @Override
  public Integer call() throws Exception {
    log.info(
        "configuration: rows={}, features={}, model {}-{}-{}, batch {}, epochs {}",
        rows,
        features,
        features,
        hidden,
        classes,
        batchSize,
        epochs);
    Path dir = Files.createTempDirectory("streamforge-bench-train-");
    try (EmbeddedBroker broker = EmbeddedBroker.start(dir, 0, 0, Map.of());
        BufferAllocator allocator = Allocators.child("bench-train")) {
      KafkaClients clients = KafkaClients.of(broker.bootstrapServers());
      TopicAdmin.ensure(clients.admin(), Topics.ALL);
      DatasetManifest m =
          new DatasetPublisher(clients)
              .publish(
                  h -> new SyntheticBatchSource(allocator, rows, features, classes, 8_192, 7),
                  "synthetic",
                  DatasetPublisher.Options.defaults("bench-train").withLabel("label"),
                  DatasetPublisher.Progress.NONE)
              .manifest();
      TrainingJob defaults =
          JobSpecs.defaults(
              "bench",
              "bench",
              m.dataset(),
              m.version(),
              "label",
              TrainingJob.TaskType.CLASSIFICATION);
      TrainingJob job =
          new TrainingJob(
              defaults.jobId(),
              null,
              null,
              defaults.model(),
              defaults.dataset(),
              defaults.datasetVersion(),
              defaults.label(),
              defaults.features(),
              defaults.task(),
              null,
              new TrainingJob.Architecture("mlp", hidden, "relu", 0.0, false, Map.of()),
              defaults.optimizer(),
              batchSize,
              epochs,
              defaults.seed(),
              defaults.validationFraction(),
              0,
              "cpu",
              Map.of(),
              defaults.submittedAt());

      Run kafka;
      Run memory;
      try (KafkaBatchFeed feed =
          new KafkaBatchFeed(clients, m.dataset(), m.version(), null, "label", allocator, 4)) {
        Preprocessing prep =
            Preprocessing.scan(feed, job.task(), job.validationFraction(), feed.labelColumn());
        List<TensorBatch> batches = feed.epoch().collectList().block();
        try (BatchFeed preloaded = new Preloaded(feed, batches)) {
          // Warm-up (JIT, PyTorch's allocator), not measured: one epoch from memory.
          run("warm-up", withEpochs(job, 1), preloaded, prep);
          kafka = run("fed from Kafka", job, feed, prep);
          memory = run("preloaded in memory", job, preloaded, prep);
        }
      }
      System.out.printf(
          "%n%-22s %16s %14s %16s %12s%n",
          "run", "epoch s (median)", "epochs (s)", "data wait share", "samples/s");
      for (Run r : List.of(kafka, memory)) {
        System.out.printf(
            Locale.ROOT,
            "%-22s %16.3f %14s %15.1f%% %,12.0f%n",
            r.name(),
            r.medianEpochSeconds(),
            Arrays.toString(
                Arrays.stream(r.epochSeconds()).map(s -> Math.round(s * 1000) / 1000.0).toArray()),
            100 * r.dataWaitShare(),
            r.samplesPerSecond());
      }
      System.out.printf(
          Locale.ROOT,
          "epoch-time ratio Kafka / in-memory: %.3f%n",
          kafka.medianEpochSeconds() / memory.medianEpochSeconds());
    } finally {
      try (var paths = Files.walk(dir)) {
        paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    return 0;
  }

  private static TrainingJob withEpochs(TrainingJob j, int epochs) {
    return new TrainingJob(
        j.jobId(),
        j.workflowId(),
        j.trialId(),
        j.model(),
        j.dataset(),
        j.datasetVersion(),
        j.label(),
        j.features(),
        j.task(),
        j.preprocessing(),
        j.architecture(),
        j.optimizer(),
        j.batchSize(),
        epochs,
        j.seed(),
        j.validationFraction(),
        j.patience(),
        j.device(),
        j.params(),
        j.submittedAt());
  }

  /** One training run's per-epoch figures. */
  record Run(String name, double[] epochSeconds, double dataWaitShare, double samplesPerSecond) {
    double medianEpochSeconds() {
      double[] s = epochSeconds.clone();
      Arrays.sort(s);
      return s[s.length / 2];
    }
  }

  private static Run run(String name, TrainingJob job, BatchFeed feed, Preprocessing prep) {
    List<EpochSummary> epochs = new ArrayList<>();
    new JobTrainer()
        .train(
            job,
            feed,
            prep,
            new TrainingListener() {
              @Override
              public void epochEnd(EpochSummary summary) {
                epochs.add(summary);
              }
            });
    double[] seconds = epochs.stream().mapToDouble(e -> e.metrics().get("epoch_time_s")).toArray();
    double wait = epochs.stream().mapToDouble(e -> e.metrics().get("data_wait_s")).sum();
    double total = Arrays.stream(seconds).sum();
    double samples =
        epochs.stream()
            .mapToDouble(e -> e.metrics().get("samples_per_s"))
            .sorted()
            .toArray()[epochs.size() / 2];
    log.info("{}: epochs {} s, data wait {} s", name, Arrays.toString(seconds), wait);
    return new Run(name, seconds, wait / total, samples);
  }

  /** The same batches, held in memory: the data path's cost removed. */
  private record Preloaded(BatchFeed source, List<TensorBatch> batches) implements BatchFeed {
    @Override
    public List<String> featureColumns() {
      return source.featureColumns();
    }

    @Override
    public String labelColumn() {
      return source.labelColumn();
    }

    @Override
    public String contentHash() {
      return source.contentHash();
    }

    @Override
    public String describe() {
      return source.describe() + " (preloaded)";
    }

    @Override
    public Flux<TensorBatch> epoch() {
      return Flux.fromIterable(batches);
    }

    @Override
    public void close() {}
  }
}
