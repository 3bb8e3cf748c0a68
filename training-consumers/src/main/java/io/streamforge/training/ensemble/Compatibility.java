package io.streamforge.training.ensemble;

import io.streamforge.schemas.records.TrainingJob.TaskType;
import io.streamforge.training.core.UnusableJobException;
import io.streamforge.training.quant.ParentModel;
import java.util.Arrays;
import java.util.List;

/**
 * What the members of an ensemble must share, read from their provenance and graphs: the dataset
 * and its version, the feature columns in input order (they take one shared input), the label, the
 * task and, for classifiers, the class values (their probabilities are averaged column by column).
 *
 * <p>The validation rows are those held out by every member: the row-hash split puts a row in
 * validation when its hash falls below the fraction, so the smallest fraction of the members gives
 * rows that none of them trained on.
 *
 * @param dataset dataset name
 * @param datasetVersion dataset version
 * @param features feature columns, in input order
 * @param label label column
 * @param task classification or regression
 * @param classes the class values in output order (classification), else an empty array
 * @param validationFraction the smallest validation fraction of the members
 */
public record Compatibility(
    String dataset,
    int datasetVersion,
    List<String> features,
    String label,
    TaskType task,
    float[] classes,
    double validationFraction) {
  public Compatibility {
    features = List.copyOf(features);
    classes = classes.clone();
  }

  public boolean classification() {
    return task == TaskType.CLASSIFICATION;
  }

  @Override
  public float[] classes() {
    return classes.clone();
  }

  /**
   * Checks that the members agree.
   *
   * @throws UnusableJobException naming the first two members that disagree and on what, or a
   *     member whose graph lacks the exporter's input or outputs
   */
  public static Compatibility of(List<ParentModel> members) {
    if (members.size() < 2) {
      throw new UnusableJobException("an ensemble needs at least 2 members; got " + members.size());
    }
    ParentModel first = members.get(0);
    EnsembleGraphs.requireServingSignature(first);
    float[] classes = first.classification() ? EnsembleGraphs.classes(first) : new float[0];
    double fraction = first.validationFraction();
    for (ParentModel m : members.subList(1, members.size())) {
      EnsembleGraphs.requireServingSignature(m);
      disagree(
          first,
          m,
          "dataset",
          first.dataset() + " v" + first.datasetVersion(),
          m.dataset() + " v" + m.datasetVersion());
      disagree(first, m, "features", first.features(), m.features());
      disagree(first, m, "label", first.label(), m.label());
      disagree(first, m, "task", first.task(), m.task());
      if (first.classification()) {
        float[] c = EnsembleGraphs.classes(m);
        disagree(first, m, "classes", Arrays.toString(classes), Arrays.toString(c));
      }
      fraction = Math.min(fraction, m.validationFraction());
    }
    if (!(fraction > 0)) {
      throw new UnusableJobException(
          "member "
              + name(members.stream().filter(m -> !(m.validationFraction() > 0)).findFirst().get())
              + " was trained without validation rows (fraction 0): nothing to judge the ensemble"
              + " on");
    }
    return new Compatibility(
        first.dataset(),
        first.datasetVersion(),
        first.features(),
        first.label(),
        first.task(),
        classes,
        fraction);
  }

  private static void disagree(ParentModel a, ParentModel b, String what, Object va, Object vb) {
    if (!va.equals(vb)) {
      throw new UnusableJobException(
          "ensemble members disagree on the "
              + what
              + ": "
              + name(a)
              + " has "
              + va
              + ", "
              + name(b)
              + " has "
              + vb);
    }
  }

  static String name(ParentModel m) {
    return m.model() + ":" + m.version();
  }
}
