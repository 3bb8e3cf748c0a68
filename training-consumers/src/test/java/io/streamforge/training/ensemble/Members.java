package io.streamforge.training.ensemble;

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
import io.streamforge.training.quant.EvaluationData;
import io.streamforge.training.quant.ParentModel;
import io.streamforge.training.worker.JobRunner;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;

/**
 * Members for the tests: small MLPs trained on the bundled datasets from the files and exported as
 * a worker exports them, read back as registered models would be.
 */
final class Members {
  private Members() {}

  /** digits.csv has no header: its columns are c0..c64, the label c64. */
  static String label(String dataset) {
    return dataset.equals("digits") ? "c64" : "label";
  }

  /** How one member is trained. */
  record Spec(
      String dataset,
      String label,
      List<String> features,
      TaskType task,
      List<Integer> hidden,
      String activation,
      boolean batchNorm,
      int epochs,
      long seed,
      double learningRate) {
    static Spec classifier(String dataset, List<Integer> hidden, int epochs, long seed) {
      return new Spec(
          dataset,
          Members.label(dataset),
          List.of(),
          TaskType.CLASSIFICATION,
          hidden,
          "relu",
          false,
          epochs,
          seed,
          JobSpecs.LEARNING_RATE);
    }

    Spec withActivation(String a) {
      return new Spec(
          dataset, label, features, task, hidden, a, batchNorm, epochs, seed, learningRate);
    }

    Spec withLearningRate(double lr) {
      return new Spec(
          dataset, label, features, task, hidden, activation, batchNorm, epochs, seed, lr);
    }

    Spec withFeatures(List<String> f) {
      return new Spec(
          dataset, label, f, task, hidden, activation, batchNorm, epochs, seed, learningRate);
    }

    Spec withTask(TaskType t, String l) {
      return new Spec(
          dataset, l, features, t, hidden, activation, batchNorm, epochs, seed, learningRate);
    }

    TrainingJob job(String model) {
      TrainingJob d = JobSpecs.defaults("ens-" + model, model, dataset, 1, label, task);
      TrainingJob.OptimizerSpec o = d.optimizer();
      return new TrainingJob(
          d.jobId(),
          null,
          null,
          model,
          dataset,
          1,
          label,
          features,
          task,
          null,
          new TrainingJob.Architecture("mlp", hidden, activation, 0.0, batchNorm, Map.of()),
          new TrainingJob.OptimizerSpec(
              o.name(), learningRate, o.weightDecay(), o.momentum(), o.schedule()),
          d.batchSize(),
          epochs,
          seed,
          d.validationFraction(),
          0,
          "cpu",
          Map.of(),
          d.submittedAt());
    }
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

  /** Trains {@code spec} and reads the export back as {@code model:version}. */
  static ParentModel train(Spec spec, String model, int version, BufferAllocator allocator) {
    TrainingJob job = spec.job(model);
    try (FileBatchFeed feed = feed(job.dataset(), job.features(), job.label(), allocator)) {
      TrainingResult r = new JobTrainer().train(job, feed, TrainingListener.NONE);
      byte[] onnx = JobRunner.export(job, feed, 1, r).onnx();
      return ParentModel.read(model, version, onnx, null);
    }
  }

  /** The validation rows every member held out, as the worker reads them. */
  static EvaluationData data(List<ParentModel> members, BufferAllocator allocator) {
    Compatibility c = Compatibility.of(members);
    ParentModel first = members.get(0);
    try (FileBatchFeed feed = feed(first.dataset(), first.features(), first.label(), allocator)) {
      return EvaluationData.load(feed, c.validationFraction(), 0, first.seed());
    }
  }
}
