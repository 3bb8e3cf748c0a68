package io.streamforge.launcher.cli;

import io.streamforge.arrowio.read.CsvOptions;
import io.streamforge.arrowio.read.ReadOptions;
import io.streamforge.schemas.arrow.Allocators;
import io.streamforge.schemas.records.TrainingJob;
import io.streamforge.training.JobSpecs;
import io.streamforge.training.core.JobTrainer;
import io.streamforge.training.core.TrainingListener;
import io.streamforge.training.core.TrainingResult;
import io.streamforge.training.data.FileBatchFeed;
import io.streamforge.training.quant.CalibrationMethod;
import io.streamforge.training.quant.EvaluationData;
import io.streamforge.training.quant.OrtEvaluator;
import io.streamforge.training.quant.ParentModel;
import io.streamforge.training.quant.QuantMethod;
import io.streamforge.training.quant.QuantizationOptions;
import io.streamforge.training.quant.QuantizationReport;
import io.streamforge.training.quant.Quantizer;
import io.streamforge.training.worker.JobRunner;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.arrow.memory.BufferAllocator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code streamforge bench quantize}: trains the bundled digits and breast_cancer datasets with the
 * default MLP and a larger one, makes every variant, and prints per variant its size ratio,
 * accuracy delta and latency ratios at batch 1 and 64 (medians over repeated measurements, with
 * their spread), and whether each issue target is met.
 */
@Command(
    name = "quantize",
    mixinStandardHelpOptions = true,
    description = {
      "Trains digits and breast_cancer (bundled files, in process) with the default MLP (64-32)"
          + " and a larger one (256-256), makes every quantized variant, and prints per variant"
          + " the size ratio, accuracy delta and latency ratio at batch 1 and 64 against fp32"
          + " (ONNX Runtime, 1 thread; medians over repeated measurements) with the targets met."
    })
public final class BenchQuantizeCommand implements Callable<Integer> {
  @Option(
      names = "--datasets",
      split = ",",
      defaultValue = "digits,breast_cancer",
      description = "Bundled datasets (default ${DEFAULT-VALUE}).")
  List<String> datasets;

  @Option(
      names = "--large",
      split = ",",
      defaultValue = "256,256",
      description = "Hidden sizes of the larger MLP (default ${DEFAULT-VALUE}).")
  List<Integer> large;

  @Option(
      names = "--epochs",
      defaultValue = "" + JobSpecs.EPOCHS,
      description = "Training epochs (default ${DEFAULT-VALUE}).")
  int epochs;

  @Option(
      names = "--qat-epochs",
      defaultValue = "" + QuantizationOptions.DEFAULT_QAT_EPOCHS,
      description = "Ternary fine-tuning epochs (default ${DEFAULT-VALUE}).")
  int qatEpochs;

  @Option(
      names = "--calibration",
      defaultValue = "percentile",
      description = "Static int8 calibration (default ${DEFAULT-VALUE}).")
  String calibration;

  @Option(
      names = "--runs",
      defaultValue = "500",
      description = "Timed runs per latency measurement (default ${DEFAULT-VALUE}).")
  int runs;

  @Option(
      names = "--repeats",
      defaultValue = "5",
      description =
          "Latency measurements per model, interleaved across models (default ${DEFAULT-VALUE}).")
  int repeats;

  @Option(names = "--markdown", description = "Print a Markdown table.")
  boolean markdown;

  /** One line of the result. */
  record Line(
      String dataset,
      String mlp,
      String variant,
      long bytes,
      double sizeRatio,
      double metric,
      double delta,
      double fp32B1Ms,
      double fp32B64Ms,
      double[] speedupB1,
      double[] speedupB64,
      String targets) {}

  @Override
  public Integer call() throws Exception {
    QuantizationOptions options =
        QuantizationOptions.defaults()
            .withQatEpochs(qatEpochs)
            .withCalibration(CalibrationMethod.parse(calibration))
            .withLatencyRuns(Math.max(1, runs / 5));
    List<Line> lines = new ArrayList<>();
    try (BufferAllocator allocator = Allocators.child("bench-quantize")) {
      for (String dataset : datasets) {
        for (List<Integer> hidden : List.of(JobSpecs.HIDDEN, large)) {
          lines.addAll(bench(dataset, hidden, options, allocator));
        }
      }
    }
    System.out.printf(
        "%nlatency: ONNX Runtime, 1 intra-op thread, median of %d runs per measurement, %d"
            + " measurements per model (interleaved); speedup = fp32 latency / variant latency,"
            + " median [min-max] over the measurements; %d cores%n%n",
        runs, repeats, Runtime.getRuntime().availableProcessors());
    print(lines);
    return 0;
  }

