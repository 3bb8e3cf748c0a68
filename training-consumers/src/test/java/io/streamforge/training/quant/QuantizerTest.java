package io.streamforge.training.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.streamforge.arrowio.models.TernaryPacking;
import io.streamforge.schemas.records.TrainingJob.TaskType;
import io.streamforge.training.data.FileBatchFeed;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Variants of small models trained on the bundled datasets: they load in ONNX Runtime with the
 * parent's signature, int8 predictions match fp32, ternary weights are exactly {−1, 0, 1} × scale,
 * the packed artifact is the model that was scored, fine-tuning recovers ternary accuracy.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QuantizerTest {
  /**
   * Largest mean difference of an int8 variant's class probabilities from fp32's over the
   * validation rows.
   */
  static final double INT8_MEAN_TOLERANCE = 0.01;

  /**
   * Largest difference on any row for int8-weight, whose activations stay fp32. The variants that
   * quantize activations (static: calibrated ranges; dynamic: the batch's range) can move a row
   * near a decision boundary further; their bound is the agreement and the mean.
   */
  static final double INT8_MAX_TOLERANCE = 0.05;

  /** Least share of validation rows on which an int8 variant predicts fp32's class. */
  static final double INT8_AGREEMENT = 0.98;

  private BufferAllocator allocator;
  private final Map<String, Fixtures.Trained> models = new HashMap<>();
  private final Map<String, EvaluationData> data = new HashMap<>();
  private final Map<String, Quantizer.Result> results = new HashMap<>();

  @BeforeAll
  void trainOnce() {
    allocator = new RootAllocator();
    for (String ds : List.of("iris", "wine", "breast_cancer", "digits")) {
      Fixtures.Trained t = Fixtures.train(Fixtures.classifier(ds, List.of(64, 32), 20), allocator);
      models.put(ds, t);
      data.put(ds, Fixtures.data(t.parent(), allocator));
    }
  }

  @AfterAll
  void close() {
    allocator.close();
  }

  private Quantizer.Result all(String ds) {
    return results.computeIfAbsent(
        ds,
        k -> {
          try (FileBatchFeed feed = Fixtures.feed(models.get(k).parent(), allocator)) {
            return Quantizer.run(
                models.get(k).parent(),
                data.get(k),
                feed,
                QuantizationOptions.defaults().withQatEpochs(2).withLatencyRuns(3));
          }
        });
  }

  @ParameterizedTest
  @ValueSource(strings = {"iris", "wine", "breast_cancer", "digits"})
  void everyVariantLoadsInOnnxRuntimeWithTheParentsSignatureAndProvenance(String ds)
      throws Exception {
    ParentModel parent = models.get(ds).parent();
    Quantizer.Result r = all(ds);
    assertThat(r.variants())
        .extracting(Quantizer.Variant::method)
        .containsExactlyElementsOf(QuantMethod.all());
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession fp32 = env.createSession(parent.onnx(), new OrtSession.SessionOptions())) {
      for (Quantizer.Variant v : r.variants()) {
        try (OrtSession s = env.createSession(v.onnx(), new OrtSession.SessionOptions())) {
          assertThat(s.getInputInfo().toString())
              .as(v.method().id())
              .isEqualTo(fp32.getInputInfo().toString());
          assertThat(s.getOutputInfo().toString())
              .as(v.method().id())
              .isEqualTo(fp32.getOutputInfo().toString());
          Map<String, String> meta = s.getMetadata().getCustomMetadata();
          assertThat(meta)
              .as(v.method().id())
              .containsEntry("streamforge.variant", v.method().id())
              .containsEntry("streamforge.quant.parent_version", "1")
              .containsEntry("streamforge.dataset", ds)
              .containsKeys(
                  "streamforge.quant.method",
                  "streamforge.quant.calibration",
                  "streamforge.quant.deltas");
          assertThat(meta.get("streamforge.quant.deltas")).contains("\"accuracy_delta\"");
        }
        boolean packed = v.method() == QuantMethod.TERNARY;
        assertThat(TernaryPacking.isContainer(v.artifact())).isEqualTo(packed);
        assertThat(v.format()).isEqualTo(packed ? TernaryPacking.FORMAT : "onnx");
        assertThat(v.artifact().length).isEqualTo(v.row().bytes()).isLessThan(parent.onnx().length);
      }
    }
    assertThat(r.report().baseline().metric())
        .isEqualTo(models.get(ds).result().metrics().get("val_accuracy"), within(1e-9));
  }

  @ParameterizedTest
  @ValueSource(strings = {"iris", "wine", "breast_cancer", "digits"})
  void int8PredictionsMatchFp32WithinTolerance(String ds) {
    ParentModel parent = models.get(ds).parent();
    float[] fp32 = OrtEvaluator.score(parent.onnx(), parent, data.get(ds)).outputs();
    for (Quantizer.Variant v : all(ds).variants()) {
      if (v.method() == QuantMethod.TERNARY) {
        continue;
      }
      float[] q = OrtEvaluator.score(v.onnx(), parent, data.get(ds)).outputs();
      double max = 0;
      double sum = 0;
      for (int i = 0; i < q.length; i++) {
        double d = Math.abs(q[i] - fp32[i]);
        max = Math.max(max, d);
        sum += d;
      }
      String what = ds + " " + v.method();
      assertThat(sum / q.length)
          .as("%s mean probability difference", what)
          .isLessThanOrEqualTo(INT8_MEAN_TOLERANCE);
      if (v.method() == QuantMethod.INT8_WEIGHT) {
        assertThat(max)
            .as("%s max probability difference", what)
            .isLessThanOrEqualTo(INT8_MAX_TOLERANCE);
      }
      assertThat(v.row().agreement())
          .as("%s agreement", what)
          .isGreaterThanOrEqualTo(INT8_AGREEMENT);
      assertThat(v.row().accuracyDelta())
          .as("%s accuracy delta", what)
          .isGreaterThanOrEqualTo(-1.0);
    }
  }

  @Test
  void evaluationUsesTheTrainingSplitsValidationRowsAndAReproducibleCalibrationSample() {
    Fixtures.Trained t = models.get("wine");
    EvaluationData d = data.get("wine");
    assertThat(d.valY()).containsExactly(t.result().preprocessing().valY());
    assertThat(d.valX()).containsExactly(t.result().preprocessing().valX());
    assertThat(d.trainRows()).isEqualTo(t.result().preprocessing().trainRows());
    EvaluationData a;
    EvaluationData b;
    EvaluationData all;
    try (FileBatchFeed feed = Fixtures.feed(t.parent(), allocator)) {
      a = EvaluationData.load(feed, 0.2, 50, 7);
      b = EvaluationData.load(feed, 0.2, 50, 7);
      all = EvaluationData.load(feed, 0.2, 100_000, 7);
    }
    assertThat(a.calibrationRows()).isEqualTo(50);
    assertThat(a.calibrationX()).containsExactly(b.calibrationX());
    assertThat(all.calibrationRows()).isEqualTo((int) all.trainRows());
  }

  @Test
  void ternaryWeightsAreExactlyMinusOneZeroOneTimesTheMeanAbsoluteWeightOfTheirRow() {
    ParentModel parent = models.get("wine").parent();
    Quantizer.Variant v =
        Quantizer.run(
                parent,
                data.get("wine"),
                null,
                QuantizationOptions.defaults()
                    .withMethods(List.of(QuantMethod.TERNARY))
                    .withQatEpochs(0)
                    .withLatencyRuns(1))
            .variants()
            .get(0);
    TernaryPacking.Contents packed = TernaryPacking.read(v.artifact());
    ModelProto m = Onnx.parse(v.onnx());
    Map<String, TensorProto> inits = new HashMap<>();
    m.getGraph().getInitializerList().forEach(t -> inits.put(t.getName(), t));
    List<QuantizedGraphs.Dense> dense = QuantizedGraphs.denseLayers(parent.graph());
    assertThat(packed.tensors()).hasSize(dense.size());
    for (QuantizedGraphs.Dense d : dense) {
      String name = d.weight() + "_t";
      TensorProto values = inits.get(name);
      assertThat(values.getDataType()).isEqualTo(Onnx.INT8);
      byte[] q = Onnx.byteValues(values);
      float[] scales = Onnx.floatValues(inits.get(name + "_scale"));
      assertThat(packed.tensors())
          .filteredOn(t -> t.name().equals(name))
          .singleElement()
          .satisfies(t -> assertThat(t.values()).isEqualTo(q));
      for (int r = 0; r < d.out(); r++) {
        double meanAbs = 0;
        for (int c = 0; c < d.in(); c++) {
          meanAbs += Math.abs(d.w()[r * d.in() + c]);
        }
        meanAbs /= d.in();
        assertThat((double) scales[r]).isCloseTo(meanAbs, within(1e-6 * meanAbs + 1e-12));
        Set<Float> effective = new HashSet<>();
        for (int c = 0; c < d.in(); c++) {
          byte t = q[r * d.in() + c];
          assertThat(t).isIn((byte) -1, (byte) 0, (byte) 1);
          double expected = Math.rint(Math.max(-1, Math.min(1, d.w()[r * d.in() + c] / scales[r])));
          assertThat((double) t).isEqualTo(expected);
          effective.add(t * scales[r]);
        }
        assertThat(effective).isSubsetOf(Set.of(-scales[r], 0f, scales[r], -0f));
      }
      // the graph dequantizes them per output row: DequantizeLinear(values, scale, axis=0)
      NodeProto dq =
          m.getGraph().getNodeList().stream()
              .filter(n -> n.getOpType().equals("DequantizeLinear") && n.getInput(0).equals(name))
              .findFirst()
              .orElseThrow();
      assertThat(dq.getInput(1)).isEqualTo(name + "_scale");
      assertThat(Onnx.intAttribute(dq, "axis", -1)).isZero();
    }
  }

  @Test
  void thePackedTernaryArtifactIsTheModelThatWasScored() {
    ParentModel parent = models.get("digits").parent();
    Quantizer.Variant v =
        all("digits").variants().stream()
            .filter(x -> x.method() == QuantMethod.TERNARY)
            .findFirst()
            .orElseThrow();
    // the runnable model is exactly the artifact unpacked, as the edge unpacks it
    assertThat(v.onnx()).isEqualTo(TernaryPacking.toOnnx(v.artifact()));
    // ... and 2 bits per weight instead of 8: the artifact is smaller by 3/4 byte per weight
    long weights =
        QuantizedGraphs.denseLayers(parent.graph()).stream()
            .mapToLong(d -> (long) d.out() * d.in())
            .sum();
    assertThat((long) v.onnx().length - v.artifact().length)
        .isGreaterThanOrEqualTo(weights * 3 / 4 - 200);
    // and it scores what the report says
    assertThat(OrtEvaluator.score(v.onnx(), parent, data.get("digits")).metric())
        .isEqualTo(v.row().metric());
  }

  @Test
  void onnxRuntimeRunsStaticAndDynamicInt8AsIntegerKernels(@TempDir Path dir) throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    Map<QuantMethod, String> kernel =
        Map.of(QuantMethod.INT8_STATIC, "QGemm", QuantMethod.INT8_DYNAMIC, "DynamicQuantizeMatMul");
    for (Quantizer.Variant v : all("digits").variants()) {
      if (!kernel.containsKey(v.method())) {
        continue;
      }
      Path optimized = dir.resolve(v.method().id() + ".onnx");
      try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
        o.setOptimizedModelFilePath(optimized.toString());
        env.createSession(v.onnx(), o).close();
      }
      List<String> ops = new ArrayList<>();
      ModelProto.parseFrom(Files.readAllBytes(optimized))
          .getGraph()
          .getNodeList()
          .forEach(n -> ops.add(n.getOpType()));
      assertThat(ops)
          .as("%s after ONNX Runtime's optimization", v.method())
          .contains(kernel.get(v.method()));
      assertThat(ops)
          .as("%s has no float Gemm left", v.method())
          .doesNotContain("Gemm", "FusedGemm");
    }
  }

  @Test
  void fineTuningRecoversTernaryAccuracy() {
    ParentModel parent = models.get("digits").parent();
    EvaluationData d = data.get("digits");
    QuantizationOptions ternary =
        QuantizationOptions.defaults().withMethods(List.of(QuantMethod.TERNARY)).withLatencyRuns(1);
    double without =
        Quantizer.run(parent, d, null, ternary.withQatEpochs(0))
            .variants()
            .get(0)
            .row()
            .accuracyDelta();
    TernaryQat.Result qat;
    double with;
    try (FileBatchFeed feed = Fixtures.feed(parent, allocator)) {
      qat = TernaryQat.fineTune(parent, feed, 5, TernaryQat.LEARNING_RATE, parent.seed());
      with =
          Quantizer.run(parent, d, feed, ternary.withQatEpochs(5))
              .variants()
              .get(0)
              .row()
              .accuracyDelta();
    }
    assertThat(qat.epochLoss()).hasSize(5);
    assertThat(qat.epochLoss().get(4)).isLessThan(qat.epochLoss().get(0));
    assertThat(with)
        .as("ternary delta with fine-tuning (without: %.2f)", without)
        .isGreaterThanOrEqualTo(without)
        .isGreaterThanOrEqualTo(-2.0);
  }

  @Test
  void regressionVariantsAreScoredByRmseWithTheDeltaInPercentOfTheFp32Rmse() {
    Fixtures.Trained t =
        Fixtures.train(
            Fixtures.job(
                "wine",
                "alcohol",
                List.of("malic_acid", "ash", "color_intensity", "proline"),
                TaskType.REGRESSION,
                List.of(16, 8),
                "tanh",
                true,
                10),
            allocator);
    ParentModel parent = t.parent();
    EvaluationData d = Fixtures.data(parent, allocator);
    Quantizer.Result r;
    try (FileBatchFeed feed = Fixtures.feed(parent, allocator)) {
      r =
          Quantizer.run(
              parent, d, feed, QuantizationOptions.defaults().withQatEpochs(2).withLatencyRuns(3));
    }
    assertThat(r.report().metricName()).isEqualTo("val_rmse");
    double base = r.report().baseline().metric();
    assertThat(base).isEqualTo(t.result().metrics().get("val_rmse"), within(1e-4));
    for (QuantizationReport.Row row : r.report().variants()) {
      assertThat(row.accuracyDelta())
          .as(row.variant())
          .isEqualTo(-(row.metric() - base) / base * 100, within(1e-9));
      assertThat(row.agreement()).isNaN();
      if (!row.variant().equals("ternary")) {
        assertThat(row.metric()).as(row.variant()).isCloseTo(base, within(0.05 * base));
      }
    }
    assertThat(r.report().toJson()).contains("\"val_rmse\"").doesNotContain("agreement");
  }
}
