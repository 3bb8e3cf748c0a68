package io.streamforge.training.quant;

import io.streamforge.arrowio.read.CsvOptions;
import io.streamforge.arrowio.read.ReadOptions;
import io.streamforge.schemas.records.TrainingJob;
import io.streamforge.schemas.records.TrainingJob.TaskType;
import io.streamforge.testkit.Datasets;
import io.streamforge.training.JobSpecs;
import io.streamforge.training.core.JobTrainer;
import io.streamforge.training.core.TrainingListener;
import io.streamforge.training.core.TrainingResult;
import io.streamforge.training.data.FileBatchFeed;
import io.streamforge.training.worker.JobRunner;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;

/** Small models trained on the bundled datasets and exported as a worker does, for the tests. */
final class Fixtures {
  private Fixtures() {}

  /** A trained and exported fp32 model, read back as a parent. */
  record Trained(ParentModel parent, TrainingResult result) {}

  /** digits.csv has no header: its columns are c0..c64, the label c64. */
  static String label(String dataset) {
    return dataset.equals("digits") ? "c64" : "label";
  }

  /** A classifier of every column but the label, MLP of {@code hidden}, ReLU. */
  static TrainingJob classifier(String dataset, List<Integer> hidden, int epochs) {
    return job(
        dataset, label(dataset), List.of(), TaskType.CLASSIFICATION, hidden, "relu", false, epochs);
  }

  static TrainingJob job(
      String dataset,
      String label,
      List<String> features,
      TaskType task,
      List<Integer> hidden,
      String activation,
      boolean batchNorm,
      int epochs) {
    TrainingJob d = JobSpecs.defaults("quant-" + dataset, dataset, dataset, 1, label, task);
    return new TrainingJob(
        d.jobId(),
        null,
        null,
        d.model(),
        d.dataset(),
        1,
        label,
        features,
        task,
        null,
        new TrainingJob.Architecture("mlp", hidden, activation, 0.1, batchNorm, Map.of()),
        d.optimizer(),
        d.batchSize(),
        epochs,
        d.seed(),
        d.validationFraction(),
        0,
        "cpu",
        Map.of(),
        d.submittedAt());
  }

  static FileBatchFeed feed(
      String dataset, List<String> features, String label, BufferAllocator allocator) {
    ReadOptions options =
        dataset.equals("digits")
            ? ReadOptions.defaults().withText(CsvOptions.builder().header(false).build())
            : ReadOptions.defaults();
    return new FileBatchFeed(
        Datasets.file(dataset + ".csv"),
        options,
        features == null || features.isEmpty() ? null : features,
        label,
        allocator,
        2);
  }

  /** A feed of the parent's dataset, features and label. */
  static FileBatchFeed feed(ParentModel p, BufferAllocator allocator) {
    return feed(p.dataset(), p.features(), p.label(), allocator);
  }

  static Trained train(TrainingJob job, BufferAllocator allocator) {
    try (FileBatchFeed feed = feed(job.dataset(), job.features(), job.label(), allocator)) {
      TrainingResult r = new JobTrainer().train(job, feed, TrainingListener.NONE);
      byte[] onnx = JobRunner.export(job, feed, 1, r).onnx();
      return new Trained(ParentModel.read(job.model(), 1, onnx, null), r);
    }
  }

  static EvaluationData data(ParentModel p, BufferAllocator allocator) {
    try (FileBatchFeed feed = feed(p, allocator)) {
      return EvaluationData.load(feed, p.validationFraction(), 512, p.seed());
    }
  }
}
