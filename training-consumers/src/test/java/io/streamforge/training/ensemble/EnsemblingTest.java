package io.streamforge.training.ensemble;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamforge.schemas.records.TrainingJob.TaskType;
import io.streamforge.training.core.UnusableJobException;
import io.streamforge.training.data.FileBatchFeed;
import io.streamforge.training.onnx.OnnxExporter;
import io.streamforge.training.quant.EvaluationData;
import io.streamforge.training.quant.Onnx;
import io.streamforge.training.quant.OrtEvaluator;
import io.streamforge.training.quant.ParentModel;
import io.streamforge.training.quant.QuantMethod;
import io.streamforge.training.quant.QuantizationOptions;
import io.streamforge.training.quant.Quantizer;
import java.nio.FloatBuffer;
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

/**
 * Ensembles of small real models trained on the bundled datasets (digits, breast_cancer, wine) and
 * exported as a worker exports them: scores, the keep decision, the built ONNX model (run in ONNX
 * Runtime against the averaged members), weight averaging, the fallback, refusals.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EnsemblingTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final double TOLERANCE = 1e-4;

  private BufferAllocator allocator;
  private final Map<String, ParentModel> m = new HashMap<>();
  private final Map<String, EvaluationData> data = new HashMap<>();

  @BeforeAll
  void train() {
    allocator = new RootAllocator();
    // two small, differently built digit classifiers after 2 epochs: they err on different rows
    m.put(
        "relu",
        Members.train(
            Members.Spec.classifier("digits", List.of(12), 2, 3), "dg-relu", 1, allocator));
    m.put(
        "tanh",
        Members.train(
            Members.Spec.classifier("digits", List.of(8), 2, 4).withActivation("tanh"),
            "dg-tanh",
            2,
            allocator));
    m.put(
        "small",
        Members.train(
            Members.Spec.classifier("digits", List.of(8), 2, 1), "dg-small", 1, allocator));
    // a well-trained one and a weak one
    m.put(
        "strong",
        Members.train(
            Members.Spec.classifier("digits", List.of(32), 8, 5), "dg-strong", 1, allocator));
    m.put(
        "weak",
        Members.train(
            Members.Spec.classifier("digits", List.of(8), 1, 6), "dg-weak", 1, allocator));
    data.put("digits", Members.data(List.of(m.get("relu"), m.get("tanh")), allocator));
    // same architecture, same initialization, different learning rates: weight averaging
    m.put(
        "w1",
        Members.train(
            Members.Spec.classifier("breast_cancer", List.of(16), 3, 1), "bc", 1, allocator));
    m.put(
        "w2",
        Members.train(
            Members.Spec.classifier("breast_cancer", List.of(16), 3, 1).withLearningRate(0.003),
            "bc",
            2,
            allocator));
    data.put("breast_cancer", Members.data(List.of(m.get("w1"), m.get("w2")), allocator));
  }

  @AfterAll
  void close() {
    allocator.close();
  }

  private List<ParentModel> members(String... names) {
    return java.util.Arrays.stream(names).map(m::get).toList();
  }

  @Test
  void outputAveragingOfTwoComplementaryClassifiersBeatsBothAndIsBuiltAsOneServableModel()
      throws Exception {
    List<ParentModel> members = members("relu", "tanh");
    EvaluationData d = data.get("digits");
    Ensembling.Result r =
        Ensembling.run(members, d, EnsembleMethod.OUTPUT_AVERAGE, "digits-ens", "job-1");
    EnsembleReport report = r.report();

    // every member scored on the same rows, as ONNX Runtime runs it
    List<float[]> outputs = new ArrayList<>();
    for (ParentModel p : members) {
      OrtEvaluator.Scores s = OrtEvaluator.score(p.onnx(), p, d);
      assertThat(report.members().get(p.model() + ":" + p.version())).isEqualTo(s.metric());
      outputs.add(s.outputs());
    }
    assertThat(report.members().keySet()).containsExactly("dg-relu:1", "dg-tanh:2");
    float[] classes = classes(members.get(0));
    float[] mean = new float[outputs.get(0).length];
    for (int i = 0; i < mean.length; i++) {
      mean[i] = (outputs.get(0)[i] + outputs.get(1)[i]) / 2;
    }
    double meanAccuracy = accuracy(mean, classes, d.valY());
    assertThat(report.method()).isEqualTo("output-average");
    assertThat(report.ensembleScore()).isEqualTo(meanAccuracy, within(1e-12));
    double best = Math.max(report.members().get("dg-relu:1"), report.members().get("dg-tanh:2"));
    assertThat(report.bestSingleScore()).isEqualTo(best);
    assertThat(report.members().get(report.bestSingle())).isEqualTo(best);
    // complementary members: the average is right on rows where the better one alone is wrong
    assertThat(report.ensembleScore()).isGreaterThan(best + 0.01);
    assertThat(report.kept()).isTrue();
    assertThat(report.reason()).contains("output-average", "dg-relu:1", "keeping it");

    // the built model: the members' signature, the averaged probabilities and their label
    byte[] onnx = r.onnx();
    assertThat(onnx).isNotNull();
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession member =
            env.createSession(members.get(0).onnx(), new OrtSession.SessionOptions());
        OrtSession s = env.createSession(onnx, new OrtSession.SessionOptions())) {
      assertThat(s.getInputInfo().toString()).isEqualTo(member.getInputInfo().toString());
      assertThat(s.getOutputInfo().toString()).isEqualTo(member.getOutputInfo().toString());
      Map<String, float[]> out = run(s, d);
      float[] p = out.get(OnnxExporter.PROBABILITIES);
      double max = 0;
      for (int i = 0; i < p.length; i++) {
        max = Math.max(max, Math.abs(p[i] - mean[i]));
      }
      assertThat(max).isLessThanOrEqualTo(TOLERANCE);
      float[] labels = out.get(OnnxExporter.LABEL);
      int right = 0;
      for (int row = 0; row < labels.length; row++) {
        assertThat(labels[row]).isEqualTo(classes[argmax(p, row, classes.length)]);
        right += labels[row] == d.valY()[row] ? 1 : 0;
      }
      assertThat((double) right / labels.length).isEqualTo(meanAccuracy, within(1e-12));
      Map<String, String> meta = s.getMetadata().getCustomMetadata();
      assertThat(meta)
          .containsEntry("streamforge.model", "digits-ens")
          .containsEntry("streamforge.job", "job-1")
          .containsEntry("streamforge.dataset", "digits")
          .containsEntry(
              "streamforge.features", members.get(0).metadata().get("streamforge.features"))
          .containsEntry("streamforge.ensemble.method", "output-average")
          .containsEntry("streamforge.ensemble.members", "[\"dg-relu:1\",\"dg-tanh:2\"]");
    }
    assertThat(r.metrics())
        .containsEntry("val_accuracy", report.ensembleScore())
        .containsEntry("best_single_val_accuracy", best)
        .containsEntry("ensemble_members", 2.0);
    assertThat(r.metrics().get("parity_max_abs_diff")).isLessThanOrEqualTo(TOLERANCE);
    assertThat(Ensembling.reportOf(onnx)).contains(report);

    // one graph: each member's nodes under its own prefix, no name used twice, one Mean
    ModelProto g = Onnx.parse(onnx);
    Set<String> produced = new HashSet<>();
    for (NodeProto n : g.getGraph().getNodeList()) {
      for (String o : n.getOutputList()) {
        assertThat(produced.add(o)).as("tensor %s produced once", o).isTrue();
      }
    }
    assertThat(g.getGraph().getNodeList()).filteredOn(n -> n.getOpType().equals("Mean")).hasSize(1);
    assertThat(g.getGraph().getNodeList())
        .filteredOn(n -> n.getOpType().equals("Gemm"))
        .extracting(n -> n.getName().substring(0, 3))
        .containsOnly("m0_", "m1_");
    // and it reads back as a registered model would: quantization and a later ensemble take it
    ParentModel back = ParentModel.read("digits-ens", 7, onnx, null);
    assertThat(back.features()).isEqualTo(members.get(0).features());
    assertThat(back.validationFraction()).isEqualTo(0.2);
  }

  @Test
  void threeMembersAreAveragedByOneMeanWithinTolerance() {
    EvaluationData d = data.get("digits");
    Ensembling.Result r =
        Ensembling.run(
            members("small", "relu", "tanh"), d, EnsembleMethod.OUTPUT_AVERAGE, "e3", "job-3");
    assertThat(r.report().members()).hasSize(3);
    assertThat(r.kept()).as(r.report().reason()).isTrue();
    assertThat(r.metrics().get("parity_max_abs_diff")).isLessThanOrEqualTo(TOLERANCE);
    assertThat(r.metrics()).containsEntry("ensemble_members", 3.0);
  }

  @Test
  void aMemberSetThatDoesNotBeatTheBestSingleIsNotKept() {
    EvaluationData d = data.get("digits");
    // a strong model and a weak one: the average is no better than the strong one alone
    Ensembling.Result worse =
        Ensembling.run(members("weak", "strong"), d, EnsembleMethod.OUTPUT_AVERAGE, "e", "job-w");
    assertThat(worse.kept()).isFalse();
    assertThat(worse.onnx()).isNull();
    assertThat(worse.report().bestSingle()).isEqualTo("dg-strong:1");
    assertThat(worse.report().ensembleScore())
        .isLessThanOrEqualTo(worse.report().bestSingleScore());
    assertThat(worse.report().reason()).contains("not better", "keeping the best single model");
    assertThat(worse.metrics())
        .containsEntry("val_accuracy", worse.report().bestSingleScore())
        .containsEntry("ensemble_val_accuracy", worse.report().ensembleScore())
        .doesNotContainKey("parity_max_abs_diff");

    // a tie is not better: the same network twice averages to itself
    ParentModel strong = m.get("strong");
    ParentModel copy = ParentModel.read("dg-strong-copy", 4, strong.onnx(), null);
    Ensembling.Result tie =
        Ensembling.run(List.of(strong, copy), d, EnsembleMethod.OUTPUT_AVERAGE, "e", "job-t");
    assertThat(tie.report().ensembleScore()).isEqualTo(tie.report().bestSingleScore());
    assertThat(tie.kept()).isFalse();
    // on a tie the earlier member is the best single
    assertThat(tie.report().bestSingle()).isEqualTo("dg-strong:1");
  }

  @Test
  void weightAveragingOfSameArchitectureMembersAveragesEveryWeightInOneGraph() throws Exception {
    List<ParentModel> members = members("w1", "w2");
    EvaluationData d = data.get("breast_cancer");
    assertThat(EnsembleGraphs.weightAverageMismatch(members)).isEmpty();

    // the expected network: member 1's graph with every float tensor the mean of the two
    Map<String, float[]> expected = new HashMap<>();
    Map<String, TensorProto> second = new HashMap<>();
    members.get(1).graph().getGraph().getInitializerList().forEach(t -> second.put(t.getName(), t));
    for (TensorProto t : members.get(0).graph().getGraph().getInitializerList()) {
      float[] a = Onnx.floatValues(t);
      float[] b = Onnx.floatValues(second.get(t.getName()));
      float[] mean = new float[a.length];
      for (int i = 0; i < a.length; i++) {
        mean[i] = (float) (((double) a[i] + b[i]) / 2);
      }
      expected.put(t.getName(), mean);
    }
    Map<String, float[]> averaged = EnsembleGraphs.averagedInitializers(members);
    assertThat(averaged.keySet()).isEqualTo(expected.keySet());
    expected.forEach((k, v) -> assertThat(averaged.get(k)).as(k).containsExactly(v));
    // the weights did differ, so this is not a copy of one member
    assertThat(averaged.keySet())
        .anySatisfy(
            k ->
                assertThat(averaged.get(k))
                    .isNotEqualTo(
                        Onnx.floatValues(
                            members.get(0).graph().getGraph().getInitializerList().stream()
                                .filter(t -> t.getName().equals(k))
                                .findFirst()
                                .orElseThrow())));

    ModelProto built = EnsembleGraphs.withInitializers(members.get(0).graph(), expected);
    double accuracy = OrtEvaluator.score(built.toByteArray(), members.get(0), d).metric();
    // ONNX Runtime computes the averaged network the plain-Java reference computes
    float[] ort = run(built.toByteArray(), d).get(OnnxExporter.PROBABILITIES);
    float[] ref = ReferenceForward.run(built, d.valX(), d.valRows(), OnnxExporter.PROBABILITIES);
    assertThat(maxAbsDiff(ort, ref)).isLessThanOrEqualTo(TOLERANCE);

    Ensembling.Result r =
        Ensembling.run(members, d, EnsembleMethod.WEIGHT_AVERAGE, "bc-avg", "job-wa");
    assertThat(r.report().method()).isEqualTo("weight-average");
    assertThat(r.report().ensembleScore()).isEqualTo(accuracy);
    assertThat(r.kept()).isEqualTo(accuracy > r.report().bestSingleScore());
    System.out.println("weight averaging: " + r.report().reason());
    if (r.kept()) {
      ModelProto g = Onnx.parse(r.onnx());
      assertThat(g.getGraph().getNodeList())
          .isEqualTo(members.get(0).graph().getGraph().getNodeList());
      for (TensorProto t : g.getGraph().getInitializerList()) {
        assertThat(Onnx.floatValues(t)).as(t.getName()).containsExactly(expected.get(t.getName()));
      }
      assertThat(r.metrics().get("parity_max_abs_diff")).isLessThanOrEqualTo(TOLERANCE);
      assertThat(Onnx.metadata(g)).containsEntry("streamforge.ensemble.method", "weight-average");
    } else {
      assertThat(r.onnx()).isNull();
    }
  }

  @Test
  void weightAveragingOfDifferentArchitecturesFallsBackToOutputAveragingAndSaysSo() {
    EvaluationData d = data.get("digits");
    assertThat(EnsembleGraphs.weightAverageMismatch(members("relu", "tanh")))
        .hasValueSatisfying(s -> assertThat(s).contains("dg-relu:1 and dg-tanh:2"));
    Ensembling.Result asked =
        Ensembling.run(members("relu", "tanh"), d, EnsembleMethod.WEIGHT_AVERAGE, "e", "job-f");
    Ensembling.Result output =
        Ensembling.run(members("relu", "tanh"), d, EnsembleMethod.OUTPUT_AVERAGE, "e", "job-f");
    assertThat(asked.report().method()).isEqualTo("output-average");
    assertThat(asked.report().reason())
        .startsWith("weight averaging needs members of one architecture")
        .contains("fell back to output averaging");
    assertThat(asked.report().ensembleScore()).isEqualTo(output.report().ensembleScore());
    assertThat(asked.kept()).isEqualTo(output.kept());
  }

  @Test
  void regressionMembersAreAveragedAndJudgedByRmse() throws Exception {
    Members.Spec spec =
        new Members.Spec(
            "wine",
            "alcohol",
            List.of("malic_acid", "ash", "color_intensity", "proline"),
            TaskType.REGRESSION,
            List.of(16, 8),
            "tanh",
            true,
            10,
            1,
            0.01);
    List<ParentModel> members =
        List.of(
            Members.train(spec, "wine-r", 1, allocator),
            Members.train(
                new Members.Spec(
                    "wine",
                    "alcohol",
                    spec.features(),
                    TaskType.REGRESSION,
                    List.of(8),
                    "relu",
                    false,
                    10,
                    2,
                    0.01),
                "wine-r",
                2,
                allocator));
    EvaluationData d = Members.data(members, allocator);
    Ensembling.Result r =
        Ensembling.run(members, d, EnsembleMethod.OUTPUT_AVERAGE, "wine-ens", "job-r");
    float[] a = OrtEvaluator.score(members.get(0).onnx(), members.get(0), d).outputs();
    float[] b = OrtEvaluator.score(members.get(1).onnx(), members.get(1), d).outputs();
    float[] mean = new float[a.length];
    double se = 0;
    for (int i = 0; i < a.length; i++) {
      mean[i] = (a[i] + b[i]) / 2;
      se += Math.pow(mean[i] - d.valY()[i], 2);
    }
    double rmse = Math.sqrt(se / a.length);
    assertThat(r.metricName()).isEqualTo("val_rmse");
    assertThat(r.report().ensembleScore()).isEqualTo(rmse, within(1e-5));
    double best =
        Math.min(r.report().members().get("wine-r:1"), r.report().members().get("wine-r:2"));
    assertThat(r.report().bestSingleScore()).isEqualTo(best);
    assertThat(r.kept()).isEqualTo(rmse < best);
    System.out.println("regression: " + r.report().reason());
    if (r.kept()) {
      float[] p = run(r.onnx(), d).get(OnnxExporter.PREDICTION);
      assertThat(maxAbsDiff(p, mean)).isLessThanOrEqualTo(TOLERANCE);
      assertThat(r.metrics()).containsEntry("val_rmse", r.report().ensembleScore());
      try (OrtSession s =
              OrtEnvironment.getEnvironment()
                  .createSession(r.onnx(), new OrtSession.SessionOptions());
          OrtSession one =
              OrtEnvironment.getEnvironment()
                  .createSession(members.get(0).onnx(), new OrtSession.SessionOptions())) {
        assertThat(s.getOutputInfo().toString()).isEqualTo(one.getOutputInfo().toString());
      }
    }
  }

  @Test
  void membersThatDisagreeOnTheirDataAreRefusedWithTheReason() {
    ParentModel digits = m.get("relu");
    ParentModel bc = m.get("w1");
    assertThatThrownBy(() -> Compatibility.of(List.of(digits, bc)))
        .isInstanceOf(UnusableJobException.class)
        .hasMessageContaining("disagree on the dataset")
        .hasMessageContaining("dg-relu:1 has digits v1")
        .hasMessageContaining("bc:1 has breast_cancer v1");
    List<String> half = digits.features().subList(0, 32);
    ParentModel fewer =
        Members.train(
            Members.Spec.classifier("digits", List.of(8), 1, 1).withFeatures(half),
            "dg-half",
            1,
            allocator);
    assertThatThrownBy(() -> Compatibility.of(List.of(digits, fewer)))
        .isInstanceOf(UnusableJobException.class)
        .hasMessageContaining("disagree on the features");
    // the same features, another label
    List<String> wineFeatures = List.of("malic_acid", "ash", "color_intensity", "proline");
    ParentModel wineClass =
        Members.train(
            Members.Spec.classifier("wine", List.of(8), 1, 1).withFeatures(wineFeatures),
            "wine-c",
            1,
            allocator);
    ParentModel wineFlav =
        Members.train(
            Members.Spec.classifier("wine", List.of(8), 1, 1)
                .withFeatures(wineFeatures)
                .withTask(TaskType.REGRESSION, "alcohol"),
            "wine-a",
            1,
            allocator);
    assertThatThrownBy(() -> Compatibility.of(List.of(wineClass, wineFlav)))
        .isInstanceOf(UnusableJobException.class)
        .hasMessageContaining("disagree on the label");
    // other class values behind the label output
    ModelProto relabeled = relabel(digits.graph(), 100f);
    ParentModel other =
        new ParentModel(
            "dg-relabeled",
            1,
            relabeled.toByteArray(),
            relabeled,
            null,
            digits.dataset(),
            digits.datasetVersion(),
            digits.features(),
            digits.label(),
            digits.task(),
            digits.validationFraction(),
            digits.seed(),
            digits.batchSize());
    assertThatThrownBy(() -> Compatibility.of(List.of(digits, other)))
        .isInstanceOf(UnusableJobException.class)
        .hasMessageContaining("disagree on the classes");
    assertThatThrownBy(() -> Compatibility.of(List.of(digits)))
        .isInstanceOf(UnusableJobException.class)
        .hasMessageContaining("at least 2 members");
    // and a run refuses before scoring anything
    assertThatThrownBy(
            () ->
                Ensembling.run(
                    List.of(digits, bc),
                    data.get("digits"),
                    EnsembleMethod.OUTPUT_AVERAGE,
                    "e",
                    "j"))
        .isInstanceOf(UnusableJobException.class);
  }

  @Test
  void membersWithDifferentValidationFractionsAreJudgedOnRowsNoneOfThemTrainedOn() {
    ParentModel a = m.get("relu");
    ModelProto g = Onnx.withMetadata(a.graph(), Map.of());
    ParentModel tenth =
        new ParentModel(
            "dg-tenth",
            1,
            a.onnx(),
            g,
            null,
            a.dataset(),
            a.datasetVersion(),
            a.features(),
            a.label(),
            a.task(),
            0.1,
            a.seed(),
            a.batchSize());
    assertThat(Compatibility.of(List.of(a, tenth)).validationFraction()).isEqualTo(0.1);
    assertThat(Compatibility.of(List.of(tenth, a)).validationFraction()).isEqualTo(0.1);
  }

  @Test
  void anOutputAveragedEnsembleIsQuantizedLikeAnyModel() throws Exception {
    EvaluationData d = data.get("digits");
    Ensembling.Result r =
        Ensembling.run(members("relu", "tanh"), d, EnsembleMethod.OUTPUT_AVERAGE, "dg-ens", "j");
    ParentModel ensemble = ParentModel.read("dg-ens", 1, r.onnx(), null);
    Quantizer.Result q;
    try (FileBatchFeed feed =
        Members.feed(ensemble.dataset(), ensemble.features(), ensemble.label(), allocator)) {
      d = EvaluationData.load(feed, ensemble.validationFraction(), 512, ensemble.seed());
      q =
          Quantizer.run(
              ensemble,
              d,
              feed,
              QuantizationOptions.defaults().withQatEpochs(1).withLatencyRuns(3));
    }
    assertThat(q.variants())
        .extracting(Quantizer.Variant::method)
        .containsExactlyElementsOf(QuantMethod.all());
    assertThat(q.report().baseline().metric()).isEqualTo(r.report().ensembleScore(), within(1e-12));
    for (Quantizer.Variant v : q.variants()) {
      if (v.method() != QuantMethod.TERNARY) {
        assertThat(v.row().agreement()).as(v.method().id()).isGreaterThanOrEqualTo(0.95);
      }
    }
    Quantizer.Variant ternary = q.variants().get(QuantMethod.all().indexOf(QuantMethod.TERNARY));
    // fine-tuning reads one chain of layers; an ensemble of two is made ternary without it
    assertThat(ternary.metrics()).containsEntry("qat_epochs", 0.0);
    assertThat(Onnx.metadata(Onnx.parse(ternary.onnx())))
        .containsKey("streamforge.quant.qat_skipped");
  }

  @Test
  void reportsMembersAndMethodsReadAndWriteAsTheJobContractSays() throws Exception {
    EnsembleReport report =
        new EnsembleReport(
            true,
            "output-average",
            0.95,
            "a:1",
            0.93,
            new java.util.LinkedHashMap<>(Map.of("a:1", 0.93)),
            "why");
    Map<String, Object> json = JSON.readValue(report.toJson(), new TypeReference<>() {});
    assertThat(json.keySet())
        .containsExactlyInAnyOrder(
            "kept",
            "method",
            "ensembleScore",
            "bestSingle",
            "bestSingleScore",
            "members",
            "reason");
    assertThat(json).containsEntry("kept", true).containsEntry("bestSingle", "a:1");
    assertThat(EnsembleReport.fromJson(report.toJson())).isEqualTo(report);

    assertThat(MemberRef.parseList("digits:3, digits-trials:2,digits-trials:5"))
        .containsExactly(
            new MemberRef("digits", 3),
            new MemberRef("digits-trials", 2),
            new MemberRef("digits-trials", 5));
    assertThat(MemberRef.parse("ns:model:12")).isEqualTo(new MemberRef("ns:model", 12));
    assertThat(MemberRef.toCsv(List.of(new MemberRef("a", 1), new MemberRef("b", 2))))
        .isEqualTo("a:1,b:2");
    assertThatThrownBy(() -> MemberRef.parseList("digits:3"))
        .hasMessageContaining("at least 2 members");
    assertThatThrownBy(() -> MemberRef.parseList("a:1,a:1")).hasMessageContaining("listed twice");
    assertThatThrownBy(() -> MemberRef.parseList("a:1,b"))
        .hasMessageContaining("not model:version");
    assertThatThrownBy(() -> MemberRef.parseList("a:1,b:x")).hasMessageContaining("no version");
    assertThatThrownBy(() -> MemberRef.parseList("a:1,b:0")).hasMessageContaining("start at 1");
    assertThat(EnsembleMethod.parse("Weight-Average")).isEqualTo(EnsembleMethod.WEIGHT_AVERAGE);
    assertThatThrownBy(() -> EnsembleMethod.parse("stacking"))
        .hasMessageContaining("unknown ensembling method 'stacking'")
        .hasMessageContaining("output-average, weight-average");
  }

  private static ModelProto relabel(ModelProto g, float offset) {
    NodeProto gather =
        g.getGraph().getNodeList().stream()
            .filter(n -> n.getOutputList().contains(OnnxExporter.LABEL))
            .findFirst()
            .orElseThrow();
    String name = gather.getInput(0);
    var b = g.getGraph().toBuilder();
    for (int i = 0; i < b.getInitializerCount(); i++) {
      TensorProto t = b.getInitializer(i);
      if (t.getName().equals(name)) {
        float[] v = Onnx.floatValues(t);
        for (int j = 0; j < v.length; j++) {
          v[j] += offset;
        }
        b.setInitializer(i, Onnx.floats(name, v, v.length));
      }
    }
    return g.toBuilder().setGraph(b).build();
  }

  private static float[] classes(ParentModel p) throws Exception {
    List<Float> list =
        JSON.readValue(p.metadata().get("streamforge.classes"), new TypeReference<>() {});
    float[] out = new float[list.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = list.get(i);
    }
    return out;
  }

  private static int argmax(float[] p, int row, int width) {
    int best = 0;
    for (int j = 1; j < width; j++) {
      if (p[row * width + j] > p[row * width + best]) {
        best = j;
      }
    }
    return best;
  }

  private static double accuracy(float[] p, float[] classes, float[] labels) {
    int right = 0;
    for (int r = 0; r < labels.length; r++) {
      right += classes[argmax(p, r, classes.length)] == labels[r] ? 1 : 0;
    }
    return (double) right / labels.length;
  }

  private static double maxAbsDiff(float[] a, float[] b) {
    assertThat(a).hasSameSizeAs(b);
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs(a[i] - b[i]));
    }
    return max;
  }

  private static Map<String, float[]> run(byte[] onnx, EvaluationData d) throws Exception {
    try (OrtSession s =
        OrtEnvironment.getEnvironment().createSession(onnx, new OrtSession.SessionOptions())) {
      return run(s, d);
    }
  }

  private static Map<String, float[]> run(OrtSession s, EvaluationData d) throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    Map<String, float[]> out = new HashMap<>();
    try (OnnxTensor x =
            OnnxTensor.createTensor(
                env, FloatBuffer.wrap(d.valX()), new long[] {d.valRows(), d.features()});
        OrtSession.Result r = s.run(Map.of(OnnxExporter.INPUT, x))) {
      for (var e : r) {
        FloatBuffer b = ((OnnxTensor) e.getValue()).getFloatBuffer();
        float[] v = new float[b.remaining()];
        b.get(v);
        out.put(e.getKey(), v);
      }
    }
    return out;
  }
}
