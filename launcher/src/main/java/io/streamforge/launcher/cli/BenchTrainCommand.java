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
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
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
 * for data, samples per second and the process's CPU time per epoch.
 *
 * <p>One training run whose epochs alternate between the two feeds in pairs, in ABBA order (Kafka
 * then memory, memory then Kafka, ...), after warm-up pairs that are not measured: both feeds train
 * the same network at the same point of the run, and a drift of the machine's speed (JIT, other
 * processes) falls on both sides alike instead of on whichever went first. The ratio reported is
 * the median of the pairs' ratios. Every Kafka epoch reads the whole dataset from the broker again;
 * the preloaded batches were read from it once, before the run.
 */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description = {
      "Trains one MLP job on a synthetic dataset published to an embedded broker, its epochs"
          + " alternating (ABBA pairs) between a feed from Kafka and the same batches preloaded"
          + " in memory; prints epoch times, their ratio, data-wait share, samples/s and CPU"
          + " seconds per epoch."
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
      defaultValue = "16",
      description =
          "Measured epochs per feed: pairs of one Kafka and one in-memory epoch (default"
              + " ${DEFAULT-VALUE}).")
  int epochs;

  @Option(
      names = "--warm-up",
      defaultValue = "6",
      description =
          "Pairs of epochs trained first and not measured (default ${DEFAULT-VALUE}): the JIT"
              + " compiles the Kafka path's code over the first dozen or so epochs.")
  int warmUp;

  @Override
  public Integer call() throws Exception {
    if (epochs < 1 || warmUp < 0) {
      throw new IllegalArgumentException("--epochs must be at least 1 and --warm-up at least 0");
    }
    log.info(
        "configuration: rows={}, features={}, model {}-{}-{}, batch {}, {} measured + {} warm-up"
            + " pairs of epochs (Kafka, in-memory; ABBA)",
        rows,
        features,
        features,
        hidden,
        classes,
        batchSize,
        epochs,
        warmUp);
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
              2 * (warmUp + epochs),
              defaults.seed(),
              defaults.validationFraction(),
              0,
              "cpu",
              Map.of(),
              defaults.submittedAt());

      double load0 = loadAverage();
      List<Epoch> measured;
      try (KafkaBatchFeed feed =
          new KafkaBatchFeed(clients, m.dataset(), m.version(), null, "label", allocator, 4)) {
        Preprocessing prep =
            Preprocessing.scan(feed, job.task(), job.validationFraction(), feed.labelColumn());
        List<TensorBatch> batches = feed.epoch().collectList().block();
        Alternating alternating = new Alternating(feed, new Preloaded(feed, batches));
        new JobTrainer()
            .train(
                job,
                alternating,
                prep,
                new TrainingListener() {
                  @Override
                  public void epochEnd(EpochSummary summary) {
                    alternating.ended(summary);
                  }
                });
        List<Epoch> all = alternating.epochs();
        measured = List.copyOf(all.subList(2 * warmUp, all.size()));
      }
      double load1 = loadAverage();
      for (Epoch e : measured) {
        log.info(
            "pair {}: {} epoch {} s, data wait {} s, CPU {} s",
            e.pair(),
            e.kafka() ? "Kafka" : "in-memory",
            e.seconds(),
            e.dataWaitSeconds(),
            e.cpuSeconds());
      }
      Run kafka = Run.of("fed from Kafka", measured, true);
      Run memory = Run.of("preloaded in memory", measured, false);
      System.out.printf(
          "%n%-20s %6s %12s %14s %10s %11s %16s%n",
          "feed", "epochs", "epoch s med", "min..max", "data wait", "samples/s", "CPU s/epoch med");
      for (Run r : List.of(kafka, memory)) {
        System.out.printf(
            Locale.ROOT,
            "%-20s %6d %12.3f %14s %9.1f%% %,11.0f %16.3f%n",
            r.name(),
            r.epochs(),
            r.medianSeconds(),
            String.format(Locale.ROOT, "%.3f..%.3f", r.minSeconds(), r.maxSeconds()),
            100 * r.dataWaitShare(),
            r.samplesPerSecond(),
            r.medianCpuSeconds());
      }
      System.out.printf(
          Locale.ROOT,
          "epoch-time ratio Kafka / in-memory: %.3f (median of %d ABBA pairs' ratios; ratio of"
              + " the medians %.3f)%n",
          medianPairRatio(measured),
          epochs,
          kafka.medianSeconds() / memory.medianSeconds());
      System.out.printf(
          Locale.ROOT,
          "feed CPU: %.3f s per epoch (process CPU of a Kafka epoch minus an in-memory one,"
              + " medians)%n",
          kafka.medianCpuSeconds() - memory.medianCpuSeconds());
      if (!ThreadCpu.snapshot().isEmpty()) {
        System.out.printf("CPU s/epoch by thread, medians:");
        for (int k = 0; k < ThreadCpu.KINDS.length; k++) {
          System.out.printf(
              Locale.ROOT,
              " %s %.3f/%.3f",
              ThreadCpu.KINDS[k],
              kafka.medianCpuSeconds(k),
              memory.medianCpuSeconds(k));
        }
        System.out.printf(
            " (Kafka/in-memory; trainer = the main thread and PyTorch's OpenMP threads)%n");
      }
      System.out.printf(
          Locale.ROOT,
          "machine: %d cores, load average %.2f at the start, %.2f at the end%n",
          Runtime.getRuntime().availableProcessors(),
          load0,
          load1);
    } finally {
      try (var paths = Files.walk(dir)) {
        paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    return 0;
  }

  /**
   * One measured epoch.
   *
   * @param kafka fed from Kafka (else from memory)
   * @param pair the pair it belongs to
   * @param cpuSeconds the process's CPU time from the epoch's start to its end (evaluation
   *     included, the same for both feeds)
   */
  record Epoch(
      boolean kafka,
      int pair,
      double seconds,
      double dataWaitSeconds,
      double samplesPerSecond,
      double cpuSeconds,
      double[] cpuByKind) {}

  /** One feed's measured epochs. */
  record Run(String name, List<Epoch> list) {
    static Run of(String name, List<Epoch> all, boolean kafka) {
      return new Run(name, all.stream().filter(e -> e.kafka() == kafka).toList());
    }

    int epochs() {
      return list.size();
    }

    double medianSeconds() {
      return median(list.stream().mapToDouble(Epoch::seconds).toArray());
    }

    double minSeconds() {
      return list.stream().mapToDouble(Epoch::seconds).min().orElse(Double.NaN);
    }

    double maxSeconds() {
      return list.stream().mapToDouble(Epoch::seconds).max().orElse(Double.NaN);
    }

    double medianCpuSeconds() {
      return median(list.stream().mapToDouble(Epoch::cpuSeconds).toArray());
    }

    double medianCpuSeconds(int kind) {
      return median(list.stream().mapToDouble(e -> e.cpuByKind()[kind]).toArray());
    }

    double samplesPerSecond() {
      return median(list.stream().mapToDouble(Epoch::samplesPerSecond).toArray());
    }

    double dataWaitShare() {
      return list.stream().mapToDouble(Epoch::dataWaitSeconds).sum()
          / list.stream().mapToDouble(Epoch::seconds).sum();
    }
  }

  static double median(double[] values) {
    double[] s = values.clone();
    Arrays.sort(s);
    int n = s.length;
    return n == 0 ? Double.NaN : n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }

  /** The median over pairs of (Kafka epoch time / in-memory epoch time). */
  static double medianPairRatio(List<Epoch> epochs) {
    Map<Integer, double[]> pairs = new TreeMap<>();
    for (Epoch e : epochs) {
      pairs.computeIfAbsent(e.pair(), p -> new double[2])[e.kafka() ? 0 : 1] = e.seconds();
    }
    return median(pairs.values().stream().mapToDouble(p -> p[0] / p[1]).toArray());
  }

  private static double loadAverage() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  private static double processCpuSeconds() {
    return ManagementFactory.getOperatingSystemMXBean()
            instanceof com.sun.management.OperatingSystemMXBean os
        ? os.getProcessCpuTime() / 1e9
        : Double.NaN;
  }

  /**
   * Epochs from Kafka and from memory in ABBA pairs: epochs 2p and 2p+1 form pair p, Kafka first in
   * even pairs and second in odd ones.
   *
   * <p>At the end of a Kafka epoch the feed reads the next Kafka epoch's first batches while the
   * trainer evaluates. Before an in-memory epoch that follows a Kafka one, this waits for that
   * read-ahead to finish and counts its CPU to the Kafka epoch, so that none of the feed's work
   * lands in an in-memory epoch.
   */
  private static final class Alternating implements BatchFeed {
    private final KafkaBatchFeed kafka;
    private final Preloaded memory;
    private final List<Epoch> epochs = new ArrayList<>();
    private int started;
    private boolean fromKafka;
    private double cpuAtStart;
    private double cpuAtEnd;
    private Map<String, double[]> threadsAtStart;
    private Map<String, double[]> threadsAtEnd;

    Alternating(KafkaBatchFeed kafka, Preloaded memory) {
      this.kafka = kafka;
      this.memory = memory;
    }

    @Override
    public List<String> featureColumns() {
      return kafka.featureColumns();
    }

    @Override
    public String labelColumn() {
      return kafka.labelColumn();
    }

    @Override
    public String contentHash() {
      return kafka.contentHash();
    }

    @Override
    public String describe() {
      return kafka.describe() + " (alternating with its preloaded batches)";
    }

    @Override
    public Flux<TensorBatch> epoch() {
      int pair = started / 2;
      boolean firstOfPair = started % 2 == 0;
      boolean next = (pair % 2 == 0) == firstOfPair;
      if (!next && fromKafka) {
        settleReadAhead();
      }
      fromKafka = next;
      started++;
      cpuAtStart = processCpuSeconds();
      threadsAtStart = ThreadCpu.snapshot();
      return fromKafka ? kafka.epoch() : memory.epoch();
    }

    /** Waits for the feed's read-ahead and counts its CPU to the last (Kafka) epoch. */
    void settleReadAhead() {
      kafka.awaitReadAhead();
      if (!epochs.isEmpty() && epochs.get(epochs.size() - 1).kafka()) {
        Epoch last = epochs.remove(epochs.size() - 1);
        double[] byKind = last.cpuByKind().clone();
        double[] readAhead = ThreadCpu.between(threadsAtEnd, ThreadCpu.snapshot());
        for (int k = 0; k < byKind.length; k++) {
          byKind[k] += readAhead[k];
        }
        epochs.add(
            new Epoch(
                true,
                last.pair(),
                last.seconds(),
                last.dataWaitSeconds(),
                last.samplesPerSecond(),
                last.cpuSeconds() + processCpuSeconds() - cpuAtEnd,
                byKind));
      }
    }

    void ended(EpochSummary s) {
      cpuAtEnd = processCpuSeconds();
      threadsAtEnd = ThreadCpu.snapshot();
      epochs.add(
          new Epoch(
              fromKafka,
              (started - 1) / 2,
              s.metrics().get("epoch_time_s"),
              s.metrics().get("data_wait_s"),
              s.metrics().get("samples_per_s"),
              cpuAtEnd - cpuAtStart,
              ThreadCpu.between(threadsAtStart, threadsAtEnd)));
    }

    /** Every epoch so far, in order. */
    List<Epoch> epochs() {
      if (fromKafka) {
        settleReadAhead();
        fromKafka = false;
      }
      return List.copyOf(epochs);
    }

    @Override
    public void close() {}
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
