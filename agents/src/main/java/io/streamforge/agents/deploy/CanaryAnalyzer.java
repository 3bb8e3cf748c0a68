package io.streamforge.agents.deploy;

import io.streamforge.agents.deploy.CanaryVerdict.Kind;
import java.util.Locale;

/**
 * Canary analysis: judges one window of canary traffic against the stable version's and walks the
 * canary up its weight steps, or rolls it back at the first breach (a canary is cheap to retry and
 * bad traffic is not).
 */
public final class CanaryAnalyzer {
  private CanaryAnalyzer() {}

  /**
   * Judges one analysis window.
   *
   * <ol>
   *   <li>fewer than {@code minSamples} canary requests: WAIT;
   *   <li>canary error rate above {@code maxErrorRate} and above the stable's: ROLLBACK (when the
   *       stable fails as much, the canary is not to blame);
   *   <li>canary p99 above {@code maxP99Ratio} × stable p99: ROLLBACK;
   *   <li>no stable to compare with (first deployment, or a stable that served nothing in the
   *       window): PROMOTE after this clean window;
   *   <li>current weight at the last step: PROMOTE; else STEP to the next step above it.
   * </ol>
   *
   * @param canary the canary's window
   * @param stable the stable's window, or null when there is no stable version
   * @param currentWeight the canary's weight during the window
   */
  public static CanaryVerdict judge(
      WindowStats canary, WindowStats stable, double currentWeight, CanaryPolicy policy) {
    if (canary.requests() < policy.minSamples()) {
      return new CanaryVerdict(
          Kind.WAIT,
          currentWeight,
          "canary served "
              + canary.requests()
              + " request(s) at weight "
              + pct(currentWeight)
              + "; "
              + policy.minSamples()
              + " are needed to judge it");
    }
    boolean compare = stable != null && stable.requests() > 0;
    double rate = canary.errorRate();
    if (rate > policy.maxErrorRate() && (!compare || rate > stable.errorRate())) {
      return new CanaryVerdict(
          Kind.ROLLBACK,
          0,
          String.format(
              Locale.ROOT,
              "canary error rate %.4f (%d of %d) is above the limit %.4f%s",
              rate,
              canary.errors(),
              canary.requests(),
              policy.maxErrorRate(),
              compare
                  ? String.format(Locale.ROOT, " and the stable's %.4f", stable.errorRate())
                  : ""));
    }
    if (compare && stable.p99Ms() > 0 && canary.p99Ms() > policy.maxP99Ratio() * stable.p99Ms()) {
      return new CanaryVerdict(
          Kind.ROLLBACK,
          0,
          String.format(
              Locale.ROOT,
              "canary p99 %.2f ms is above %.2f × stable p99 %.2f ms (ratio %.2f)",
              canary.p99Ms(),
              policy.maxP99Ratio(),
              stable.p99Ms(),
              canary.p99Ms() / stable.p99Ms()));
    }
    String clean =
        String.format(
            Locale.ROOT,
            "clean window at weight %s: %d requests, error rate %.4f, p99 %.2f ms",
            pct(currentWeight),
            canary.requests(),
            rate,
            canary.p99Ms());
    if (rate > policy.maxErrorRate()) {
      clean +=
          String.format(
              Locale.ROOT,
              " (error rate above the limit, but the stable's %.4f is as high)",
              stable.errorRate());
    }
    if (!compare) {
      return new CanaryVerdict(
          Kind.PROMOTE,
          100,
          clean
              + (stable == null ? "; no stable version" : "; the stable served nothing")
              + " to compare with, promoting");
    }
    for (double w : policy.steps()) {
      if (w > currentWeight) {
        return new CanaryVerdict(Kind.STEP, w, clean + "; next weight " + pct(w));
      }
    }
    return new CanaryVerdict(Kind.PROMOTE, 100, clean + "; at the last step, promoting");
  }

  private static String pct(double w) {
    return (w == Math.rint(w) ? Long.toString((long) w) : Double.toString(w)) + " %";
  }
}
