package io.streamforge.agents.deploy;

import io.streamforge.agents.task.RequestValidator;
import io.streamforge.schemas.records.WorkflowRequest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Chooses which model version and variant (fp32, quantized...) to deploy, trading quality against
 * size and latency as the request's objectives weigh them.
 */
public final class VariantChooser {
  private static final double TIE = 1e-9;

  private VariantChooser() {}

  /**
   * Rejects the candidates that break a constraint (bytes over {@code maxModelBytes}, a measured
   * latency over {@code maxLatencyMs}; an unmeasured latency breaks nothing) or have no finite
   * quality, and scores the rest:
   *
   * <pre>
   * score = (w_accuracy × Q + w_size × S + w_latency × L) / (w_accuracy + w_size + w_latency)
   * Q = lowest error / error      error = 1 − accuracy, or the RMSE (quality = −RMSE ≤ 0)
   * S = smallest bytes / bytes
   * L = lowest latency / latency  (an unmeasured latency counts as the slowest measured one;
   *                                L = 1 for all when none is measured)
   * </pre>
   *
   * over the candidates left, with the weights of {@link RequestValidator#weights} (the objectives'
   * own, else 1 for the primary and 0.5 for the secondary). Every term is the best candidate's
   * figure over this one's: 1 for the best, 0.5 for twice as many errors, twice the bytes or twice
   * the latency, so the weights trade like for like. (A zero lowest error gives 1 to the error-free
   * candidates and 0 to the rest.) The qualities are accuracies when any is positive, else minus
   * RMSEs. Scores within 1e-9 tie; ties go to fp32, then to the smaller, then to the newer version.
   *
   * @throws IllegalStateException naming every rejection when no candidate is left
   */
  public static VariantChoice choose(
      List<VariantCandidate> candidates,
      WorkflowRequest.Objectives objectives,
      WorkflowRequest.Constraints constraints) {
    Map<String, String> rejected = new LinkedHashMap<>();
    List<VariantCandidate> ok = new ArrayList<>();
    for (VariantCandidate c : candidates) {
      String why = breach(c, constraints);
      if (why != null) {
        rejected.put(c.key(), why);
      } else {
        ok.add(c);
      }
    }
    if (ok.isEmpty()) {
      throw new IllegalStateException(
          candidates.isEmpty()
              ? "no model variant to choose from"
              : "every model variant breaks a constraint: " + describe(rejected));
    }
    Map<String, Double> w = RequestValidator.weights(objectives);
    double wq = w.getOrDefault("accuracy", 0.0);
    double ws = w.getOrDefault("size", 0.0);
    double wl = w.getOrDefault("latency", 0.0);
    double sum = wq + ws + wl;
    if (!(sum > 0)) {
      wq = 1;
      sum = 1;
    }
    boolean accuracy = ok.stream().anyMatch(c -> c.quality() > 0);
    double[] errors =
        ok.stream()
            .mapToDouble(c -> accuracy ? Math.max(0, 1 - c.quality()) : -c.quality())
            .toArray();
    double minError = Arrays.stream(errors).min().orElseThrow();
    long minBytes = ok.stream().mapToLong(c -> Math.max(1, c.bytes())).min().orElseThrow();
    double[] measured =
        ok.stream().mapToDouble(VariantCandidate::latencyMs).filter(l -> l > 0).toArray();
    double minLat = Arrays.stream(measured).min().orElse(Double.NaN);
    double maxLat = Arrays.stream(measured).max().orElse(Double.NaN);
    List<Scored> scored = new ArrayList<>();
    for (int k = 0; k < ok.size(); k++) {
      VariantCandidate c = ok.get(k);
      double q = errors[k] == 0 ? 1 : minError / errors[k];
      double s = (double) minBytes / Math.max(1, c.bytes());
      double l;
      if (measured.length == 0) {
        l = 1;
      } else if (c.latencyMs() > 0) {
        l = minLat / c.latencyMs();
      } else {
        l = minLat / maxLat;
      }
      double score = (wq * q + ws * s + wl * l) / sum;
      scored.add(new Scored(c, score, q, s, l));
    }
    scored.sort(
        Comparator.comparingDouble((Scored x) -> -x.score)
            .thenComparing(x -> !VariantCandidate.FP32.equals(x.c.variant()))
            .thenComparingLong(x -> x.c.bytes())
            .thenComparingInt(x -> -x.c.version()));
    // scores within TIE of the best are equal: re-rank those by the tie-breakers alone
    Scored top = scored.get(0);
    double bestScore = top.score;
    for (Scored x : scored) {
      if (bestScore - x.score <= TIE && prefer(x, top)) {
        top = x;
      }
    }
    String weights =
        String.format(Locale.ROOT, "weights accuracy %s, size %s, latency %s", n(wq), n(ws), n(wl));
    StringBuilder reason =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "%s scores %.4f (quality %.4f → %.4f, %d bytes → %.4f, latency %s → %.4f; %s)",
                top.c.key(),
                top.score,
                top.c.quality(),
                top.q,
                top.c.bytes(),
                top.s,
                Double.isNaN(top.c.latencyMs()) ? "unmeasured" : n(top.c.latencyMs()) + " ms",
                top.l,
                weights));
    for (Scored x : scored) {
      if (x != top) {
        reason.append(String.format(Locale.ROOT, "; runner-up %s scores %.4f", x.c.key(), x.score));
        break;
      }
    }
    if (!rejected.isEmpty()) {
      reason.append("; rejected ").append(rejected.size());
    }
    return new VariantChoice(top.c, top.score, reason.toString(), rejected);
  }

  private static boolean prefer(Scored a, Scored b) {
    boolean aFp32 = VariantCandidate.FP32.equals(a.c.variant());
    boolean bFp32 = VariantCandidate.FP32.equals(b.c.variant());
    if (aFp32 != bFp32) {
      return aFp32;
    }
    if (a.c.bytes() != b.c.bytes()) {
      return a.c.bytes() < b.c.bytes();
    }
    return a.c.version() > b.c.version();
  }

  private static String breach(VariantCandidate c, WorkflowRequest.Constraints k) {
    if (!Double.isFinite(c.quality())) {
      return "quality " + c.quality() + " is not a number to rank by";
    }
    if (k == null) {
      return null;
    }
    List<String> why = new ArrayList<>();
    if (k.maxModelBytes() != null && c.bytes() > k.maxModelBytes()) {
      why.add(c.bytes() + " bytes is over the limit of " + k.maxModelBytes());
    }
    if (k.maxLatencyMs() != null && c.latencyMs() > k.maxLatencyMs()) {
      why.add(
          "latency "
              + n(c.latencyMs())
              + " ms is over the limit of "
              + n(k.maxLatencyMs())
              + " ms");
    }
    return why.isEmpty() ? null : String.join("; ", why);
  }

  private static String describe(Map<String, String> rejected) {
    List<String> parts = new ArrayList<>();
    rejected.forEach((k, v) -> parts.add(k + ": " + v));
    return String.join("; ", parts);
  }

  private static String n(double d) {
    return d == Math.rint(d) && Math.abs(d) < 1e15
        ? Long.toString((long) d)
        : String.format(Locale.ROOT, "%.3g", d);
  }

  private record Scored(VariantCandidate c, double score, double q, double s, double l) {}
}
