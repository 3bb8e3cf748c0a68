package io.streamforge.launcher.cli;

import io.streamforge.launcher.UserException;
import io.streamforge.schemas.arrow.Allocators;
import io.streamforge.schemas.records.ModelEvent;
import io.streamforge.training.core.UnusableJobException;
import io.streamforge.training.quant.AcceptancePolicy;
import io.streamforge.training.quant.CalibrationMethod;
import io.streamforge.training.quant.QuantMethod;
import io.streamforge.training.quant.QuantizationOptions;
import io.streamforge.training.quant.QuantizeRunner;
import io.streamforge.training.quant.TernaryQat;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.kafka.clients.producer.KafkaProducer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code streamforge quantize}: makes the quantized variants of a registered fp32 model in this
 * process, against the cluster (the model from the registry, its dataset from Kafka), prints the
 * comparison table and, unless {@code --no-publish}, publishes the variants that pass the gate as a
 * worker running a quantization job would.
 */
@Command(
    name = "quantize",
    mixinStandardHelpOptions = true,
    description = {
      "Makes quantized variants (int8-weight, int8-static, int8-dynamic, ternary) of a registered"
          + " fp32 model version, scores them against it on its validation rows (accuracy or"
          + " RMSE, artifact bytes, ONNX Runtime latency at batch 1 and 64), prints the"
          + " comparison and publishes the accepted ones as variants of the same version.",
      "Variants already registered for the version are not made again. See"
          + " docs/quantization.md."
    })
public final class QuantizeCommand implements Callable<Integer> {
  @Mixin ConnectionOptions connection;

  @Option(names = "--model", required = true, description = "Model name.")
  String model;

  @Option(names = "--version", required = true, description = "The fp32 version to quantize.")
  int version;

  @Option(
      names = "--methods",
      split = ",",
      description = "Comma list of int8-weight, int8-static, int8-dynamic, ternary (default: all).")
  List<String> methods = new ArrayList<>();

  @Option(
      names = "--max-accuracy-drop",
      defaultValue = "" + AcceptancePolicy.DEFAULT_MAX_ACCURACY_DROP,
      description =
          "Largest accepted drop in points (regression: percent of the fp32 RMSE); default"
              + " ${DEFAULT-VALUE}.")
  double maxAccuracyDrop;

  @Option(names = "--max-model-bytes", description = "Largest accepted artifact size.")
  Long maxModelBytes;

  @Option(names = "--max-latency-ms", description = "Largest accepted median batch-1 latency.")
  Double maxLatencyMs;

  @Option(
      names = "--calibration",
      defaultValue = "percentile",
      description =
          "Static int8 calibration: minmax, percentile or entropy (default ${DEFAULT-VALUE}).")
  String calibration;

  @Option(
      names = "--calibration-rows",
      defaultValue = "" + QuantizationOptions.DEFAULT_CALIBRATION_ROWS,
      description = "Training rows sampled for calibration (default ${DEFAULT-VALUE}).")
  int calibrationRows;

  @Option(
      names = "--qat-epochs",
      defaultValue = "" + QuantizationOptions.DEFAULT_QAT_EPOCHS,
      description = "Epochs of ternary fine-tuning, 0 for none (default ${DEFAULT-VALUE}).")
  int qatEpochs;

  @Option(
      names = "--latency-runs",
      defaultValue = "" + QuantizationOptions.DEFAULT_LATENCY_RUNS,
      description = "Timed runs per batch size; the median is reported (default ${DEFAULT-VALUE}).")
  int latencyRuns;

  @Option(
      names = "--publish",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description = "Publish the accepted variants (default); --no-publish only reports.")
  boolean publish;

  @Option(names = "--json", description = "Print the comparison as JSON instead of a table.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    QuantizationOptions options;
    try {
      List<QuantMethod> m = new ArrayList<>();
      for (String name : methods) {
        m.add(QuantMethod.parse(name));
      }
      options =
          new QuantizationOptions(
              m.isEmpty() ? QuantMethod.all() : m,
              new AcceptancePolicy(maxAccuracyDrop, maxModelBytes, maxLatencyMs),
              CalibrationMethod.parse(calibration),
              calibrationRows,
              qatEpochs,
              TernaryQat.LEARNING_RATE,
              latencyRuns);
    } catch (IllegalArgumentException e) {
      throw new UserException(e.getMessage());
    }
    var clients = connection.clients();
    String jobId = "quantize-" + UUID.randomUUID();
    QuantizeRunner.Outcome outcome;
    try (BufferAllocator allocator = Allocators.child("quantize");
        KafkaProducer<String, byte[]> producer =
            new KafkaProducer<>(clients.producer("streamforge-quantize"))) {
      outcome =
          new QuantizeRunner(clients, producer, allocator)
              .run(model, version, options, publish, jobId);
    } catch (UnusableJobException e) {
      throw new UserException(e.getMessage());
    }
    if (json) {
      System.out.println(outcome.report().toJson());
      return 0;
    }
    System.out.print(outcome.report().toText());
    for (String v : outcome.alreadyRegistered()) {
      System.out.printf("%s: already registered for version %d, not made again%n", v, version);
    }
    for (ModelEvent e : outcome.published()) {
      System.out.printf(
          "published %s (%s, %d bytes, sha256 %s)%n",
          e.key(), e.format(), e.sizeBytes(), e.sha256());
    }
    if (!publish) {
      System.out.println("not published (--no-publish)");
    }
    return 0;
  }
}
