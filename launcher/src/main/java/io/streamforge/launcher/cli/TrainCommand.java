package io.streamforge.launcher.cli;

import io.streamforge.schemas.records.TrainingJob;
import io.streamforge.schemas.records.TrainingJob.Architecture;
import io.streamforge.schemas.records.TrainingJob.OptimizerSpec;
import io.streamforge.schemas.records.TrainingJob.TaskType;
import io.streamforge.training.JobSpecs;
import io.streamforge.training.core.JobTrainer;
import io.streamforge.training.worker.JobClient;
import io.streamforge.training.worker.JobStatus;
import io.streamforge.training.worker.TrainingWorker;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code streamforge train}: submits one training job, follows it live and exits 0 once its model
 * is registered.
 */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description = {
      "Submits a training job to training.jobs and follows it (epoch, loss, accuracy,"
          + " samples/s) until its model is registered; prints the final metrics and version.",
      "A worker must be running (streamforge worker), or pass --with-worker."
    })
public final class TrainCommand implements Callable<Integer> {
  @Mixin ConnectionOptions connection;

  @Option(names = "--dataset", required = true, description = "Dataset name.")
  String dataset;

  @Option(names = "--label", required = true, description = "Label column.")
  String label;

  @Option(names = "--model", description = "Model name (default: the dataset name).")
  String model;

  @Option(
      names = "--dataset-version",
      defaultValue = "0",
      description = "Dataset version (default: the latest sealed one).")
  int datasetVersion;

  @Option(
      names = "--task",
      defaultValue = "CLASSIFICATION",
      description = "classification or regression (default ${DEFAULT-VALUE}).")
  TaskType task;

  @Option(
      names = "--features",
      split = ",",
      description = "Feature columns (default: all but the label).")
  List<String> features = List.of();

  @Option(
      names = "--epochs",
      defaultValue = "" + JobSpecs.EPOCHS,
      description = "Epochs (default ${DEFAULT-VALUE}).")
  int epochs;

  @Option(
      names = "--batch-size",
      defaultValue = "" + JobSpecs.BATCH_SIZE,
      description = "Rows per step (default ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--hidden", split = ",", description = "Hidden layer sizes (default 64,32).")
  List<Integer> hidden = JobSpecs.HIDDEN;

  @Option(
      names = "--activation",
      defaultValue = "relu",
      description = "relu or tanh (default ${DEFAULT-VALUE}).")
  String activation;

  @Option(
      names = "--dropout",
      defaultValue = "" + JobSpecs.DROPOUT,
      description = "Dropout rate (default ${DEFAULT-VALUE}).")
  double dropout;

  @Option(names = "--batch-norm", description = "Batch normalization after each hidden layer.")
  boolean batchNorm;

  @Option(
      names = "--optimizer",
      defaultValue = "adam",
      description = "adam, adamw or sgd (default ${DEFAULT-VALUE}).")
  String optimizer;

  @Option(
      names = "--lr",
      defaultValue = "" + JobSpecs.LEARNING_RATE,
      description = "Learning rate (default ${DEFAULT-VALUE}).")
  double learningRate;

  @Option(
      names = "--weight-decay",
      defaultValue = "0",
      description = "Weight decay (default ${DEFAULT-VALUE}).")
  double weightDecay;

  @Option(
      names = "--momentum",
      defaultValue = "0.9",
      description = "SGD momentum (default ${DEFAULT-VALUE}).")
  double momentum;

  @Option(
      names = "--schedule",
      defaultValue = "cosine",
      description = "constant or cosine (default ${DEFAULT-VALUE}).")
  String schedule;

  @Option(
      names = "--seed",
      defaultValue = "" + JobSpecs.SEED,
      description = "Random seed (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--validation-fraction",
      defaultValue = "" + JobSpecs.VALIDATION_FRACTION,
      description = "Validation share (default ${DEFAULT-VALUE}).")
  double validationFraction;

  @Option(
      names = "--patience",
      defaultValue = "0",
      description = "Early-stopping patience in epochs, 0 for none.")
  int patience;

  @Option(
      names = "--device",
      defaultValue = "auto",
      description = "auto, cpu or gpu (default ${DEFAULT-VALUE}).")
  String device;

