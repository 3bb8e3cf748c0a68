package io.streamforge.training.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.streamforge.arrowio.read.ReadOptions;
import io.streamforge.arrowio.tensor.FeatureEncoding;
import io.streamforge.schemas.records.TrainingJob;
import io.streamforge.schemas.records.TrainingJob.TaskType;
import io.streamforge.training.JobSpecs;
import io.streamforge.training.core.JobTrainer;
import io.streamforge.training.core.Preprocessing;
import io.streamforge.training.core.TrainingListener;
import io.streamforge.training.core.TrainingResult;
import io.streamforge.training.core.UnusableJobException;
import io.streamforge.training.data.FileBatchFeed;
import io.streamforge.training.worker.JobRunner;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Text feature columns: one-hot encoded for training over categories found in the data (or given by
 * the job's preprocessing spec), and encoded again inside the exported graph so that the model
 * takes the raw strings.
 */
class CategoricalFeaturesTest {
  private static final String[] COLORS = {"red", "green", "blue"};
  private static final String[] SHAPES = {"circle", "square"};

  @TempDir Path dir;
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

  /**
   * 900 rows: x1, x2 uniform in [-1, 1], a color and a shape; the label is {@code (color index +
   * (x1 > 0)) mod 3}, so that without the color no model can beat about one half, and the shape is
   * noise.
   */
  private Path data() throws IOException {
    Random rnd = new Random(11);
    StringBuilder csv = new StringBuilder("x1,x2,color,shape,label\n");
    for (int i = 0; i < 900; i++) {
      double x1 = rnd.nextDouble() * 2 - 1;
      double x2 = rnd.nextDouble() * 2 - 1;
      int c = rnd.nextInt(3);
      int label = (c + (x1 > 0 ? 1 : 0)) % 3;
      csv.append(String.format(java.util.Locale.ROOT, "%.4f,%.4f,", x1, x2))
          .append(COLORS[c])
          .append(',')
          .append(SHAPES[rnd.nextInt(2)])
          .append(',')
          .append(label)
          .append('\n');
    }
    Path file = dir.resolve("shapes.csv");
    Files.writeString(file, csv);
    return file;
  }

  private static TrainingJob job(String preprocessing) {
    TrainingJob d =
        JobSpecs.defaults("cat-test", "shapes", "shapes", 1, "label", TaskType.CLASSIFICATION);
    return new TrainingJob(
        d.jobId(),
        null,
        null,
        d.model(),
        d.dataset(),
        1,
        "label",
        List.of(),
        TaskType.CLASSIFICATION,
        preprocessing,
        d.architecture(),
        d.optimizer(),
        32,
        30,
        5,
        0.2,
        0,
        "cpu",
        Map.of(),
        d.submittedAt());
  }

  private TrainingResult train(TrainingJob job, Path file, Map<String, List<String>> categories) {
    try (FileBatchFeed feed =
        new FileBatchFeed(
            file, ReadOptions.defaults(), List.of(), "label", categories, allocator, 2)) {
      return new JobTrainer().train(job, feed, TrainingListener.NONE);
    }
  }

  @Test
  void textColumnsAreOneHotEncodedForTrainingAndInsideTheExportedGraph() throws Exception {
    Path file = data();
    TrainingJob job = job(null);
    TrainingResult r = train(job, file, Map.of());
    Preprocessing prep = r.preprocessing();
    assertThat(prep.encoding().numeric()).containsExactly("x1", "x2");
    assertThat(prep.encoding().categories())
        .containsExactly(
            Map.entry("color", List.of("blue", "green", "red")),
            Map.entry("shape", List.of("circle", "square")));
    assertThat(prep.features())
        .containsExactly(
            "x1", "x2", "color=blue", "color=green", "color=red", "shape=circle", "shape=square");
    // one-hot columns are not standardized
    assertThat(prep.mean()[4]).isZero();
    assertThat(prep.std()[4]).isEqualTo(1.0);
    assertThat(r.metrics().get("val_accuracy")).isGreaterThanOrEqualTo(0.9);

    try (FileBatchFeed feed =
        new FileBatchFeed(file, ReadOptions.defaults(), List.of(), "label", allocator, 2)) {
      // parity of ONNX Runtime fed raw strings against the trainer, and provenance
      JobRunner.Exported exported = JobRunner.export(job, feed, 1, r);
      assertThat(exported.parity().passed()).isTrue();
      // quantization and ensembling refuse such a model with the reason
      assertThatThrownBy(
              () ->
                  io.streamforge.training.quant.ParentModel.read(
                      "shapes", 1, exported.onnx(), "sha"))
          .isInstanceOf(UnusableJobException.class)
          .hasMessageContaining("has text (categorical) inputs [color, shape]");
      OrtEnvironment env = OrtEnvironment.getEnvironment();
      try (OrtSession s = env.createSession(exported.onnx(), new OrtSession.SessionOptions())) {
        Map<String, NodeInfo> inputs = s.getInputInfo();
        assertThat(inputs.keySet()).containsExactly(OnnxExporter.INPUT, "color", "shape");
        assertThat(((TensorInfo) inputs.get("color").getInfo()).type)
            .isEqualTo(ai.onnxruntime.OnnxJavaType.STRING);
        assertThat(((TensorInfo) inputs.get(OnnxExporter.INPUT).getInfo()).getShape())
            .containsExactly(-1, 2);
        Map<String, String> meta = s.getMetadata().getCustomMetadata();
        assertThat(meta.get("streamforge.features"))
            .isEqualTo("[\"x1\",\"x2\",\"color\",\"shape\"]");
        assertThat(FeatureEncoding.fromJson(meta.get("streamforge.encoding")))
            .isEqualTo(prep.encoding());

        // raw values as a client sends them: x1 > 0 moves red (index 0) to class 1
        float[] x = {0.5f, -0.3f, -0.5f, 0.2f, 0.5f, 0.1f, 0.5f, 0.1f};
        String[] color = {"red", "red", "blue", "purple"};
        String[] shape = {"circle", "square", "circle", "triangle"};
        try (OnnxTensor xt = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {4, 2});
            OnnxTensor ct = OnnxTensor.createTensor(env, color, new long[] {4, 1});
            OnnxTensor st = OnnxTensor.createTensor(env, shape, new long[] {4, 1});
            OrtSession.Result out =
                s.run(Map.of(OnnxExporter.INPUT, xt, "color", ct, "shape", st))) {
          float[] labels = (float[]) out.get(OnnxExporter.LABEL).orElseThrow().getValue();
          assertThat(labels[0]).isEqualTo(1f); // red, x1 > 0
          assertThat(labels[1]).isEqualTo(0f); // red, x1 < 0
          assertThat(labels[2]).isEqualTo(0f); // blue (2), x1 > 0 → 0
          // an unknown color and shape still give a distribution over the classes
          float[][] p = (float[][]) out.get(OnnxExporter.PROBABILITIES).orElseThrow().getValue();
          assertThat(p[3][0] + p[3][1] + p[3][2])
              .isCloseTo(1f, org.assertj.core.data.Offset.offset(1e-5f));
        }
      }
    }
  }

  @Test
  void theSpecGivesCategoriesAndStandardization() throws Exception {
    Path file = data();
    String spec =
        "{\"standardization\": {\"x1\": [0.0, 2.0]},"
            + " \"categories\": {\"color\": [\"red\", \"green\", \"blue\", \"purple\"]}}";
    TrainingJob job = job(spec);
    TrainingResult r =
        train(
            new TrainingJob(
                job.jobId(),
                null,
                null,
                job.model(),
                job.dataset(),
                1,
                "label",
                List.of(),
                job.task(),
                spec,
                job.architecture(),
                job.optimizer(),
                32,
                2,
                5,
                0.2,
                0,
                "cpu",
                Map.of(),
                job.submittedAt()),
            file,
            io.streamforge.training.core.GivenPreprocessing.of(job).categories());
    Preprocessing prep = r.preprocessing();
    assertThat(prep.encoding().categories().get("color"))
        .containsExactly("red", "green", "blue", "purple");
    assertThat(prep.encoding().categories().get("shape")).containsExactly("circle", "square");
    assertThat(prep.mean()[0]).isZero();
    assertThat(prep.std()[0]).isEqualTo(2.0);
    assertThat(prep.std()[1]).isNotEqualTo(2.0); // x2 computed from the data
    try (FileBatchFeed feed =
        new FileBatchFeed(file, ReadOptions.defaults(), List.of(), "label", allocator, 2)) {
      assertThat(JobRunner.export(job, feed, 1, r).parity().passed()).isTrue();
    }
  }

  @Test
  void specsOfTheWrongShapeAndTooManyCategoriesAreRefusedWithTheReason() throws Exception {
    assertThatThrownBy(() -> JobTrainer.validate(job("{\"categories\": {\"color\": \"red\"}}")))
        .isInstanceOf(UnusableJobException.class)
        .hasMessageContaining("categories of column 'color' must be a non-empty array of strings");
    assertThatThrownBy(() -> JobTrainer.validate(job("{\"standardization\": {\"x1\": [1]}}")))
        .isInstanceOf(UnusableJobException.class)
        .hasMessageContaining("standardization of 'x1' must be [mean, std]");
    assertThatThrownBy(() -> JobTrainer.validate(job("not json")))
        .isInstanceOf(UnusableJobException.class)
        .hasMessageStartingWith("the preprocessing spec is not JSON");

    StringBuilder csv = new StringBuilder("id,x,label\n");
    for (int i = 0; i < 300; i++) {
      csv.append("user-")
          .append(i)
          .append(',')
          .append(i % 7)
          .append(',')
          .append(i % 2)
          .append('\n');
    }
    Path ids = dir.resolve("ids.csv");
    Files.writeString(ids, csv);
    assertThatThrownBy(
            () -> new FileBatchFeed(ids, ReadOptions.defaults(), List.of(), "label", allocator, 2))
        .hasMessageStartingWith("text column 'id' has more than 256 distinct values");
  }
}
