package io.streamforge.training.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamforge.arrowio.read.ReadOptions;
import io.streamforge.schemas.records.MetricPoint;
import io.streamforge.schemas.records.TrainingJob;
import io.streamforge.schemas.records.TrainingJob.TaskType;
import io.streamforge.testkit.Datasets;
import io.streamforge.training.JobSpecs;
import io.streamforge.training.data.FileBatchFeed;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The trainer alone, on the bundled datasets read from disk. */
class JobTrainerTest {
  private BufferAllocator allocator;

  @BeforeEach
  void setUp() {
    allocator = new RootAllocator();
  }

  @AfterEach
  void noLeaks() {
    assertThat(allocator.getAllocatedMemory()).as("Arrow memory still allocated").isZero();
    allocator.close();
  }

  private FileBatchFeed feed(String file) {
    return new FileBatchFeed(
        Datasets.file(file), ReadOptions.defaults(), null, "label", allocator, 2);
  }

  static TrainingJob job(String dataset, TaskType task) {
    return JobSpecs.defaults("test-" + dataset, dataset, dataset, 1, "label", task);
  }

  @ParameterizedTest(name = "{0} reaches {1} validation accuracy with the defaults")
  @CsvSource({"iris.csv, 0.93", "wine.csv, 0.94", "breast_cancer.csv, 0.95"})
  void defaultsReachTheAccuracyTargets(String file, double target) {
    try (FileBatchFeed feed = feed(file)) {
      TrainingResult r =
          new JobTrainer().train(job(file, TaskType.CLASSIFICATION), feed, TrainingListener.NONE);
      System.out.printf("%s: %s%n", file, r.metrics());
      assertThat(r.metrics().get("val_accuracy")).isGreaterThanOrEqualTo(target);
      assertThat(r.preprocessing().valRows()).isGreaterThan(15);
      assertThat(r.valOutputs())
          .hasSize(r.preprocessing().valRows() * r.preprocessing().classCount());
    }
  }

  @Test
  void digitsReachTheAccuracyTargetWithTheDefaults() {
    ReadOptions noHeader =
        ReadOptions.defaults()
            .withText(io.streamforge.arrowio.read.CsvOptions.builder().header(false).build());
    TrainingJob j =
        JobSpecs.defaults("test-digits", "digits", "digits", 1, "c64", TaskType.CLASSIFICATION);
    try (FileBatchFeed feed =
        new FileBatchFeed(Datasets.file("digits.csv"), noHeader, null, "c64", allocator, 2)) {
      TrainingResult r = new JobTrainer().train(j, feed, TrainingListener.NONE);
      System.out.printf("digits.csv: %s%n", r.metrics());
      assertThat(r.preprocessing().classCount()).isEqualTo(10);
      assertThat(r.metrics().get("val_accuracy")).isGreaterThanOrEqualTo(0.96);
    }
  }

  @Test
  void sameSeedSameMetricsOtherSeedOtherMetrics() {
    TrainingJob a = withSeedAndEpochs(job("wine.csv", TaskType.CLASSIFICATION), 7, 5);
    TrainingJob c = withSeedAndEpochs(a, 8, 5);
    List<Map<String, Double>> first = new ArrayList<>();
    List<Map<String, Double>> second = new ArrayList<>();
    List<Map<String, Double>> other = new ArrayList<>();
    try (FileBatchFeed feed = feed("wine.csv")) {
      for (var pair : List.of(Map.entry(a, first), Map.entry(a, second), Map.entry(c, other))) {
        TrainingResult r = new JobTrainer().train(pair.getKey(), feed, TrainingListener.NONE);
        r.history().forEach(e -> pair.getValue().add(withoutTimings(e.metrics())));
      }
    }
    assertThat(first).hasSize(5);
    assertThat(second).isEqualTo(first);
    assertThat(other).isNotEqualTo(first);
  }

