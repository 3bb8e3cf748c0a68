package io.streamforge.training.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.streamforge.arrowio.read.ReadOptions;
import io.streamforge.schemas.records.TrainingJob;
import io.streamforge.schemas.records.TrainingJob.Architecture;
import io.streamforge.schemas.records.TrainingJob.TaskType;
import io.streamforge.testkit.Datasets;
import io.streamforge.training.JobSpecs;
import io.streamforge.training.Provenance;
import io.streamforge.training.core.JobTrainer;
import io.streamforge.training.core.TrainingListener;
import io.streamforge.training.core.TrainingResult;
import io.streamforge.training.data.FileBatchFeed;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Export of trained networks and the parity check against ONNX Runtime. */
class OnnxExportTest {
  private BufferAllocator allocator;

  @BeforeEach
  void setUp() {
    allocator = new RootAllocator();
  }

  @AfterEach
  void noLeaks() {
    assertThat(allocator.getAllocatedMemory()).isZero();
    allocator.close();
  }

  private TrainingResult train(TrainingJob job, String file, List<String> features) {
    try (FileBatchFeed feed =
        new FileBatchFeed(
            Datasets.file(file), ReadOptions.defaults(), features, job.label(), allocator, 2)) {
      return new JobTrainer().train(job, feed, TrainingListener.NONE);
    }
  }

  private static TrainingJob job(TaskType task, String label, Architecture arch, int epochs) {
    TrainingJob d = JobSpecs.defaults("export-test", "wine", "wine", 1, label, task);
    return new TrainingJob(
        d.jobId(),
        null,
        null,
        d.model(),
        d.dataset(),
        1,
        label,
        List.of(),
        task,
        null,
        arch,
        d.optimizer(),
        d.batchSize(),
        epochs,
        3,
        d.validationFraction(),
        0,
        "cpu",
        Map.of(),
        d.submittedAt());
  }

  @Test
  void classifierTakesRawFeaturesAndMatchesTheTrainerWithProvenance() throws Exception {
    TrainingJob job =
        job(
            TaskType.CLASSIFICATION,
            "label",
            JobSpecs.defaults("a", "b", "c", 1, "l", TaskType.CLASSIFICATION).architecture(),
            10);
    TrainingResult r = train(job, "wine.csv", null);
    Map<String, String> meta = Provenance.of(job, "wine:1", 1, "abc123", r);
    byte[] onnx = OnnxExporter.export(r.weights(), r.preprocessing(), true, "wine", "test", meta);

    OnnxParity.Report report = OnnxParity.check(onnx, r.preprocessing(), true, r.valOutputs());
    assertThat(report.rows()).isEqualTo(r.preprocessing().valRows());
    assertThat(report.maxAbsDiff()).isLessThanOrEqualTo(OnnxParity.TOLERANCE);
    assertThat(report.argmaxMismatches()).isZero();
    assertThat(report.passed()).isTrue();

    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession s = env.createSession(onnx, new OrtSession.SessionOptions())) {
      assertThat(s.getInputNames()).containsExactly(OnnxExporter.INPUT);
      assertThat(s.getOutputNames())
          .containsExactlyInAnyOrder(OnnxExporter.PROBABILITIES, OnnxExporter.LABEL);
      Map<String, String> custom = s.getMetadata().getCustomMetadata();
      assertThat(custom)
          .containsEntry("streamforge.job", "export-test")
          .containsEntry("streamforge.dataset.version", "1")
          .containsEntry("streamforge.dataset.content_hash", "abc123")
          .containsEntry("streamforge.seed", "3")
          .containsKeys(
              "streamforge.hyperparameters", "streamforge.metrics", "streamforge.version");
      assertThat(custom.get("streamforge.metrics")).contains("val_accuracy");
      assertThat(custom.get("streamforge.hyperparameters")).contains("\"batch_size\":16");
      // the label output is the raw label value of the most probable class
      float[] valX = r.preprocessing().valX();
      int f = r.preprocessing().featureCount();
      try (var input =
              ai.onnxruntime.OnnxTensor.createTensor(
                  env,
                  java.nio.FloatBuffer.wrap(valX),
                  new long[] {r.preprocessing().valRows(), f});
          var out = s.run(Map.of(OnnxExporter.INPUT, input))) {
        float[] labels = (float[]) out.get(OnnxExporter.LABEL).orElseThrow().getValue();
        int correct = 0;
        for (int i = 0; i < labels.length; i++) {
          if (labels[i] == r.preprocessing().valY()[i]) {
            correct++;
          }
        }
        assertThat((double) correct / labels.length)
            .isEqualTo(r.metrics().get("val_accuracy"), org.assertj.core.data.Offset.offset(1e-9));
      }
    }
  }

  @Test
  void batchNormTanhAndRegressionExportWithParity() {
    Architecture bnTanh = new Architecture("mlp", List.of(16, 8), "tanh", 0.2, true, Map.of());
    TrainingResult c = train(job(TaskType.CLASSIFICATION, "label", bnTanh, 4), "wine.csv", null);
    byte[] onnx = OnnxExporter.export(c.weights(), c.preprocessing(), true, "w", "t", Map.of());
    assertThat(OnnxParity.check(onnx, c.preprocessing(), true, c.valOutputs()).passed()).isTrue();

    TrainingResult reg =
        train(
            job(TaskType.REGRESSION, "alcohol", bnTanh, 4),
            "wine.csv",
            List.of("malic_acid", "ash", "color_intensity", "proline"));
    byte[] r = OnnxExporter.export(reg.weights(), reg.preprocessing(), false, "w", "t", Map.of());
    OnnxParity.Report report = OnnxParity.check(r, reg.preprocessing(), false, reg.valOutputs());
    assertThat(report.passed()).as("%s", report).isTrue();
  }

  @Test
  void parityFailsWhenOutputsDiffer() {
    TrainingResult r =
        train(
            job(
                TaskType.CLASSIFICATION,
                "label",
                JobSpecs.defaults("a", "b", "c", 1, "l", TaskType.CLASSIFICATION).architecture(),
                2),
            "iris.csv",
            null);
    byte[] onnx = OnnxExporter.export(r.weights(), r.preprocessing(), true, "i", "t", Map.of());
    float[] tampered = r.valOutputs().clone();
    tampered[0] += 1e-3f;
    OnnxParity.Report report = OnnxParity.check(onnx, r.preprocessing(), true, tampered);
    assertThat(report.maxAbsDiff()).isGreaterThan(OnnxParity.TOLERANCE);
    assertThat(report.passed()).isFalse();
  }
}