  private List<Line> bench(
      String dataset,
      List<Integer> hidden,
      QuantizationOptions options,
      BufferAllocator allocator) {
    String label = dataset.equals("digits") ? "c64" : "label";
    TrainingJob d =
        JobSpecs.defaults(
            "bench-" + dataset, dataset, dataset, 1, label, TrainingJob.TaskType.CLASSIFICATION);
    TrainingJob job =
        new TrainingJob(
            d.jobId(),
            null,
            null,
            d.model(),
            d.dataset(),
            1,
            label,
            List.of(),
            d.task(),
            null,
            new TrainingJob.Architecture("mlp", hidden, "relu", JobSpecs.DROPOUT, false, Map.of()),
            d.optimizer(),
            d.batchSize(),
            epochs,
            d.seed(),
            d.validationFraction(),
            0,
            "cpu",
            Map.of(),
            d.submittedAt());
    String mlp = String.join("-", hidden.stream().map(String::valueOf).toList());
    System.out.printf("%s, MLP %s: training %d epochs...%n", dataset, mlp, epochs);
    ParentModel parent;
    try (FileBatchFeed feed = feed(dataset, label, allocator)) {
      TrainingResult r = new JobTrainer().train(job, feed, TrainingListener.NONE);
      byte[] onnx = JobRunner.export(job, feed, 1, r).onnx();
      parent = ParentModel.read(job.model(), 1, onnx, null);
    }
    Quantizer.Result result;
    EvaluationData data;
    try (FileBatchFeed feed = feed(dataset, label, allocator)) {
      data =
          EvaluationData.load(
              feed, parent.validationFraction(), options.calibrationRows(), parent.seed());
      result = Quantizer.run(parent, data, feed, options);
    }
    System.out.print(result.report().toText());
    List<byte[]> models = new ArrayList<>();
    models.add(parent.onnx());
    result.variants().forEach(v -> models.add(v.onnx()));
    double[][] b1 = new double[models.size()][repeats];
    double[][] b64 = new double[models.size()][repeats];
    for (int rep = 0; rep < repeats; rep++) {
      for (int m = 0; m < models.size(); m++) {
        OrtEvaluator.Latency l =
            OrtEvaluator.latency(models.get(m), data.valX(), data.features(), runs);
        b1[m][rep] = l.batch1Ms();
        b64[m][rep] = l.batch64Ms();
      }
    }
    List<Line> out = new ArrayList<>();
    QuantizationReport.Row base = result.report().baseline();
    for (int i = 0; i < result.variants().size(); i++) {
      Quantizer.Variant v = result.variants().get(i);
      double[] s1 = new double[repeats];
      double[] s64 = new double[repeats];
      for (int rep = 0; rep < repeats; rep++) {
        s1[rep] = b1[0][rep] / b1[i + 1][rep];
        s64[rep] = b64[0][rep] / b64[i + 1][rep];
      }
      out.add(
          new Line(
              dataset,
              mlp,
              v.method().id(),
              v.row().bytes(),
              v.row().sizeRatio(),
              v.row().metric(),
              v.row().accuracyDelta(),
              median(b1[0]),
              median(b64[0]),
              s1,
              s64,
              targets(v, median(s64))));
    }
    System.out.printf(
        "%s %s fp32: %d bytes, val_accuracy %.4f%n", dataset, mlp, base.bytes(), base.metric());
    return out;
  }

  /**
   * The targets: int8 ≤ 0.30× bytes, ≤ 0.5-point drop, ≥ 1.3× at batch 64; ternary ≤ 0.10×,
   * ≤ 2 points.
   */
  private static String targets(Quantizer.Variant v, double speedup64) {
    List<String> t = new ArrayList<>();
    if (v.method() == QuantMethod.TERNARY) {
      t.add(check(v.row().sizeRatio() <= 0.10, "size<=0.10x"));
      t.add(check(-v.row().accuracyDelta() <= 2.0, "drop<=2"));
    } else {
      t.add(check(v.row().sizeRatio() <= 0.30, "size<=0.30x"));
      t.add(check(-v.row().accuracyDelta() <= 0.5, "drop<=0.5"));
      t.add(check(speedup64 >= 1.3, "b64>=1.3x"));
    }
    return String.join(" ", t);
  }

  private static String check(boolean ok, String what) {
    return (ok ? "met " : "MISSED ") + what;
  }

  private void print(List<Line> lines) {
    String[] head = {
      "dataset",
      "MLP",
      "variant",
      "bytes",
      "size ratio",
      "val acc",
      "delta (pts)",
      "fp32 b1 ms",
      "speedup b1",
      "fp32 b64 ms",
      "speedup b64",
      "targets"
    };
    List<String[]> rows = new ArrayList<>();
    for (Line l : lines) {
      rows.add(
          new String[] {
            l.dataset(),
            l.mlp(),
            l.variant(),
            Long.toString(l.bytes()),
            fmt("%.3f", l.sizeRatio()),
            fmt("%.4f", l.metric()),
            fmt("%+.2f", l.delta()),
            fmt("%.4f", l.fp32B1Ms()),
            spread(l.speedupB1()),
            fmt("%.4f", l.fp32B64Ms()),
            spread(l.speedupB64()),
            l.targets()
          });
    }
    if (markdown) {
      System.out.println("| " + String.join(" | ", head) + " |");
      System.out.println("|" + " --- |".repeat(head.length));
      rows.forEach(r -> System.out.println("| " + String.join(" | ", r) + " |"));
      return;
    }
    int[] width = new int[head.length];
    List<String[]> all = new ArrayList<>();
    all.add(head);
    all.addAll(rows);
    for (String[] r : all) {
      for (int c = 0; c < r.length; c++) {
        width[c] = Math.max(width[c], r[c].length());
      }
    }
    for (String[] r : all) {
      StringBuilder sb = new StringBuilder();
      for (int c = 0; c < r.length; c++) {
        sb.append(String.format(Locale.ROOT, "%-" + width[c] + "s  ", r[c]));
      }
      System.out.println(sb.toString().stripTrailing());
    }
  }

  private static String spread(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return fmt("%.2fx", median(s)) + fmt(" [%.2f-", s[0]) + fmt("%.2f]", s[s.length - 1]);
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }

  private static String fmt(String f, double v) {
    return String.format(Locale.ROOT, f, v);
  }

  private static FileBatchFeed feed(String dataset, String label, BufferAllocator allocator) {
    ReadOptions options =
        dataset.equals("digits")
            ? ReadOptions.defaults().withText(CsvOptions.builder().header(false).build())
            : ReadOptions.defaults();
    return new FileBatchFeed(
        DemoCommand.bundled(dataset + ".csv"), options, null, label, allocator, 2);
  }
}