  @Option(
      names = "--preprocessing",
      paramLabel = "JSON|@FILE",
      description =
          "Preprocessing spec: {\"standardization\": {\"col\": [mean, std]}, \"categories\":"
              + " {\"col\": [\"a\", \"b\"]}}, inline or @file; what it leaves out is computed"
              + " from the data.")
  String preprocessing;

  @Option(
      names = "--timeout",
      defaultValue = "PT30M",
      description = "How long to follow the job (ISO-8601, default ${DEFAULT-VALUE}).")
  Duration timeout;

  @Option(
      names = "--with-worker",
      description = "Run a worker in this process too (joins the default group).")
  boolean withWorker;

  /** The spec's text: inline, or read from the file after {@code @}. */
  private String preprocessingSpec() throws java.io.IOException {
    if (preprocessing == null || !preprocessing.startsWith("@")) {
      return preprocessing;
    }
    java.nio.file.Path file = java.nio.file.Path.of(preprocessing.substring(1));
    if (!java.nio.file.Files.isRegularFile(file)) {
      throw new picocli.CommandLine.ParameterException(
          new picocli.CommandLine(this), "--preprocessing: no such file " + file);
    }
    return java.nio.file.Files.readString(file);
  }

  @Override
  public Integer call() throws Exception {
    var clients = connection.clients();
    TrainingJob job =
        new TrainingJob(
            UUID.randomUUID().toString(),
            null,
            null,
            model == null ? dataset : model,
            dataset,
            datasetVersion,
            label,
            features,
            task,
            preprocessingSpec(),
            new Architecture("mlp", hidden, activation, dropout, batchNorm, Map.of()),
            new OptimizerSpec(optimizer, learningRate, weightDecay, momentum, schedule),
            batchSize,
            epochs,
            seed,
            validationFraction,
            patience,
            device,
            Map.of(),
            Instant.now());
    try {
      JobTrainer.validate(job); // the worker checks again; a bad job is refused before it is sent
    } catch (io.streamforge.training.core.UnusableJobException e) {
      throw new picocli.CommandLine.ParameterException(
          new picocli.CommandLine(this), "the job cannot run: " + e.getMessage());
    }
    TrainingWorker worker = null;
    Thread workerThread = null;
    if (withWorker) {
      worker = new TrainingWorker(clients, TrainingWorker.DEFAULT_GROUP, new JobTrainer());
      workerThread = new Thread(worker, "training-worker");
      workerThread.setDaemon(true);
      workerThread.start();
    }
    try (JobClient client = new JobClient(clients)) {
      client.submit(job);
      System.out.printf("submitted job %s: model %s on %s%n", job.jobId(), job.model(), dataset);
      JobStatus end =
          client.follow(
              job.jobId(),
              timeout,
              m -> System.out.println(epochLine(m)),
              s -> {
                if (s.state() == JobStatus.State.RUNNING) {
                  System.out.printf("running on worker %s%n", s.worker());
                }
              });
      if (end == null) {
        System.err.printf("error: job %s did not end within %s%n", job.jobId(), timeout);
        return 1;
      }
      if (end.state() == JobStatus.State.FAILED) {
        System.err.printf("error: job %s failed: %s%n", job.jobId(), end.reason());
        return 1;
      }
      System.out.printf(
          "registered %s version %d (onnx, fp32, sha256 %s)%n",
          end.model(), end.version(), end.sha256());
      new java.util.TreeMap<>(end.metrics())
          .forEach((k, v) -> System.out.printf("  %-22s %.6g%n", k, v));
      return 0;
    } finally {
      if (worker != null) {
        worker.close();
        workerThread.join(10_000);
      }
    }
  }

  private static String epochLine(Map<String, Double> m) {
    StringBuilder b = new StringBuilder();
    b.append(String.format("epoch %3.0f", m.getOrDefault("epoch", Double.NaN)));
    for (String k :
        List.of(
            "train_loss",
            "train_accuracy",
            "val_loss",
            "val_accuracy",
            "val_rmse",
            "val_mae",
            "learning_rate",
            "samples_per_s")) {
      if (m.containsKey(k)) {
        b.append(String.format("  %s %.4g", k, m.get(k)));
      }
    }
    return b.toString();
  }
}