  @Test
  void regressionLearnsAContinuousLabel() {
    // predict petal_width from the other iris measurements, with which it is strongly correlated
    TrainingJob j = job("iris.csv", TaskType.REGRESSION);
    j =
        withFeaturesAndLabel(
            j, List.of("sepal_length", "sepal_width", "petal_length"), "petal_width");
    try (FileBatchFeed feed =
        new FileBatchFeed(
            Datasets.file("iris.csv"),
            ReadOptions.defaults(),
            j.features(),
            j.label(),
            allocator,
            2)) {
      TrainingResult r = new JobTrainer().train(j, feed, TrainingListener.NONE);
      System.out.printf("iris regression: %s%n", r.metrics());
      // the label's standard deviation is about 0.76; a fitted model does far better
      assertThat(r.metrics().get("val_rmse")).isLessThan(0.3);
      assertThat(r.metrics().get("val_mae")).isLessThan(0.25);
    }
  }

  @Test
  void metricsComeInBatchesPerInterval() {
    List<List<MetricPoint>> batches = new ArrayList<>();
    List<EpochSummary> epochs = new ArrayList<>();
    TrainingListener listener =
        new TrainingListener() {
          @Override
          public void metrics(List<MetricPoint> interval) {
            batches.add(interval);
          }

          @Override
          public void epochEnd(EpochSummary summary) {
            epochs.add(summary);
          }
        };
    try (FileBatchFeed feed = feed("iris.csv")) {
      new JobTrainer()
          .train(withSeedAndEpochs(job("iris.csv", TaskType.CLASSIFICATION), 1, 3), feed, listener);
    }
    assertThat(epochs).hasSize(3);
    assertThat(batches)
        .hasSizeGreaterThanOrEqualTo(3)
        .allSatisfy(b -> assertThat(b).hasSizeGreaterThan(1));
    List<String> names =
        batches.stream().flatMap(List::stream).map(MetricPoint::name).distinct().toList();
    assertThat(names)
        .contains(
            "loss",
            "train_loss",
            "train_accuracy",
            "val_accuracy",
            "val_loss",
            "learning_rate",
            "samples_per_s",
            "epoch_time_s",
            "data_wait_s");
  }

  @Test
  void anUnsupportedOptimizerIsRefusedWithTheReason() {
    TrainingJob j = job("iris.csv", TaskType.CLASSIFICATION);
    TrainingJob bad =
        new TrainingJob(
            j.jobId(),
            null,
            null,
            j.model(),
            j.dataset(),
            1,
            j.label(),
            List.of(),
            j.task(),
            null,
            j.architecture(),
            new TrainingJob.OptimizerSpec("lbfgs", 0.1, 0, 0, null),
            16,
            1,
            1,
            0.2,
            0,
            "cpu",
            Map.of(),
            j.submittedAt());
    try (FileBatchFeed feed = feed("iris.csv")) {
      assertThatThrownBy(() -> new JobTrainer().train(bad, feed, TrainingListener.NONE))
          .isInstanceOf(UnusableJobException.class)
          .hasMessageContaining("optimizer 'lbfgs' is not supported");
    }
  }

  static Map<String, Double> withoutTimings(Map<String, Double> m) {
    Map<String, Double> out = new java.util.TreeMap<>(m);
    out.remove("samples_per_s");
    out.remove("epoch_time_s");
    out.remove("data_wait_s");
    return out;
  }

  static TrainingJob withSeedAndEpochs(TrainingJob j, long seed, int epochs) {
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
        seed,
        j.validationFraction(),
        j.patience(),
        j.device(),
        j.params(),
        j.submittedAt());
  }

  static TrainingJob withFeaturesAndLabel(TrainingJob j, List<String> features, String label) {
    return new TrainingJob(
        j.jobId(),
        j.workflowId(),
        j.trialId(),
        j.model(),
        j.dataset(),
        j.datasetVersion(),
        label,
        features,
        j.task(),
        j.preprocessing(),
        j.architecture(),
        j.optimizer(),
        j.batchSize(),
        j.epochs(),
        j.seed(),
        j.validationFraction(),
        j.patience(),
        j.device(),
        j.params(),
        j.submittedAt());
  }
}
